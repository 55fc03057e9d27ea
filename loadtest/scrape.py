"""A hub's ``/metrics``, read once for every load tool and test: fetched from the hub itself and
parsed by ``prometheus_client``'s own parser into typed samples.

The route is public on the hub (``realtime.roles.HTTP_ROLES``: ``GET /metrics`` needs no token)
and hidden by the proxies in front of it (nginx and HAProxy answer 404): so a tool reads a hub on
its own backend address, never through the public one. ``metrics_url`` keeps the hub's host and
port from whatever address a tool holds (``ws://host:port/ws`` or ``http://host:port``) for that.

A sample is keyed by its name as exposed (``plenary_frames_out_total``, ``…_bucket``) and its
labels, sorted: ``key("plenary_connections", codec="json")``.
"""

from __future__ import annotations

import urllib.parse
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

Labels = tuple[tuple[str, str], ...]
Key = tuple[str, Labels]
Samples = dict[Key, float]


def key(name: str, **labels: str) -> Key:
    """The key of the sample ``name`` with exactly these labels."""
    return name, tuple(sorted(labels.items()))


def parse(text: str) -> Samples:
    """Every sample of a Prometheus text exposition, by ``key``. Raises ``ValueError`` on text
    that is not one."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): float(s.value)
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def metrics_url(url: str) -> str:
    """The ``/metrics`` of the hub at ``url`` (its WebSocket or HTTP address): same host and port,
    ``http`` (``https`` for ``wss``)."""
    parts = urllib.parse.urlsplit(url)
    scheme = {"ws": "http", "wss": "https"}.get(parts.scheme, parts.scheme)
    return f"{scheme}://{parts.netloc}/metrics"


def scrape(url: str, timeout: float = 5.0) -> Samples:
    """The samples of the hub at ``url`` now (``metrics_url``). Blocking: from a loop, call it
    through ``asyncio.to_thread``. Raises ``OSError`` if the hub does not answer (in ``timeout``
    seconds) or answers an error status, ``ValueError`` if what it says does not parse."""
    with urllib.request.urlopen(metrics_url(url), timeout=timeout) as resp:
        return parse(resp.read().decode())


def total(samples: Samples, name: str, **labels: str) -> float:
    """The sum of every sample named ``name`` whose labels include these (with none given, a
    labelled counter or gauge over all its series); 0.0 if there is none."""
    want = set(labels.items())
    return sum(v for (n, lab), v in samples.items() if n == name and want <= set(lab))


def buckets(samples: Samples, histogram: str, **labels: str) -> dict[float, float]:
    """The cumulative bucket counts of the ``histogram`` series with these labels, by upper
    bound (``math.inf`` for ``+Inf``)."""
    want = set(labels.items())
    out: dict[float, float] = {}
    for (n, lab), v in samples.items():
        if n == f"{histogram}_bucket" and want <= set(lab):
            out[float(dict(lab)["le"])] = v  # float() reads "+Inf" too
    return out
