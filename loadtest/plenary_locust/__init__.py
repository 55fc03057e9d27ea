"""The Locust users of ``loadtest/locustfile.py``, split by concern: ``limits`` (the hub's numbers the
users pace themselves by) and ``recovery`` (what a resubscription must bring), both standard library
only so that pytest imports them; ``hub`` (one WebSocket to the hub under gevent) and ``users`` (the
panelist, moderator and host User classes). Nothing here imports the hub's code: Locust
monkey-patches with gevent, and the workers may run elsewhere."""
