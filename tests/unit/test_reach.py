"""``engine.reach``'s reading of ``CLUSTER NODES``: which nodes the cluster sees failing (a master
silent for this hub is excused when it does). The whole rule runs on a real cluster in
tests/integration/test_cluster_readiness.py."""

from __future__ import annotations

from engine.reach import FAILING_FLAGS, _node_flags

RAW = (
    "07c3 127.0.0.1:30001@40001 myself,master - 0 0 1 connected 0-5460\n"
    "67ed 127.0.0.1:30002@40002 master,fail - 1700 1699 2 disconnected\n"
    "292f 127.0.0.1:30003@40003 master,fail? - 1700 1699 3 connected 10923-16383\n"
    "e7d1 127.0.0.1:30004@40004 slave 07c3 0 1700 1 connected\n"
)


def failing(reply: object) -> set[str]:
    return {addr for addr, flags in _node_flags(reply) if flags & FAILING_FLAGS}


def test_failing_nodes_are_read_from_the_raw_reply_and_from_redis_pys_dict() -> None:
    assert failing(RAW) == failing(RAW.encode()) == {"127.0.0.1:30002", "127.0.0.1:30003"}
    parsed = {  # what redis-py's parse_cluster_nodes makes of it
        "127.0.0.1:30001": {"flags": "myself,master"},
        "127.0.0.1:30002": {"flags": "master,fail"},
        "127.0.0.1:30004": {"flags": "slave"},
    }
    assert failing(parsed) == {"127.0.0.1:30002"}
    assert failing("") == set()
