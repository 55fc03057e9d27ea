"""Protocol v1: commands of moderated meetings (Q&A, chat moderation, speakers, agenda, polls).

moderation/ holds the rules; realtime/cmd_moderation.py runs them.
"""

from __future__ import annotations

from realtime.protocol.base import Command

MODERATION_COMMANDS: tuple[type[Command], ...] = ()
