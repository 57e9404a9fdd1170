"""Matches for every member of a circle: relevance × trust, exclusions, diversity, explanations.

Pure Python + numpy, no Django imports. kindred.matching.selectors feeds it cards and edges and stores
what it returns.

Scale: one n × n array (the combined score, float64: 200 MB at 5 000 members) is held; relevance and trust
are computed a block of rows at a time, and for the chosen pairs only. The trust score's variant is given
(the circle's choice, made in the background once per version of its ties); the ranker never tunes it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from .text import DEFAULT_FUSION, CardText, Lexicon, TermMatch, TextIndex
from .trust import DEFAULT_VARIANT, LinkPredictor, TrustGraph, TrustPath, row_blocks, top_positive

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
        trust_variant: tuple[str, str] = DEFAULT_VARIANT,
    ) -> None:
        self.index = TextIndex(cards, lexicon, embedder=embedder)
        self.keys = self.index.keys
        self.people = {p.key: p for p in people}
        row = self.index.row
        edges = list(edges)
        self.tie_edges = edges  # as given: their version (trust.edges_version) names the variant's choice
        dense = [(row[a], row[b], w) for a, b, w in edges if a in row and b in row]
        self.graph = TrustGraph(len(self.keys), dense)
        self.trust_variant = trust_variant
        self.excluded = {_pair_key(a, b) for a, b in excluded}
        for a, b, _w in edges:  # existing ties are never suggested
            self.excluded.add(_pair_key(a, b))
        self.fusion = fusion

    @property
    def predictor(self) -> LinkPredictor:
        """The trust score with the ranker's variant (set trust_variant before run() to change it)."""
        cached: LinkPredictor | None = self.__dict__.get("_predictor")
        if cached is None or cached.variant != self.trust_variant:
            cached = LinkPredictor(self.graph, variant=self.trust_variant)
            self.__dict__["_predictor"] = cached
        return cached

    # --- scores -----------------------------------------------------------------------------------------

    def _excluded_rows(self) -> tuple[np.ndarray, np.ndarray]:
        row = self.index.row
        pairs = [(row[a], row[b]) for a, b in self.excluded if a in row and b in row]
        arr = np.array(pairs, dtype=np.int64).reshape(-1, 2)
        return np.concatenate([arr[:, 0], arr[:, 1]]), np.concatenate([arr[:, 1], arr[:, 0]])

    def combined(self) -> np.ndarray:
        """The dense n × n score by which lists are ordered (relevance × trust factor), 0 where a pair may
        not be suggested (itself, a tie, an excluded pair, relevance below MIN_RELEVANCE). Computed a block
        of rows at a time: only this one n × n array is ever held."""
        n = len(self.keys)
        out = np.zeros((n, n))
        predictor = self.predictor
        for rows in row_blocks(np.arange(n), n):
            relevance = self.index.reciprocal_rows(rows, self.fusion)
            block = relevance * trust_factor(predictor.base_rows(rows))
            block[relevance < MIN_RELEVANCE] = 0.0
            out[rows] = block
        np.fill_diagonal(out, 0.0)
        ex_a, ex_b = self._excluded_rows()
        out[ex_a, ex_b] = 0.0
        return out

    def scores(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(relevance, trust, combined) as dense n×n arrays; combined is 0 where not allowed. For small
        circles and inspection: run() holds only the combined array."""
        relevance = self.index.reciprocal(self.fusion)
        n = len(self.keys)
        trust = self.predictor.base_rows(np.arange(n)) if n else np.zeros((0, 0))
        return relevance, trust, self.combined()

    # --- results ----------------------------------------------------------------------------------------

    def run(self, k: int = MATCHES_PER_MEMBER, organizer_pairs: int = ORGANIZER_PAIRS) -> Result:
        n = len(self.keys)
        result = Result()
        if n == 0:
            return result
        scores = self.combined()
        # Diversity: a member on many raw top-k lists is pushed down on each of them.
        popularity = np.zeros(n)
        for i in range(n):
            popularity[top_positive(scores[i], k)] += 1
        pair_rows, pair_cols, pair_scores = self._organizer_choice(scores, organizer_pairs)
        damp = (k / np.maximum(popularity, k)) ** HUB_ALPHA
        scores *= damp[np.newaxis, :]  # now the adjusted score
        members: list[tuple[int, int, float]] = []
        for i in range(n):
            members.extend((i, j, float(scores[i, j])) for j in top_positive(scores[i], k).tolist())
        del scores
        chosen = members + list(
            zip(pair_rows.tolist(), pair_cols.tolist(), pair_scores.tolist(), strict=True)
        )
        xs = np.array([i for i, _j, _s in chosen], dtype=np.int64)
        ys = np.array([j for _i, j, _s in chosen], dtype=np.int64)
        relevance = self.index.reciprocal_pairs(xs, ys, self.fusion) if len(xs) else np.zeros(0)
        trust = self.predictor.base_scores(xs, ys) if len(xs) else np.zeros(0)
        paths = self.graph.paths_many(xs, ys)
        matches = [
            self._match(i, j, s, float(relevance[p]), float(trust[p]), paths.get((i, j)))
            for p, (i, j, s) in enumerate(chosen)
        ]
        for i in range(n):
            result.matches[self.keys[i]] = []
        for m in matches[: len(members)]:
            result.matches[m.member].append(m)
        result.pairs = matches[len(members) :]
        return result

    def _organizer_choice(self, scores: np.ndarray, limit: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The organizer's best unconnected pairs (i < j, best first, ties: smaller i then j), a member in at
        most ORGANIZER_PAIRS_PER_MEMBER of them: (rows, cols, scores). Looks at the best few thousand
        pairs first, and further only when the per-member cap leaves too few."""
        n = len(scores)
        flat = scores.ravel()
        nonzero = np.flatnonzero(flat > 0)
        positive = len(nonzero)
        want = max(4 * limit * ORGANIZER_PAIRS_PER_MEMBER, 2048)
        while True:
            take = min(2 * want, positive)
            idx = nonzero[np.argpartition(-flat[nonzero], take - 1)[:take]] if take < positive else nonzero
            rows, cols = idx // n, idx % n
            upper = rows < cols
            rows, cols = rows[upper], cols[upper]
            vals = scores[rows, cols]
            order = np.lexsort((cols, rows, -vals))
            seen: dict[int, int] = {}
            out: list[int] = []
            for p in order.tolist():
                i, j = int(rows[p]), int(cols[p])
                if vals[p] <= 0:
                    break
                if (
                    seen.get(i, 0) >= ORGANIZER_PAIRS_PER_MEMBER
                    or seen.get(j, 0) >= ORGANIZER_PAIRS_PER_MEMBER
                ):
                    continue
                seen[i] = seen.get(i, 0) + 1
                seen[j] = seen.get(j, 0) + 1
                out.append(p)
                if len(out) >= limit:
                    break
            # Exact once every pair that scores at all was looked at, or the last one taken beats every
            # pair left out (those are at most the smallest value looked at).
            if len(out) >= limit or take >= positive:
                sel = np.array(out, dtype=np.int64)
                return rows[sel], cols[sel], vals[sel]
            want *= 4

    def _match(
        self, i: int, j: int, score: float, relevance: float, trust: float, path: TrustPath | None
    ) -> Match:
        a, b = self.keys[i], self.keys[j]
        pa, pb = self.people.get(a, Person(a)), self.people.get(b, Person(b))
        city = pa.city if pa.city and pa.city == pb.city else ""
        shared = tuple(x for x in pa.industries if x in pb.industries)
        nodes = path.nodes if path is not None else ()
        they_offer = tuple(self.index.matched_terms(a, b))
        you_offer = tuple(self.index.matched_terms(b, a))
        return Match(
            member=a,
            other=b,
            score=score,
            relevance=relevance,
            trust=trust,
            they_offer=they_offer,
            you_offer=you_offer,
            seeks_clients=self.index.client_word(b) if they_offer else "",
            you_seek_clients=self.index.client_word(a) if you_offer else "",
            path=tuple(self.keys[x] for x in nodes),
            shared_city=city,
            shared_industries=shared,
        )
