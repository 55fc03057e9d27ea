"""The write groups of a fan-out (``realtime.fanout.writes``): one part writes its list as it is;
several parts flushed in one tick reach each listed transport once, with exactly the frames of the
parts whose lists hold it, joined in the parts' order."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.channels import StoredEvent
from realtime.fanout.live import LiveList
from realtime.fanout.writes import CLIENTS, DATA, END, EVENTS, NEXT, PARTS, TRANSPORTS, Part, write_groups
from realtime.protocol.codec import CODECS, JSON, MSGPACK
from tests.examples import examples

CHANNELS = ("meeting/m1/chat", "meeting/m1/qa", "meeting/m1/proposals")


class Socket:
    """A listed transport; only its identity matters here."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __repr__(self) -> str:
        return f"Socket({self.n})"


def part_of(channel: str, holders: list[int], sockets: list[Socket], events: int) -> Part:
    """A part whose live list holds the ``holders`` sockets, each with the codec its number gives."""
    live = LiveList()
    for n in holders:
        codec = CODECS[JSON if n % 3 == 0 else MSGPACK]
        group = live.groups.setdefault(codec.name, (codec, [], []))
        group[1].append(sockets[n])  # type: ignore[arg-type]
        group[2].append(f"client {n}")  # type: ignore[arg-type]
    evs = [StoredEvent(i + 1, 0, "t", {"text": f"{channel} {i}"}) for i in range(events)]
    return Part(channel, "e1", evs, live)


audiences = st.lists(st.sets(st.integers(0, 40)), min_size=1, max_size=len(CHANNELS))


@given(audiences, st.integers(1, 3))
@settings(max_examples=examples(100), deadline=None)
def test_every_listed_transport_gets_exactly_its_parts_frames_in_one_write(
    holders: list[set[int]], events: int
) -> None:
    sockets = [Socket(n) for n in range(41)]
    parts = tuple(part_of(CHANNELS[i], sorted(h), sockets, events) for i, h in enumerate(holders))
    groups = write_groups(parts)
    written: dict[int, bytes] = {}
    for group in groups:
        assert group[NEXT] == 0 and group[END] == len(group[TRANSPORTS]) == len(group[CLIENTS])
        assert group[EVENTS] == events * len(group[PARTS])
        for socket, client in zip(group[TRANSPORTS], group[CLIENTS], strict=True):
            assert socket.n not in written, "a transport in two groups: two writes"
            assert client == f"client {socket.n}"
            written[socket.n] = group[DATA]
    assert set(written) == set().union(*holders)
    for n, data in written.items():
        codec = CODECS[JSON if n % 3 == 0 else MSGPACK]
        mine = [p for p, h in zip(parts, holders, strict=True) if n in h]
        assert data == b"".join(p.frame_of(codec).wire for p in mine)


def test_one_part_writes_its_own_lists_not_copies() -> None:
    """Alone, a part's groups are its live list's lists: a slice owed later finds them as the list
    has them (``LiveList.settle`` writes the rest before anything moves)."""
    sockets = [Socket(n) for n in range(6)]
    part = part_of(CHANNELS[0], [0, 1, 2, 3, 4, 5], sockets, 2)
    groups = write_groups((part,))
    lists: list[Any] = [g[TRANSPORTS] for g in groups]
    assert all(any(t is lst for _c, lst, _cl in part.live.groups.values()) for t in lists)
    assert sorted(len(g[TRANSPORTS]) for g in groups) == [2, 4]


def test_a_hall_of_tables_flushed_in_one_tick() -> None:
    """Two hundred tables of eight, each its own channel, and the hall's channel that all 1,600
    follow, all due in one tick: each seat gets its table's and the hall's frames in one write, in
    a group of its table (one group a table, whatever the number of parts)."""
    sockets = [Socket(n) for n in range(1600)]
    tables = [part_of(f"table/t{k}/chat", list(range(8 * k, 8 * k + 8)), sockets, 1) for k in range(200)]
    hall = part_of("meeting/m1/chat", list(range(1600)), sockets, 2)
    groups = write_groups((*tables, hall))
    assert sum(len(g[TRANSPORTS]) for g in groups) == 1600
    assert all(len(g[PARTS]) == 2 and g[PARTS][1] is hall and g[EVENTS] == 3 for g in groups)
    assert len(groups) == 200 * 2  # a table's seats are of two codecs (part_of)
