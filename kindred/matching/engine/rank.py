"""Matches for every member of a circle: relevance × trust, exclusions, diversity, explanations.

Pure Python + numpy, no Django imports. kindred.matching.selectors feeds it cards and edges and stores
what it returns.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from .text import DEFAULT_FUSION, CardText, Lexicon, TermMatch, TextIndex
from .trust import LinkPredictor, TrustGraph, top_k

MATCHES_PER_MEMBER = 10
MIN_RELEVANCE = 0.05  # below this, trust alone does not make a match
TRUST_FLOOR = 0.5  # a stranger with a perfect fit keeps half the score of a well-connected one
TRUST_HALF = 0.25  # the trust score at which the trust factor is half-way between floor and 1
HUB_ALPHA = 0.5  # how hard a member on everyone's raw list is pushed down (0: not at all)
ORGANIZER_PAIRS = 30
ORGANIZER_PAIRS_PER_MEMBER = 3  # a member appears in at most this many of the organizer's pairs


@dataclass(frozen=True)
class Person:
    """What the ranking needs of a member besides the text: city and industry names, for explanations."""

    key: int
    city: str = ""
    industries: tuple[str, ...] = ()  # industry codes (or names): shared ones are explained


@dataclass(frozen=True)
class Match:
    member: int
    other: int
    score: float  # what the list is ordered by
    relevance: float  # reciprocal text relevance, 0..1
    trust: float  # the link-prediction score of the pair (0: no one in common within three edges)
    they_offer: tuple[TermMatch, ...]  # member's needs met by other's offers
    you_offer: tuple[TermMatch, ...]  # other's needs met by member's offers
    seeks_clients: str = ""  # other's need for clients, which member's needs answer ("客户")
    you_seek_clients: str = ""  # member's need for clients, which other's needs answer
    path: tuple[int, ...] = ()  # member — … — other, shortest and strongest, at most three edges
    shared_city: str = ""
    shared_industries: tuple[str, ...] = ()


@dataclass
class Result:
    matches: dict[int, list[Match]] = field(default_factory=dict)  # member → best first
    pairs: list[Match] = field(default_factory=list)  # the organizer's best unconnected pairs


def trust_factor(trust: np.ndarray) -> np.ndarray:
    return TRUST_FLOOR + (1.0 - TRUST_FLOOR) * trust / (trust + TRUST_HALF)


def _pair_key(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


class Ranker:
    def __init__(
        self,
        cards: Sequence[CardText],
        people: Sequence[Person],
        edges: Iterable[tuple[int, int, float]],
        lexicon: Lexicon,
        *,
        excluded: Iterable[tuple[int, int]] = (),
        fusion: str = DEFAULT_FUSION,
        embedder: object = None,
    ) -> None:
        self.index = TextIndex(cards, lexicon, embedder=embedder)
        self.keys = self.index.keys
        self.people = {p.key: p for p in people}
        row = self.index.row
        dense = [(row[a], row[b], w) for a, b, w in edges if a in row and b in row]
        self.graph = TrustGraph(len(self.keys), dense)
        self.predictor = LinkPredictor(self.graph)
        self.excluded = {_pair_key(a, b) for a, b in excluded}
        for a, b, _w in edges:  # existing ties are never suggested
            self.excluded.add(_pair_key(a, b))
        self.fusion = fusion

    # --- scores -----------------------------------------------------------------------------------------

    def _mask(self) -> np.ndarray:
        """True where a pair may be suggested."""
        n = len(self.keys)
        ok = np.ones((n, n), dtype=bool)
        np.fill_diagonal(ok, False)
        row = self.index.row
        for a, b in self.excluded:
            if a in row and b in row:
                ok[row[a], row[b]] = ok[row[b], row[a]] = False
        return ok

    def scores(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(relevance, trust, combined) as dense n×n arrays; combined is 0 where not allowed."""
        relevance = self.index.reciprocal(self.fusion)
        n = len(self.keys)
        trust = np.asarray(self.predictor.base_matrix().todense()) if n else np.zeros((0, 0))
        combined = relevance * trust_factor(trust)
        combined[(relevance < MIN_RELEVANCE) | ~self._mask()] = 0.0
        return relevance, trust, combined

    # --- results ----------------------------------------------------------------------------------------

    def run(self, k: int = MATCHES_PER_MEMBER, organizer_pairs: int = ORGANIZER_PAIRS) -> Result:
        relevance, trust, combined = self.scores()
        n = len(self.keys)
        result = Result()
        if n == 0:
            return result
        # Diversity: a member on many raw top-k lists is pushed down on each of them.
        raw_top = [top_k(combined[i], k) for i in range(n)]
        popularity = np.zeros(n)
        for i, idx in enumerate(raw_top):
            popularity[idx[combined[i, idx] > 0]] += 1
        damp = (k / np.maximum(popularity, k)) ** HUB_ALPHA
        adjusted = combined * damp[np.newaxis, :]
        for i in range(n):
            chosen = [int(j) for j in top_k(adjusted[i], k) if adjusted[i, j] > 0]
            paths = self.graph.paths_from(i, chosen)
            result.matches[self.keys[i]] = [
                self._match(i, j, float(adjusted[i, j]), relevance, trust, paths.get(j)) for j in chosen
            ]
        result.pairs = self._organizer_pairs(relevance, trust, combined, organizer_pairs)
        return result

    def _organizer_pairs(
        self, relevance: np.ndarray, trust: np.ndarray, combined: np.ndarray, limit: int
    ) -> list[Match]:
        upper = np.triu(combined, k=1)
        rows, cols = np.nonzero(upper)
        order = np.lexsort((cols, rows, -upper[rows, cols]))
        seen: dict[int, int] = {}
        out: list[Match] = []
        for idx in order:
            i, j = int(rows[idx]), int(cols[idx])
            if seen.get(i, 0) >= ORGANIZER_PAIRS_PER_MEMBER or seen.get(j, 0) >= ORGANIZER_PAIRS_PER_MEMBER:
                continue
            seen[i] = seen.get(i, 0) + 1
            seen[j] = seen.get(j, 0) + 1
            path = self.graph.paths_from(i, [j]).get(j)
            out.append(self._match(i, j, float(upper[i, j]), relevance, trust, path))
            if len(out) >= limit:
                break
        return out

    def _match(
        self, i: int, j: int, score: float, relevance: np.ndarray, trust: np.ndarray, path: object
    ) -> Match:
        a, b = self.keys[i], self.keys[j]
        pa, pb = self.people.get(a, Person(a)), self.people.get(b, Person(b))
        city = pa.city if pa.city and pa.city == pb.city else ""
        shared = tuple(x for x in pa.industries if x in pb.industries)
        nodes = getattr(path, "nodes", ())
        they_offer = tuple(self.index.matched_terms(a, b))
        you_offer = tuple(self.index.matched_terms(b, a))
        return Match(
            member=a,
            other=b,
            score=score,
            relevance=float(relevance[i, j]),
            trust=float(trust[i, j]),
            they_offer=they_offer,
            you_offer=you_offer,
            seeks_clients=self.index.client_word(b) if they_offer else "",
            you_seek_clients=self.index.client_word(a) if you_offer else "",
            path=tuple(self.keys[x] for x in nodes),
            shared_city=city,
            shared_industries=shared,
        )
