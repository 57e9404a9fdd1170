"""The trust graph, its link-prediction score and trust paths. Pure numpy/scipy, no Django imports.

Nodes are dense indices 0..n-1; edges carry a weight (a confirmed tie 1.0, an introduction 0.6 …, see
kindred.matching.models). The trust score of a pair (x, y) is in the resource-allocation family:

    score(x, y) = Σ_z w(x,z)·w(z,y)·f(s(z))  +  1e-9 · t(x, y)

- f divides what a common neighbour z passes on by its strength s(z) (the sum of its weights; the degree
  when every weight is 1): 1/s is resource allocation (Zhou, Lü and Zhang 2009), 1/log(1+s) is close to
  Adamic–Adar, 1/s^0.8 lies between. A friend in common counts more when they have few friends.
- t orders the pairs the first term cannot tell apart (above all the many pairs with no one in common):
  three-hop resource (RA3: Σ w·w·w/(s(z)·s(u)) over paths x–z–u–y), or "quiet pairs first" (low strengths).
- Which f and t suit a graph is chosen on that graph's own edges (seeded hold-outs), see LinkPredictor.

The same LinkPredictor serves the product (kindred.matching.selectors), the command line
(python -m kindred.matching.linkpred) and bench/linkpred.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

# Trust paths are at most this many edges long (A — X — Y — B); longer chains are not trust.
MAX_PATH_EDGES = 3


@dataclass(frozen=True)
class TrustPath:
    nodes: tuple[int, ...]  # from the source to the target, both included
    strength: float  # the product of the edge weights along the path

    @property
    def via(self) -> tuple[int, ...]:
        return self.nodes[1:-1]


class TrustGraph:
    """An undirected weighted graph over nodes 0..n-1 (self-loops dropped, parallel edges: the max weight)."""

    def __init__(self, n: int, edges: Iterable[tuple[int, int, float]]) -> None:
        self.n = n
        best: dict[tuple[int, int], float] = {}
        for a, b, w in edges:
            if a == b or w <= 0:
                continue
            key = (a, b) if a < b else (b, a)
            if w > best.get(key, 0.0):
                best[key] = float(w)
        if best:
            pairs = np.array(list(best), dtype=np.int64)
            weights = np.array(list(best.values()), dtype=np.float64)
            rows = np.concatenate([pairs[:, 0], pairs[:, 1]])
            cols = np.concatenate([pairs[:, 1], pairs[:, 0]])
            data = np.concatenate([weights, weights])
        else:
            rows = cols = np.zeros(0, dtype=np.int64)
            data = np.zeros(0)
        self.adj: sp.csr_matrix = sp.csr_matrix((data, (rows, cols)), shape=(n, n))
        strength = np.asarray(self.adj.sum(axis=1)).ravel()
        self.strength = strength
        inv = np.zeros(n)
        nz = strength > 0
        inv[nz] = 1.0 / strength[nz]
        # A·D⁻¹: each column scaled by the inverse strength of the middle node.
        self._adj_inv = (self.adj @ sp.diags(inv)).tocsr()

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[int, int]]) -> TrustGraph:
        edges = [(a, b, 1.0) for a, b in pairs]
        n = 1 + max((max(a, b) for a, b, _w in edges), default=-1)
        return cls(n, edges)

    def has_edge(self, a: int, b: int) -> bool:
        return bool(self.adj[a, b] != 0)

    # --- paths ----------------------------------------------------------------------------------------

    def neighbors(self, x: int) -> dict[int, float]:
        start, end = self.adj.indptr[x], self.adj.indptr[x + 1]
        return dict(zip(self.adj.indices[start:end].tolist(), self.adj.data[start:end].tolist(), strict=True))

    def paths_from(self, source: int, targets: Iterable[int]) -> dict[int, TrustPath]:
        """The strongest path of at most MAX_PATH_EDGES edges from `source` to each reachable target.

        Among paths of the fewest edges, the one whose product of weights divided by the strengths of the
        people in the middle is largest: the connector who knows both well and is not a hub (the RA term).
        """
        wanted = set(targets)
        # best[node] = (-value, path) over paths with the fewest edges (BFS layers).
        found: dict[int, TrustPath] = {}
        layer: dict[int, tuple[float, tuple[int, ...]]] = {source: (1.0, (source,))}
        seen = {source}
        for _step in range(MAX_PATH_EDGES):
            nxt: dict[int, tuple[float, tuple[int, ...]]] = {}
            for node, (value, path) in layer.items():
                damp = 1.0 if node == source else max(self.strength[node], 1e-12)
                for other, w in self.neighbors(node).items():
                    if other in seen:
                        continue
                    cand = value * w / damp
                    if other not in nxt or cand > nxt[other][0] + 1e-15:
                        nxt[other] = (cand, (*path, other))
            for node, (value, path) in nxt.items():
                seen.add(node)
                if node in wanted:
                    found[node] = TrustPath(nodes=path, strength=value)
            if not nxt or wanted <= set(found):
                break
            layer = nxt
        return found


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k largest scores, best first (ties: smaller index first)."""
    k = min(k, len(scores))
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    part = np.argpartition(-scores, k - 1)[:k]
    return part[np.lexsort((part, -scores[part]))]


# --- the link predictor: a resource-allocation score whose variant is chosen on the graph itself -----------

# How the resource a common neighbour z passes on is divided: by s(z) (resource allocation), by s(z)^0.8,
# or by log(1 + s(z)) (Adamic–Adar's choice). RA is the default and wins when the inner check cannot tell.
BASES: dict[str, str] = {"ra": "1/s", "ra08": "1/s^0.8", "aa": "1/log(1+s)"}
# How pairs the base scores alike (most of all the many pairs with no one in common) are ordered:
# by three-hop resource (RA3), low degree first (a quiet pair's one missing tie), or not at all.
TIEBREAKS: tuple[str, ...] = ("ra3", "quiet", "none")
DEFAULT_VARIANT = ("ra", "ra3")
TIEBREAK_SCALE = 1e-9  # the tie-break term is below any difference of base scores that matters
INNER_ROUNDS = 5
INNER_HOLDOUT = 0.1  # share of the known edges hidden to choose the variant
INNER_NEGATIVES_PER_EDGE = 10
INNER_TOP = 100
MIN_EDGES_TO_TUNE = 20


def _divisor(strength: np.ndarray, base: str) -> np.ndarray:
    inv = np.zeros_like(strength)
    nz = strength > 0
    if base == "ra":
        inv[nz] = 1.0 / strength[nz]
    elif base == "ra08":
        inv[nz] = strength[nz] ** -0.8
    else:
        inv[nz] = 1.0 / np.log1p(strength[nz])
    return inv


def _sample_non_edges(
    rng: np.random.Generator, n: int, known: set[tuple[int, int]], want: int
) -> tuple[np.ndarray, np.ndarray]:
    want = min(want, n * (n - 1) // 2 - len(known))
    neg: set[tuple[int, int]] = set()
    tries = 0
    while len(neg) < want and tries < max(want, 1) * 50:
        tries += 1
        a, b = (int(v) for v in rng.integers(0, n, 2))
        if a != b and (min(a, b), max(a, b)) not in known:
            neg.add((min(a, b), max(a, b)))
    pairs = sorted(neg)
    return (
        np.array([a for a, _b in pairs], dtype=np.int64),
        np.array([b for _a, b in pairs], dtype=np.int64),
    )


def auc_with_ties(pos: np.ndarray, neg: np.ndarray) -> float:
    """P(score of a true pair > score of a false pair), ties counting half (Mann–Whitney)."""
    if len(pos) == 0 or len(neg) == 0:
        return 0.5
    allv = np.concatenate([pos, neg])
    order = np.argsort(allv, kind="mergesort")
    ranks = np.empty(len(allv))
    sorted_v = allv[order]
    # average ranks over runs of equal values
    bounds = np.flatnonzero(np.diff(sorted_v)) + 1
    starts = np.concatenate([[0], bounds])
    ends = np.concatenate([bounds, [len(allv)]])
    avg = (starts + ends + 1) / 2.0
    ranks[order] = np.repeat(avg, ends - starts)
    r_pos = ranks[: len(pos)].sum()
    return float((r_pos - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


class LinkPredictor:
    """The trust score of the product and of `python -m kindred.matching.linkpred`.

    score(x, y) = Σ_z w(x,z)·w(z,y)·f(s(z))  +  TIEBREAK_SCALE · t(x, y)

    with f from BASES and t from TIEBREAKS. Which f and t fit a graph is decided on that graph alone: a
    seeded tenth of its edges is hidden, every variant scores the hidden edges against sampled non-edges
    (AUC, ties half) and its top new pairs (precision), and the best sum wins; RA with the three-hop
    tie-break when too few edges to tell. Nothing outside the given edges is looked at.
    """

    def __init__(self, graph: TrustGraph, *, variant: tuple[str, str] | None = None, seed: int = 0) -> None:
        self.graph = graph
        self.variant = variant or self.choose_variant(graph, seed=seed)
        base, tie = self.variant
        adj = graph.adj
        self._left = (adj @ sp.diags(_divisor(graph.strength, base))).tocsr()
        self._tie = tie

    @staticmethod
    def choose_variant(graph: TrustGraph, *, seed: int = 0) -> tuple[str, str]:
        """The base with the best precision of its top new pairs, then the tie-break with the best AUC,
        each averaged over INNER_ROUNDS seeded hold-outs of the graph's own edges."""
        upper = sp.triu(graph.adj, k=1).tocoo()
        m = len(upper.data)
        if m < MIN_EDGES_TO_TUNE:
            return DEFAULT_VARIANT
        rng = np.random.default_rng(seed)
        known = set(zip(upper.row.tolist(), upper.col.tolist(), strict=True))
        precision = dict.fromkeys(BASES, 0.0)
        auc = dict.fromkeys(TIEBREAKS, 0.0)
        for _round in range(INNER_ROUNDS):
            perm = rng.permutation(m)
            hide = max(1, round(m * INNER_HOLDOUT))
            test_idx, keep_idx = perm[:hide], perm[hide:]
            inner = TrustGraph(
                graph.n,
                zip(
                    upper.row[keep_idx].tolist(),
                    upper.col[keep_idx].tolist(),
                    upper.data[keep_idx].tolist(),
                    strict=True,
                ),
            )
            tx, ty = upper.row[test_idx], upper.col[test_idx]
            nx_, ny_ = _sample_non_edges(rng, graph.n, known, hide * INNER_NEGATIVES_PER_EDGE)
            hidden = set(zip(tx.tolist(), ty.tolist(), strict=True))
            top = min(INNER_TOP, hide)
            for base in BASES:
                lp = LinkPredictor(inner, variant=(base, DEFAULT_VARIANT[1]))
                precision[base] += sum((a, b) in hidden for a, b, _s in lp.top_new_pairs(top)) / top
            for tie in TIEBREAKS:
                lp = LinkPredictor(inner, variant=(DEFAULT_VARIANT[0], tie))
                auc[tie] += auc_with_ties(lp.score_pairs(tx, ty), lp.score_pairs(nx_, ny_))
        # max() keeps the first of equals: the defaults come first in BASES and TIEBREAKS.
        best_base = max(BASES, key=lambda b: precision[b] - 1e-9 * list(BASES).index(b))
        best_tie = max(TIEBREAKS, key=lambda t: auc[t] - 1e-9 * TIEBREAKS.index(t))
        return best_base, best_tie

    def _tiebreak(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        g = self.graph
        if self._tie == "ra3":
            left = g._adj_inv[x] @ g._adj_inv
            raw = np.asarray(left.multiply(g.adj[y]).sum(axis=1)).ravel()
            return raw / (1.0 + raw)
        if self._tie == "quiet":
            return 1.0 / (1.0 + g.strength[x] * g.strength[y])
        return np.zeros(len(x))

    def score_pairs(self, xs: Sequence[int] | np.ndarray, ys: Sequence[int] | np.ndarray) -> np.ndarray:
        x = np.asarray(xs, dtype=np.int64)
        y = np.asarray(ys, dtype=np.int64)
        out = np.zeros(len(x))
        inside = (x >= 0) & (x < self.graph.n) & (y >= 0) & (y < self.graph.n)
        if inside.any():
            xi, yi = x[inside], y[inside]
            base = np.asarray(self._left[xi].multiply(self.graph.adj[yi]).sum(axis=1)).ravel()
            out[inside] = base + TIEBREAK_SCALE * self._tiebreak(xi, yi)
        return out

    def base_matrix(self) -> sp.csr_matrix:
        return (self._left @ self.graph.adj).tocsr()

    def top_new_pairs(self, k: int) -> list[tuple[int, int, float]]:
        """The k best pairs (a < b) that are not edges yet, best first; pairs with no one in common come
        after every pair with someone in common, ordered by the tie-break (when k asks for that many)."""
        g = self.graph
        base = sp.triu(self.base_matrix(), k=1).tocoo()
        keep = np.asarray(g.adj[base.row, base.col]).ravel() == 0 if len(base.data) else np.zeros(0, bool)
        rows, cols = base.row[keep], base.col[keep]
        vals = base.data[keep] + TIEBREAK_SCALE * self._tiebreak(rows, cols) if len(rows) else np.zeros(0)
        order = np.lexsort((cols, rows, -vals))[:k]
        out = [(int(rows[i]), int(cols[i]), float(vals[i])) for i in order]
        if len(out) < k:
            out.extend(self._rest(k - len(out), {(a, b) for a, b, _s in out}))
        return out

    def _rest(self, k: int, taken: set[tuple[int, int]]) -> list[tuple[int, int, float]]:
        """Pairs with no one in common, best tie-break first (dense; only for small graphs or tiny k)."""
        g = self.graph
        cands: list[tuple[int, int, float]] = []
        for a in range(g.n):
            others = np.arange(a + 1, g.n)
            if not len(others):
                continue
            scores = self.score_pairs(np.full(len(others), a), others)
            for b, s in zip(others.tolist(), scores.tolist(), strict=True):
                if (a, b) not in taken and not g.has_edge(a, b):
                    cands.append((a, b, s))
        cands.sort(key=lambda t: (-t[2], t[0], t[1]))
        return cands[:k]
