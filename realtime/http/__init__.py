"""The HTTP routes: health, metrics, pages and the read API (``routes``), the role gate every route
passes first (``guard``), and the routes of moderation and votes.

May import ``realtime.ops``, ``realtime.fanout``, ``realtime.roles`` and the domain.
"""
