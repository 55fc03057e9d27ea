"""Citizens' proposals of the topic meetings (issue 14): the model and its rules as pure functions
(``model.py``, ``rules.py``), their state in Redis (``store.py``, ``lua/commit.lua``). No sockets:
``realtime/commands/proposals.py`` turns the protocol's commands into calls here."""
