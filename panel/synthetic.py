"""A synthetic applicant pool drawn from Seoul's population shares, for tests, the benchmark and the demo.

Each applicant's (gender, age band, district) cell is drawn independently with probability equal to
the cell's share of the city's adults (``panel.population``), so a large pool looks like the city
and the population quotas are comfortably feasible. Real pools are skewed (who applies is not
random); tests that need a skew build their pools by hand.

The pool is a function of ``(n, seed)`` only: ``random.Random(seed)`` drives every choice and the
cells are taken in a fixed order. Names are invented from common Korean syllables; emails use the
reserved ``example.org`` domain so that no real address is ever generated.
"""

from __future__ import annotations

import itertools
import random
from typing import Final

from panel.applicants import Applicant
from panel.population import Population, seoul_population

# The most common surnames, weighted roughly by frequency, and given-name syllables: for realistic
# looking demo data only.
_SURNAMES: Final = (
    ("김", 21),
    ("이", 15),
    ("박", 8),
    ("최", 5),
    ("정", 5),
    ("강", 2),
    ("조", 2),
    ("윤", 2),
    ("장", 2),
    ("임", 2),
    ("한", 1),
    ("오", 1),
    ("서", 1),
    ("신", 1),
    ("권", 1),
    ("황", 1),
    ("안", 1),
    ("송", 1),
    ("류", 1),
    ("전", 1),
)
_SYLLABLES: Final = "민서지현준영수진하은도윤예우성희경미정호재유연아태혜"


def synthetic_pool(
    n: int, seed: int, *, population: Population | None = None, id_prefix: str = "A"
) -> list[Applicant]:
    """``n`` applicants with ids ``A000001``... whose cells follow the city's shares, deterministic in ``seed``."""
    if n < 0:
        raise ValueError("n must be >= 0")
    pop = population if population is not None else seoul_population()
    cells = list(pop.counts)
    cumulative = list(itertools.accumulate(pop.counts[c] for c in cells))
    rng = random.Random(seed)
    drawn = rng.choices(cells, cum_weights=cumulative, k=n)
    surnames = [s for s, _ in _SURNAMES]
    surname_weights = [w for _, w in _SURNAMES]
    width = max(6, len(str(n)))
    pool: list[Applicant] = []
    for i, cell in enumerate(drawn, start=1):
        name = (
            rng.choices(surnames, weights=surname_weights)[0]
            + rng.choice(_SYLLABLES)
            + rng.choice(_SYLLABLES)
        )
        applicant_id = f"{id_prefix}{i:0{width}d}"
        pool.append(
            Applicant(
                applicant_id=applicant_id,
                name=name,
                gender=cell.gender,
                age_band=cell.age_band,
                district=cell.district,
                email=f"{applicant_id.lower()}@example.org",
            )
        )
    return pool
