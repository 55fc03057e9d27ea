"""The ``plenary`` command (``main``): serving a hub, the demo, the roster, links, meetings, the
panel lottery and vote exports. Outside ``realtime/``: the command drives the hub, the hub never
imports the command.

May import everything of ours; nothing imports it but the tests.
"""
