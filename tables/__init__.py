"""Tables of 8-10 (issue 15): the seating of a session, and the live tables: each table a channel,
its facilitator's cards, the hosts' overview. Imports ``engine/``, ``moderation/``, ``panel/`` and
``attendance/``; never ``realtime/``."""
