"""Moderated-meeting commands (Q&A, chat moderation, speakers, agenda, polls): thin calls into moderation/."""

from __future__ import annotations
