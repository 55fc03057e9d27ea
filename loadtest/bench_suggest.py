"""Benchmark: the theme team's suggested groupings (``tables.suggest``) over a session's cards.

    python -m loadtest.bench_suggest [--cards 900] [--repeats 3] [--seed 1]

900 cards is 300 tables x 3 cards, one step of the 3,000-person plenary. The cards are synthetic
Korean ideas: a topic phrase (버스 배차, 어린이집 대기...) with a table's own wording around it
(particles, endings, a place), so near-duplicates exist as at real tables. Each repeat is one
``suggest`` call on the same cards (the first also pays scikit-learn's import, timed apart).
Wall and process CPU time are printed: on a shared 2-core machine the difference is time spent
waiting for a core; CPU time is the figure to compare between runs.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Sequence

from tables.suggest import Card, suggest

TOPICS = (
    "버스 배차 간격", "마을버스 노선", "지하철 막차 시간", "어린이집 대기", "국공립 어린이집", "공원 쓰레기",
    "미세먼지 저감", "청년 월세 지원", "노인 일자리", "골목길 가로등", "자전거 도로", "공공 도서관 운영 시간",
    "학교 앞 안전", "주차 공간 부족", "응급실 대기", "분리수거 교육", "장애인 이동권", "소상공인 임대료",
    "공공 와이파이", "층간 소음",
)  # fmt: skip
PLACES = ("우리 동네", "강서구", "노원구", "마포구", "송파구", "역 앞", "아파트 단지", "시장 근처", "")
ENDINGS = (
    "을 줄여 주세요",
    "이 너무 길어요",
    "를 늘려 주세요",
    " 개선이 필요합니다",
    " 문제가 심각해요",
    " 확대",
    "",
)


def synthetic_cards(n: int, seed: int) -> list[Card]:
    rnd = random.Random(seed)
    cards = []
    for i in range(n):
        text = " ".join(p for p in (rnd.choice(PLACES), rnd.choice(TOPICS) + rnd.choice(ENDINGS)) if p)
        cards.append(Card(f"t{i // 3 + 1}-{i + 1}", text))
    return cards


def _line(label: str, values: Sequence[float]) -> str:
    spread = statistics.stdev(values) if len(values) > 1 else 0.0
    return (
        f"{label}: median {statistics.median(values) * 1000:.0f} ms, min {min(values) * 1000:.0f} ms, "
        f"max {max(values) * 1000:.0f} ms, stdev {spread * 1000:.0f} ms"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cards", type=int, default=900, help="cards (default 900: 300 tables x 3)")
    parser.add_argument("--repeats", type=int, default=3, help="suggest calls (default 3)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the synthetic cards")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    import sklearn.cluster
    import sklearn.feature_extraction.text  # noqa: F401

    print(f"scikit-learn import: {(time.perf_counter() - started) * 1000:.0f} ms (once per hub)")
    cards = synthetic_cards(args.cards, args.seed)
    walls: list[float] = []
    cpus: list[float] = []
    groups = []
    for _ in range(args.repeats):
        w, c = time.perf_counter(), time.process_time()
        groups = suggest(cards)
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    grouped = sum(len(g.cards) for g in groups)
    print(f"{len(cards)} cards: {len(groups)} groups holding {grouped} cards; {args.repeats} repeat(s)")
    print(_line("wall", walls))
    print(_line("cpu ", cpus))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
