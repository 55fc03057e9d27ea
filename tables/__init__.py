"""Tables of 8-10 for deliberation at 3,000 (issue 15): who sits at which table of a session, how
a seating is chosen (CP-SAT over the roster's strata and earlier encounters), reseating, and the
seatings in Redis; the live tables: each table a channel, its facilitator's cards, the hosts'
overview; and the theme team's themes: the board, suggested groupings, publishing, and a theme
made a poll option or a proposal. Never imports ``realtime/``."""
