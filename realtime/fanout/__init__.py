"""The fan-out: the hub process's Redis collaborators, its local subscriptions and live lists, and
the loop that writes each event, encoded once, to every local subscriber.

May import ``realtime.protocol``, ``realtime.ops``, ``realtime.transport`` (not its endpoint),
``realtime.config`` and the domain.
"""
