"""The roles of the assembly, and the sets of them that rules name: one vocabulary for every layer.

A participant has exactly one ``Role``; its value is the string a roster file, Redis and the wire
carry, so the enum changes none of them. The rules that decide with roles stay where they live
(who may run a command or follow a channel: ``realtime/roles.py``; who moderates a chat:
``moderation/chat.py``; who may vote: ``ballot/rules.py``); they name the sets defined here rather
than spelling roles out. It sits in ``engine/``, next to the error codes, because the domain
packages (which never import ``realtime/``) decide with roles too.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class Role(StrEnum):
    """A participant's role; ``Role.HOST == "host"``, so it compares and hashes as its wire string."""

    PANELIST = "panelist"  # a member of the citizens' panel: speaks, asks, votes
    MODERATOR = "moderator"  # runs meetings: chat, Q&A, the speakers' list
    HOST = "host"  # runs the assembly (votes, agenda, slides, polls) and moderates too
    OPS = "ops"  # operations: the ops feed, turnout
    OBSERVER = "observer"  # follows every meeting, takes no part
    CLERK = "clerk"  # keys in paper ballots and reads the meetings' records (the captions' transcript)
    CAPTIONER = "captioner"  # types a meeting's live captions, and nothing else (issue 13)
    FACILITATOR = "facilitator"  # keeps one table's discussion going and posts its cards (issue 15)
    THEMER = "themer"  # the theme team (issue 15): groups the tables' cards into themes


ALL: Final = frozenset(Role)
"""Every role."""

MODERATORS: Final = frozenset({Role.MODERATOR, Role.HOST})
"""Who moderates a meeting: chat moderation, the Q&A steps, the speakers' order, the meeting's
``staff`` channel (and the ``staff`` link policy means them)."""

SPEAKERS: Final = frozenset({Role.PANELIST, *MODERATORS})
"""Who takes part in a meeting's conversation: chat, the speakers' list."""

ATTENDEES: Final = ALL - {Role.CLERK, Role.CAPTIONER, Role.THEMER}
"""Who follows meetings (chat, Q&A, speakers, polls): everyone but clerks, who only key in paper,
captioners, who type captions (their console follows the captions channel only), and the theme
team (issue 15), whose console follows the tables' cards and the themes only."""

IN_EVERY_MEETING: Final = frozenset({Role.MODERATOR, Role.HOST, Role.OPS, Role.OBSERVER, Role.THEMER})
"""The staff of the assembly: members of every meeting whatever their roster row lists."""

OPERATORS: Final = frozenset({Role.OPS, Role.HOST})
"""Who watches the running of the assembly: the ops feed, a vote's turnout."""

CAPTIONERS: Final = frozenset({Role.CAPTIONER, Role.HOST})
"""Who types a meeting's live captions (``caption.send``): the captioners, and the hosts, who run a
meeting without one."""

RECORD_KEEPERS: Final = frozenset({Role.HOST, Role.CLERK, Role.CAPTIONER})
"""Who reads a meeting's record of captions with their times: the hosts and the clerks, who keep the
record, and the captioners, who check their own work."""

HOSTS: Final = frozenset({Role.HOST})
PANELISTS: Final = frozenset({Role.PANELIST})
CLERKS: Final = frozenset({Role.CLERK})

DESK: Final = frozenset({Role.CLERK, Role.HOST})
"""Who keeps a session's hall desk (issue 14): checks panelists in and out and keys in the paper
sign-in sheet. The clerks, and the hosts, who run a session without one."""

FACILITATORS: Final = frozenset({Role.FACILITATOR, Role.HOST})
"""Who speaks for a table (issue 15): posts its cards and raises its help flag. A facilitator for
the table they are assigned to (tables/live.py checks it); a host for any table, to stand in."""

AT_TABLES: Final = frozenset({Role.PANELIST, Role.FACILITATOR})
"""Who sits at a table and talks there (issue 15): its seated panelists and its facilitator. Each
follows their own table's channel only (``realtime.roles.check_table``)."""
THEME_TEAM: Final = frozenset({Role.THEMER, Role.HOST})
"""The theme team (issue 15): sees every table's cards, groups them into draft themes, publishes
them and makes them poll options or proposals. The themers, and the hosts, who run a session
without a team."""
