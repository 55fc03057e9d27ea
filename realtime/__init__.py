"""The hub: one process of the live server, on Starlette and uvicorn, joined to the others by Redis.

Packages by concern (docs/architecture.md draws them, tests/unit/test_layers.py enforces who may
import whom): ``protocol`` (the wire, no I/O), ``ops`` (metrics, ops feed, logs), ``transport``
(connections and the endpoint), ``fanout`` (the hub and its live lists), ``commands`` (protocol
commands to domain calls), ``http`` (the HTTP routes). At the top: ``roles`` (who may do what),
``config`` (settings) and ``app`` (the application, which puts them together). The ``plenary``
command lives outside, in ``cli/``.
"""
