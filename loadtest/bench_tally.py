"""Time every tally on a plenary-sized vote, next to pref_voting on the same profile.

Run: ``python -m loadtest.bench_tally [--voters 3000] [--repeats 15] [--oracle-repeats 3] [--no-oracle]``

Two scenarios: 30 proposals with top-10 ballots, 50 proposals fully ranked. Ballots are drawn from a
Plackett-Luce model (a popularity per proposal plus Gumbel noise per voter, seeded), which gives
realistic near-ties without the exact dead heats of uniform random rankings. Each line is the median
of ``--repeats`` runs with the fastest and slowest beside it. The pref_voting column runs the
matching function with the same conventions (extended strict preference for truncated ballots,
domination Borda, the same tie-break) and the last column says whether its winner agrees with ours:
a benchmark that silently compared different rules would be worthless. pref_voting is imported only
here and in the tests: it is the oracle, never the live path.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from ballot.tally import (
    Ballots,
    ballots_from_ids,
    borda,
    copeland,
    instant_runoff,
    pairwise_matrix,
    ranked_pairs,
    schulze,
    tally_all,
)


def draw_rankings(voters: int, proposals: int, top: int, seed: int) -> list[list[str]]:
    """Plackett-Luce ballots as lists of proposal ids, best first, each ``top`` long."""
    rng = np.random.default_rng(seed)
    popularity = rng.normal(0.0, 1.0, proposals)
    utility = popularity[None, :] + rng.gumbel(0.0, 1.0, (voters, proposals))
    order = np.argsort(-utility, axis=1)[:, :top]
    return [[f"P{p:02d}" for p in row] for row in order.tolist()]


def timed(fn: Callable[[], Any], repeats: int) -> tuple[list[float], Any]:
    """Wall times in ms of ``repeats`` calls (after one warm-up call) and the last result."""
    result = fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t0) * 1000)
    return times, result


def fmt(times: list[float] | None) -> str:
    if not times:
        return "-"
    return f"{statistics.median(times):9.2f} [{min(times):.2f}-{max(times):.2f}]"


def oracle_profile(rankings: list[list[str]], ids: list[str], full: bool) -> Any:
    """The same ballots as a pref_voting profile: ``Profile`` when complete, else ``ProfileWithTies``."""
    from pref_voting.profiles import Profile
    from pref_voting.profiles_with_ties import ProfileWithTies

    index = {pid: i for i, pid in enumerate(ids)}
    idx = [[index[pid] for pid in r] for r in rankings]
    if full:
        return Profile(idx)
    prof = ProfileWithTies(
        [{c: pos for pos, c in enumerate(r)} for r in idx], candidates=list(range(len(ids)))
    )
    prof.use_extended_strict_preference()  # our truncation rule: ranked beats unranked
    return prof


def oracle_calls(prof: Any, m: int, full: bool) -> dict[str, Callable[[], list[int]]]:
    from pref_voting.iterative_methods import instant_runoff_tb
    from pref_voting.margin_based_methods import beat_path, ranked_pairs_tb
    from pref_voting.scoring_methods import borda as pv_borda
    from pref_voting.scoring_methods import borda_for_profile_with_ties, domination_borda_scores
    from pref_voting.voting_methods import copeland as pv_copeland

    tb = list(range(m))
    calls: dict[str, Callable[[], list[int]]] = {
        "copeland": lambda: pv_copeland(prof),
        "schulze": lambda: beat_path(prof),
        "ranked_pairs": lambda: ranked_pairs_tb(prof, tie_breaker=tb),
        # pref_voting eliminates tie_breaker[0] first; ours eliminates the last of the order first.
        "instant_runoff": lambda: instant_runoff_tb(prof, tie_breaker=tb[::-1]),
    }
    if full:
        calls["borda"] = lambda: pv_borda(prof)
    else:
        calls["borda"] = lambda: borda_for_profile_with_ties(prof, borda_scores=domination_borda_scores)
    return calls


def scenario(
    name: str, voters: int, m: int, top: int, repeats: int, oracle_repeats: int, seed: int
) -> list[tuple[str, str, str, str]]:
    ids = [f"P{p:02d}" for p in range(m)]
    rankings = draw_rankings(voters, m, top, seed)
    rows: list[tuple[str, str, str, str]] = []

    t_build, ballots = timed(lambda: ballots_from_ids(rankings, ids), repeats)
    assert isinstance(ballots, Ballots)
    t_pw, p = timed(lambda: pairwise_matrix(ballots), repeats)
    ours: dict[str, tuple[list[float], Any]] = {
        "borda": timed(lambda: borda(p), repeats),
        "copeland": timed(lambda: copeland(p), repeats),
        "schulze": timed(lambda: schulze(p), repeats),
        "ranked_pairs": timed(lambda: ranked_pairs(p), repeats),
        "instant_runoff": timed(lambda: instant_runoff(ballots), repeats),
    }
    t_all, _ = timed(lambda: tally_all(ballots, ids), repeats)

    prof = None
    t_prof: list[float] | None = None
    if oracle_repeats:
        t0 = time.perf_counter()
        prof = oracle_profile(rankings, ids, full=top == m)
        t_prof = [(time.perf_counter() - t0) * 1000]
    rows.append((f"{name}: pack ballots", fmt(t_build), fmt(t_prof), ""))
    rows.append((f"{name}: pairwise matrix", fmt(t_pw), "", ""))
    calls = oracle_calls(prof, m, full=top == m) if prof is not None else {}
    for method, (times, result) in ours.items():
        pv_times: list[float] | None = None
        agree = ""
        if method in calls:
            pv_times, pv_winners = timed(calls[method], oracle_repeats)
            mine = result.winners if method in ("borda", "copeland", "schulze") else result.resolved[:1]
            agree = "yes" if sorted(pv_winners) == sorted(mine) else f"NO {pv_winners} vs {mine}"
        rows.append((f"{name}: {method}", fmt(times), fmt(pv_times), agree))
    rows.append((f"{name}: tally_all (incl. matrix)", fmt(t_all), "", ""))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--voters", type=int, default=3000)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--oracle-repeats", type=int, default=3)
    parser.add_argument("--no-oracle", action="store_true", help="skip pref_voting (it takes a minute)")
    parser.add_argument("--seed", type=int, default=20201018)
    args = parser.parse_args()
    oracle_repeats = 0 if args.no_oracle else max(1, args.oracle_repeats)

    rows = scenario("30 top-10", args.voters, 30, 10, args.repeats, oracle_repeats, args.seed)
    rows += scenario("50 full", args.voters, 50, 50, args.repeats, oracle_repeats, args.seed + 1)

    head = ("step", "ours ms: median [min-max]", "pref_voting ms", "same winner")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(4)]
    print(f"{args.voters} voters; ours x{args.repeats}, pref_voting x{oracle_repeats} (after one warm-up)")
    for r in [head, tuple("-" * w for w in widths), *rows]:
        print(" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))
    if oracle_repeats:
        print(
            "pref_voting: 'pack ballots' is building its profile (ProfileWithTies with extended strict\n"
            "preference for top-k ballots, Profile for complete ones), timed once; its methods return\n"
            "winners only (ranked_pairs_tb returns a Condorcet winner without locking any pair), ours\n"
            "the full order and its explanation."
        )


if __name__ == "__main__":
    main()
