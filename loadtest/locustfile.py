"""Locust users for the whole plenary: panelists, moderators and hosts speaking protocol v1 over
``plenary.v1.msgpack`` to real hubs (the users live in ``loadtest/plenary_locust/``).

- ``Panelist`` (weight: every user not a moderator or host): follows its meeting's chat, Q&A and
  agenda and the vote (``subscribe``), reads the vote's rule (``vote.get``), then every 1-3 s casts a
  ranking (``vote.cast``, a new nonce each time: a revote) or, for its share of turns, sends a chat
  message (``chat.send``), asks a question (``qa.ask``), upvotes one it sees (``qa.upvote``), or
  drops its socket and comes back (``reconnect``: ``hello`` and a ``subscribe`` per channel with
  the epoch and offset it had; the reply must be exactly the missed events, or a fresh start with a
  snapshot, docs/protocol.md §7).
- ``Moderator`` (``--moderators``, default 2): follows the staff channel and the chat; approves the
  questions asked (``qa.approve``), puts half of them in the queue (``qa.queue``), deletes one chat
  message in ten (``chat.delete``). The moderators split the work by id, so none repeats another's.
- ``Host`` (``--hosts``, default 1): sets the agenda (``agenda.set``) and moves through it
  (``agenda.current``), shows and clears slides (``slide.show``, ``slide.clear``) and runs short
  votes of its own (``vote.create``, ``vote.open``, ``vote.close``, ``vote.publish``); the plenary
  vote stays open for the panelists.

Every command is a Locust request of type ``WS`` named after the command, timed from just before
the frame is sent to the reply; an ``error`` reply, a timeout or a closed connection is a failure.
The hub's limits on one participant stay on (issue 9) and the users keep to them as people do
(``plenary_locust/limits.py``: buckets per seat, the chat window, 20 ballots a vote, 30 questions
a meeting): a user that may not send yet lets the turn pass. A refusal anyway (seats shared across
worker processes, a seat used just before the run) is its own row, ``<command> refused:
rate_limited`` (or ``too_many_ballots``, ``too_many_questions``), a failure that is not the
command: ``vote.cast`` counts ballots and their latency only. Two rows are failures only:
``recovery`` (a resubscription that brought neither exactly the missed events nor a fresh start)
and ``event order`` (an event a connection got twice or not at all); a reader greenlet per user takes every frame, so
no user is a slow client to the hub.

Seed a plenary (panelists, moderators and hosts, meeting ``plenary``, vote ``plenary`` open) and its
tokens, start a hub on the same data, run a bounded headless test, then count what was stored (hub
and Locust pinned to different cores: DESIGN.md, "Load generators"):

    python -m loadtest.voters seed --n 3000 --data-dir var --out var/loadtest/tokens.csv
    taskset -c 0 plenary serve --data-dir var --port 8000 --log-level warning &
    taskset -c 1 locust -f loadtest/locustfile.py --headless -u 500 -r 100 -t 45s --stop-timeout 10 \\
        --host http://127.0.0.1:8000 --tokens var/loadtest/tokens.csv \\
        --csv var/loadtest/run --json-file var/loadtest/run
    python -m loadtest.voters count --data-dir var --vote plenary
    kill %1

For ops staff, the same with Locust's web UI instead of ``--headless``, bound to 127.0.0.1 only
(charts, rows and failures at http://127.0.0.1:8089): ``--autostart`` starts the run at once, ``-t``
stops it, and the page stays up for reading until ``--autoquit`` seconds later (without
``--autostart``, staff start it from the page and set its run time under "Advanced options"):

    taskset -c 1 locust -f loadtest/locustfile.py --web-host 127.0.0.1 --web-port 8089 --autostart \\
        -u 500 -r 100 -t 5m --autoquit 600 --host http://127.0.0.1:8000 --tokens var/loadtest/tokens.csv

Counting is exact: every ballot the hub stored during the run is one ``vote.cast`` request (a user
stopped in the middle of a command waits up to 2 s for its reply and reports it before it exits;
``--stop-timeout`` lets users finish their command anyway). Read the final counts from ``run.json``
(``--json-file``; Locust adds ``.json``): ``run_stats.csv`` is rewritten once a second, so its last
second may be missing. At the end each process prints one line, ``plenary recovery: ...``: how
the resubscriptions with a position ended (``exact``: exactly the missed events; ``fresh``: a
documented fresh start).

Options of this file (also environment variables): ``--tokens`` (``PLENARY_TOKENS``, default
``var/loadtest/tokens.csv``), ``--moderators`` and ``--hosts`` (users of those roles, 2 and 1; 0:
none), and the shares of a panelist's turns: ``--chat-share`` (0.05; the hub allows 5 chat
messages per 10 s per panelist), ``--ask-share`` (0.005), ``--upvote-share`` (0.1),
``--reconnect-share`` (0.02; offline 0.5-3 s each time); the rest are casts. ``--delete-every``
(10: moderators delete one chat message in ten), ``--panelist-turn`` and ``--host-turn`` (3: a
turn every 1-3 s). With more users than seats, seats are reused
(one participant on several connections); each worker of a distributed run (``--processes N``)
starts at a random seat (moderators on the same seat in two workers may then both try a step: the
second is a ``bad_transition`` failure). Chat fans out to every follower, so a high
``--chat-share`` with many users measures the generator's reading more than the hub (a Python
WebSocket client spends about 4 times the hub's CPU per received frame).
"""

from __future__ import annotations

import csv
import os
from typing import Any

from locust import between, events
from plenary_locust import limits, users  # Locust puts this file's folder on sys.path
from plenary_locust.users import Host, Moderator, Panelist

__all__ = ["Host", "Moderator", "Panelist"]

SHARES = (("chat", 0.05), ("ask", 0.005), ("upvote", 0.1), ("reconnect", 0.02))


@events.init_command_line_parser.add_listener
def _options(parser: Any) -> None:
    parser.add_argument(
        "--tokens",
        default="var/loadtest/tokens.csv",
        env_var="PLENARY_TOKENS",
        help="CSV of seats from `python -m loadtest.voters seed`",
    )
    parser.add_argument(
        "--moderators", type=int, default=2, env_var="PLENARY_MODERATORS", help="moderator users"
    )
    parser.add_argument("--hosts", type=int, default=1, env_var="PLENARY_HOSTS", help="host users")
    parser.add_argument(
        "--delete-every",
        type=int,
        default=10,
        env_var="PLENARY_DELETE_EVERY",
        help="moderators delete 1 chat message in N",
    )
    for role in (limits.PANELIST, limits.HOST):
        parser.add_argument(
            f"--{role}-turn",
            type=float,
            default=3.0,
            env_var=f"PLENARY_{role.upper()}_TURN",
            help=f"a {role}'s turns come every T/3 to T seconds (3: 1-3 s)",
        )
    for name, default in SHARES:
        parser.add_argument(
            f"--{name}-share",
            type=float,
            default=default,
            env_var=f"PLENARY_{name.upper()}_SHARE",
            help=f"share of a panelist's turns that are {name} (0: none; the rest are casts)",
        )


@events.init.add_listener
def _load_seats(environment: Any, **_: Any) -> None:
    opts = environment.parsed_options
    if opts is not None:
        Panelist.shares = {name: float(getattr(opts, f"{name}_share")) for name, _ in SHARES}
        Moderator.fixed_count, Host.fixed_count = max(0, opts.moderators), max(0, opts.hosts)
        Moderator.delete_every = max(1, opts.delete_every)
        Panelist.wait_time = between(opts.panelist_turn / 3, opts.panelist_turn)
        Host.wait_time = between(opts.host_turn / 3, opts.host_turn)
        # A role with no users is no class to run (Locust would spawn it by weight otherwise).
        environment.user_classes[:] = [
            c for c in environment.user_classes if c not in (Moderator, Host) or c.fixed_count > 0
        ]
    path = opts.tokens if opts is not None else os.environ.get("PLENARY_TOKENS", "var/loadtest/tokens.csv")
    if not os.path.exists(path):  # the master of a distributed run has no users: nothing to read
        return
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    # Workers of a distributed run (--processes, --worker) each start at a different seat.
    users.load_seats(rows, start_at_random=type(environment.runner).__name__ == "WorkerRunner")


@events.quitting.add_listener
def _summary(environment: Any, **_: Any) -> None:
    done = users.recovery
    print(
        f"plenary recovery: {done['exact']} resubscriptions exact ({done['missed']} missed events"
        f" brought), {done['fresh']} fresh starts"
        f" (limits mirrored: {len(limits.COMMAND_CLASSES)} commands)",
        flush=True,
    )
