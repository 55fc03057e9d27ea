"""Tables of 8-10 for deliberation at 3,000 (issue 15): who sits at which table of a session, how
a seating is chosen (CP-SAT over the roster's strata and earlier encounters), reseating, and the
seatings in Redis; and the live tables: each table a channel, its facilitator's cards, the hosts'
overview. Never imports ``realtime/``."""
