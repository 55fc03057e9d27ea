"""Suggested groupings of the tables' cards for the theme team (issue 15): pure, no I/O.

A card is a short text a facilitator typed ("버스 배차 간격을 줄여 주세요"). Korean has no spaces
between a stem and its endings, so words rarely match whole ("간격을" / "간격이"); character
n-grams do (``간격`` is in both). So: each card a TF-IDF vector of its 2- and 3-character n-grams
within words (scikit-learn's ``char_wb``, no tokenizer, English alike), cosine distance between
cards, and average-linkage agglomerative clustering cut at a distance threshold (no number of
groups to guess). Groups of one are no suggestion and are left out.

Deterministic: the cards are sorted by id before anything else, ties broken by id, so the same
cards give the same groups whatever order they came in. Fast enough live: 900 cards in tens of
milliseconds (``loadtest/bench_suggest.py``, docs/performance.md "Issue 15: theme suggestions").

The theme team only ever *accepts* a suggestion (it becomes a draft theme); nothing here decides.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np

THRESHOLD: Final = 0.8
"""Average cosine distance at which two groups stop joining: 0.8 keeps cards that share a few
n-grams of their key words ("배차 간격") together and leaves unrelated ones apart; tuned on the
Korean examples of ``tests/unit/tables/test_suggest.py``."""

MAX_CARDS: Final = 3000
"""The most cards one suggestion takes (300 tables, 3 cards a step, a few steps); the clustering is
quadratic in memory, 3,000 cards about 70 MB for the distances."""


@dataclass(frozen=True)
class Card:
    """What a suggestion needs of a card: its id and text (the table is kept for the caller)."""

    id: str
    text: str


@dataclass(frozen=True)
class Group:
    """One suggested theme: its cards (ids, in id order) and a title to start from, the text of
    the card most like the others (the one closest to the group's centre)."""

    title: str
    cards: tuple[str, ...]


def normalise(text: str) -> str:
    """NFKC and lower case, spaces collapsed: full-width letters, compatibility jamo and case do
    not make two cards differ."""
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


def suggest(cards: Iterable[Card], threshold: float = THRESHOLD) -> list[Group]:
    """Groups of two or more similar cards, largest first (then by first card id). Cards with the
    same id count once (the first). Cards with no text of two characters belong to no group."""
    unique: dict[str, Card] = {}
    for card in cards:
        unique.setdefault(card.id, card)
    ordered = sorted(unique.values(), key=lambda c: c.id)[:MAX_CARDS]
    texts = [normalise(c.text) for c in ordered]
    usable = [i for i, t in enumerate(texts) if len(t.replace(" ", "")) >= 2]
    if len(usable) < 2:
        return []
    vectors = _vectors([texts[i] for i in usable])
    labels = _cluster(vectors, threshold)
    groups: dict[int, list[int]] = {}
    for row, label in enumerate(labels):
        groups.setdefault(int(label), []).append(row)
    out = [
        Group(
            _title([ordered[usable[r]] for r in rows], vectors[rows]),
            tuple(ordered[usable[r]].id for r in rows),
        )
        for rows in groups.values()
        if len(rows) >= 2
    ]
    out.sort(key=lambda g: (-len(g.cards), g.cards[0]))
    return out


def _vectors(texts: Sequence[str]) -> np.ndarray:
    """Unit-length TF-IDF rows of the texts' 2-3 character n-grams (dense: a few thousand rows of
    a few thousand n-grams is small, and the clustering wants the pairwise distances anyway).
    scikit-learn is imported here, not with the module: it takes seconds to import on a busy
    machine, and a hub must not start that much slower for a command the theme team sends rarely."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vec = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 3), sublinear_tf=True, norm="l2")
    matrix = vec.fit_transform(texts)
    return np.asarray(matrix.todense(), dtype=np.float64)


def _cluster(vectors: np.ndarray, threshold: float) -> np.ndarray:
    """Average-linkage clusters on the precomputed cosine distances (1 - dot of unit rows), cut
    where the groups' average distance reaches ``threshold``."""
    from sklearn.cluster import AgglomerativeClustering

    distances = np.clip(1.0 - vectors @ vectors.T, 0.0, 2.0)
    np.fill_diagonal(distances, 0.0)
    model = AgglomerativeClustering(
        n_clusters=None, metric="precomputed", linkage="average", distance_threshold=threshold
    )
    return np.asarray(model.fit_predict(distances))


def _title(cards: Sequence[Card], vectors: np.ndarray) -> str:
    """The text of the card nearest the group's centre; the first in id order on a tie."""
    centre = vectors.mean(axis=0)
    scores = vectors @ centre
    best = int(np.argmax(scores))  # argmax takes the first of equal scores: id order
    return " ".join(cards[best].text.split())
