"""The scenarios' verdicts on made-up measurements: the limits each check states are the ones it
applies (slow-readers' tolerance, the storm's catch-up bound, capacity's held connections)."""

from __future__ import annotations

import argparse
from collections import Counter

from loadtest import report, verdicts
from loadtest.report import Run
from loadtest.swarm import Second, Totals


def run_of(scenario: str, seconds: list[Second], totals: list[Totals], result: dict[str, object]) -> Run:
    return Run(
        meta={"scenario": scenario},
        seconds=seconds,
        totals=totals,
        resources=[],
        marks={},
        result={"problems": [], "final": {}, **result},
        targets={"ack_p99_ms": 250, "lag_p99_ms": 250},
    )


def check(run: Run, name: str) -> bool:
    return next(c.met for c in run.result["checks"] if c.name == name)


def slow_run(baseline_ms: int, slow_ms: int) -> Run:
    """Ten seconds of baseline, ten of slow phase, every event at the given lag."""
    seconds = [
        Second(100 + i, events=50, lag=Counter({baseline_ms if i < 10 else slow_ms: 50})) for i in range(20)
    ]
    readers = Totals(peers=9, connected=9)
    slow = Totals(peers=1, connected=1, gaps=1)
    run = run_of(
        "slow-readers",
        seconds,
        [readers],
        {"phases": {"baseline": 100, "slow": 110, "after": 120, "end": 120}},
    )
    run.slow_totals = [slow]
    return run


def test_slow_readers_allow_ten_percent_and_one_millisecond() -> None:
    args = argparse.Namespace(tolerance=0.10, slow_every=10)
    for slow_ms, ok in ((111, True), (112, False), (90, True)):
        run = slow_run(100, slow_ms)
        verdicts.judge(args, run)
        assert check(run, "readers' lag p99 unchanged") is ok, slow_ms
        assert check(run, "readers' lag p50 unchanged") is ok, slow_ms
        assert check(run, "the writer policy reached the slow readers")


def test_the_storm_wants_everyone_back_within_the_bound() -> None:
    args = argparse.Namespace(catch_up_target=10.0)
    for slowest_ms, back, ok in ((9_990, 2, True), (10_010, 2, False), (5_000, 1, False)):
        t = Totals(peers=2, connected=2, reconnected=back, catch_up=Counter({1_000: back - 1, slowest_ms: 1}))
        run = run_of("reconnect-storm", [], [t], {})
        verdicts.judge(args, run)
        assert check(run, "every client caught up") is ok, (slowest_ms, back)
        assert check(run, "everyone back") is (back == 2)


def test_capacity_counts_only_steps_within_every_limit() -> None:
    args = argparse.Namespace(lag_limit=250.0, hold=4.0, max_connections=14_000, workers=4, step=2_000)
    step = {
        "events": 1,
        "p50": 10.0,
        "errors": 0,
        "failed": 0,
        "connect_s": 1.0,
        "c0": 0,
        "t0": 0,
        "t1": 0,
        "added": 2_000,
    }
    steps = [
        step | {"connections": 8_000, "p99": 200.0},
        step | {"connections": 10_000, "p99": 240.0, "failed": 3},  # a failed connection: not held
        step | {"connections": 12_000, "p99": 260.0},
    ]
    run = run_of("capacity", [], [], {"steps": steps, "stop": "lag"})
    verdicts.judge(args, run)
    held = next(c for c in run.result["checks"] if c.name == "connections held on one hub process")
    assert held.measured.startswith("8,000") and not held.met
    run = run_of("capacity", [], [], {"steps": [step | {"connections": 10_000, "p99": 250.0}], "stop": "max"})
    verdicts.judge(args, run)
    assert check(run, "connections held on one hub process")


def soak_run(rss: list[float], fds: list[float], tasks: list[float]) -> Run:
    """One hub sampled every 200 s (half an hour) at 100 connections (one sample mid-run at 97: a
    reconnect wave, left out of the floors), two votes of 100 acks, one wave back."""
    samples = [
        {
            "t": 200.0 * i,
            "hubs": [{"pid": 1, "rss_mb": r, "fds": f, "tasks": k, "conns": 97.0 if i == 4 else 100.0}],
            "redis_mb": 5.0,
            "redis_clients": 8.0,
        }
        for i, (r, f, k) in enumerate(zip(rss, fds, tasks, strict=True))
    ]
    t = Totals(peers=100, connected=100)
    return run_of(
        "soak",
        [Second(0, conns=100)],
        [t],
        {
            "connected": 100,
            "stored": [],
            "samples": samples,
            "phases": {"go": 0.0, "end": 200.0 * len(rss)},
            "votes": [{"vote": "v-0", "acks": 100}, {"vote": "v-1", "acks": 100}],
            "waves": [{"t": 30.0, "dropped": 3, "all_back": True}],
        },
    )


def test_the_soak_wants_memory_flat_and_no_task_or_fd_leaked() -> None:
    args = argparse.Namespace(sample_every=200.0, reconnect_share=0.03)
    flat = [100.0, 110, 112, 111, 112, 112, 111, 112, 112]  # warm-up in the first third only
    fds = [120.0, 125, 121, 130, 500, 122, 121, 126, 121]  # the 500 at 97 connections: not a floor
    run = soak_run(flat, fds, fds)
    verdicts.judge(args, run)
    assert all(c.met for c in run.result["checks"]), run.result["checks"]
    assert "| 0 |" in run.result["sections"][0] and "soak.png" in run.result["sections"][0]

    growing = [100.0 + 3 * i for i in range(9)]  # 3 MiB every 200 s: 54 MiB an hour
    run = soak_run(growing, fds, fds)
    verdicts.judge(args, run)
    assert not check(run, "hub 0: memory flat")

    leaking = [120.0 + 20 * i for i in range(9)]  # 20 more every sample, at the same connections
    run = soak_run(flat, leaking, fds)
    verdicts.judge(args, run)
    assert not check(run, "hub 0: fds back to their floor") and check(run, "hub 0: tasks back to their floor")


def test_the_soak_slope_is_least_squares_per_hour() -> None:
    assert abs(verdicts.rss_slope([(0.0, 100.0), (1800.0, 110.0), (3600.0, 120.0)]) - 20.0) < 1e-9
    assert verdicts.leak_slack(100) == 10 and verdicts.leak_slack(3000) == 30


def test_the_report_says_how_many_events_each_broadcast_frame_held() -> None:
    none = dict.fromkeys(report.POLICY_COUNTERS + report.BROADCAST_COUNTERS, 0.0)
    counters = none | {
        "plenary_frames_out_total": 4_000.0,
        "plenary_events_out_total": 10_000.0,
        "plenary_fanout_writes_total": 2_500.0,
    }
    policy, broadcast = report.hub_counter_lines(counters)
    assert "`plenary_slow_aborts_total` 0" in policy and "plenary_frames_out_total` 4" not in policy
    assert "4,000 frames written holding 10,000 events, 2.50 events a frame" in broadcast
    assert "in 2,500 writes, 1.60 frames a write" in broadcast
    # a hub from before the joint writes (no such counter): the frames alone
    _policy, older = report.hub_counter_lines(counters | {"plenary_fanout_writes_total": 0.0})
    assert "writes" not in older
    # no frame written (a hub that did not answer its /metrics): no ratio, only the policy
    assert report.hub_counter_lines(none)[1:] == []


def test_the_summary_says_when_the_generator_had_no_time_left() -> None:
    def with_swarm(cpu: list[float]) -> Run:
        run = run_of("plenary-burst", [Second(0)], [], {})
        run.resources = [{"sec": i, "swarm": {"cpu": c, "mb": 50.0}} for i, c in enumerate(cpu)]
        return run

    busy = report.generator_busy(with_swarm([20.0, 94.0, 95.0, 96.0, 99.0]))
    assert busy == "; the generator used 95% of a core (median): its own wait is in the latencies"
    assert report.generator_busy(with_swarm([20.0, 50.0, 84.0, 99.0, 99.0])) == ""  # median 84
    assert report.generator_busy(run_of("plenary-burst", [Second(0)], [], {})) == ""  # not sampled
