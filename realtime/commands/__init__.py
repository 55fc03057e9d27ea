"""Protocol commands to domain calls: the dispatch with its role and rate checks (``registry``), one
module of handlers per domain (``chat``, ``moderation``, ``vote``), and the one table of every
handler built from them (``table``).

May import ``realtime.protocol``, ``realtime.transport`` (not its endpoint), ``realtime.fanout``,
``realtime.roles`` and the domain.
"""
