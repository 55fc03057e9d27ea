"""Attendance (issue 14): who attended which session and for how long, online and in the hall.

Online presence comes from connections (a panelist following a meeting's channels), hall presence
from a clerk's check-in and check-out, paper sign-in from a clerk keying in a signed sheet. The
rules are pure functions (``intervals``, ``rules``, ``report``); their state lives in Redis
(``store``, ``lua/``). Imports ``engine/``, ``ballot/`` and ``panel/``; never ``realtime/``.
"""
