"""The trust graph, its link-prediction score and trust paths. Pure numpy/scipy, no Django imports.

Nodes are dense indices 0..n-1; edges carry a weight (a confirmed tie 1.0, an introduction 0.6 …, see
kindred.matching.models). The trust score of a pair (x, y) is in the resource-allocation family:

    score(x, y) = Σ_z w(x,z)·w(z,y)·f(s(z))  +  ε · RA3(x, y)  +  1e-9 · t(x, y)

- f divides what a common neighbour z passes on by its strength s(z) (the sum of its weights; the degree
  when every weight is 1): 1/s is resource allocation (Zhou, Lü and Zhang 2009), 1/log(1+s) is close to
  Adamic–Adar, 1/s^0.8 lies between, f = 1 is common neighbours. A friend in common counts more when
  they have few friends (except for common neighbours, a candidate where hubs' ties are the ones missing).
- ε · RA3 adds the resource that reaches y over three edges (Σ w·w·w/(s(z)·s(u)) over paths x–z–u–y, the
  trust paths' longest): 0 for the plain bases, 0.3, 1 or 2 for the local-path ones (the local-path index of
  Lü, Jin and Zhou 2009 on the resource-allocation weights). Where friends of friends rarely close triangles
  (a neural network, an airline network) the three-hop resource predicts new ties the two-hop one misses.
- t orders the pairs the first term cannot tell apart (above all the many pairs with no one in common):
  three-hop resource (RA3: Σ w·w·w/(s(z)·s(u)) over paths x–z–u–y), or "quiet pairs first" (low strengths).
- Which f, ε and t suit a graph is chosen on that graph's own edges (seeded hold-outs), see LinkPredictor;
  another base than RA only when it beats RA there by more than the hold-outs' noise.
  Choosing costs a few passes over the graph: the product chooses once per version of the graph, in the
  background, and every recompute reuses the choice (kindred.matching.services.trust_variant_choose).

Nothing of size n × n is ever held: scores are computed a block of rows at a time (at most BLOCK_CELLS
cells), a pair's score gathers over the neighbours of one end, and the best new pairs are merged block by
block. At 4 000 nodes and 90 000 edges a full pass takes seconds and ~100 MB.

The same LinkPredictor serves the product (kindred.matching.selectors), the command line
(python -m kindred.matching.linkpred) and bench/linkpred.py.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.special import expit

# Trust paths are at most this many edges long (A — X — Y — B); longer chains are not trust.
MAX_PATH_EDGES = 3
# The largest dense block of scores held at once (rows × n cells, float64): 2M cells = 16 MB.
BLOCK_CELLS = 2_000_000


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
        listed = list(edges)
        if listed:
            arr = np.array(listed, dtype=np.float64).reshape(-1, 3)
            a, b, w = arr[:, 0].astype(np.int64), arr[:, 1].astype(np.int64), arr[:, 2]
        else:
            a = b = np.zeros(0, dtype=np.int64)
            w = np.zeros(0)
        self._build(n, a, b, w)

    @classmethod
    def from_arrays(cls, n: int, a: np.ndarray, b: np.ndarray, w: np.ndarray | None = None) -> TrustGraph:
        """The graph of the edges a[i] — b[i] (weight w[i], 1 when w is None), without a Python loop."""
        graph = cls.__new__(cls)
        a = np.asarray(a, dtype=np.int64)
        b = np.asarray(b, dtype=np.int64)
        graph._build(n, a, b, np.ones(len(a)) if w is None else np.asarray(w, dtype=np.float64))
        return graph

    def _build(self, n: int, a: np.ndarray, b: np.ndarray, w: np.ndarray) -> None:
        self.n = n
        keep = (a != b) & (w > 0)
        lo, hi, w = np.minimum(a, b)[keep], np.maximum(a, b)[keep], w[keep]
        if len(lo):
            # Parallel edges: the largest weight (sorted by pair, then weight; the last of each pair wins).
            order = np.lexsort((w, hi, lo))
            lo, hi, w = lo[order], hi[order], w[order]
            last = np.ones(len(lo), dtype=bool)
            last[:-1] = (lo[1:] != lo[:-1]) | (hi[1:] != hi[:-1])
            lo, hi, w = lo[last], hi[last], w[last]
        rows = np.concatenate([lo, hi])
        cols = np.concatenate([hi, lo])
        data = np.concatenate([w, w])
        self.adj: sp.csr_matrix = sp.csr_matrix((data, (rows, cols)), shape=(n, n))
        self.adj.sort_indices()
        strength = np.asarray(self.adj.sum(axis=1)).ravel()
        self.strength = strength
        inv = np.zeros(n)
        nz = strength > 0
        inv[nz] = 1.0 / strength[nz]
        self.inv_strength = inv
        # A·D⁻¹: each column scaled by the inverse strength of the middle node.
        self._adj_inv = (self.adj @ sp.diags(inv)).tocsr()

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[int, int]]) -> TrustGraph:
        arr = np.array(list(pairs), dtype=np.int64).reshape(-1, 2)
        n = int(arr.max()) + 1 if len(arr) else 0
        return cls.from_arrays(n, arr[:, 0], arr[:, 1])

    def fingerprint(self) -> str:
        """A digest of the graph (its size, every edge and weight): equal graphs, equal fingerprints."""
        digest = hashlib.blake2b(digest_size=16)
        digest.update(np.int64(self.n).tobytes())
        for part in (self.adj.indptr, self.adj.indices):
            digest.update(np.ascontiguousarray(part, dtype=np.int64).tobytes())
        digest.update(np.ascontiguousarray(self.adj.data, dtype=np.float64).tobytes())
        return digest.hexdigest()

    def upper_edges(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every edge once, as arrays (a < b, weight), in (a, b) order."""
        upper = sp.triu(self.adj, k=1).tocsr()
        upper.sort_indices()
        rows = np.repeat(np.arange(self.n), np.diff(upper.indptr))
        return rows, upper.indices.astype(np.int64), upper.data

    def has_edge(self, a: int, b: int) -> bool:
        return bool(self.adj[a, b] != 0)

    def neighbors(self, x: int) -> dict[int, float]:
        start, end = self.adj.indptr[x], self.adj.indptr[x + 1]
        return dict(zip(self.adj.indices[start:end].tolist(), self.adj.data[start:end].tolist(), strict=True))

    def _row(self, x: int) -> tuple[np.ndarray, np.ndarray]:
        start, end = self.adj.indptr[x], self.adj.indptr[x + 1]
        return self.adj.indices[start:end], self.adj.data[start:end]

    def gather(self, ys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The neighbours of every ys[p], flattened: (p, neighbour, weight), in ys order then CSR order."""
        indptr = self.adj.indptr
        counts = (indptr[ys + 1] - indptr[ys]).astype(np.int64)
        owner = np.repeat(np.arange(len(ys)), counts)
        offsets = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
        pos = np.repeat(indptr[ys].astype(np.int64), counts) + offsets
        return owner, self.adj.indices[pos].astype(np.int64), self.adj.data[pos]

    # --- paths ----------------------------------------------------------------------------------------

    def weights(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """w(a[p], b[p]) for each pair (0 where there is no edge), by binary search in the CSR arrays."""
        keys: np.ndarray | None = self.__dict__.get("_edge_keys")
        if keys is None:
            keys = np.repeat(np.arange(self.n, dtype=np.int64), np.diff(self.adj.indptr)) * self.n
            keys = keys + self.adj.indices
            self.__dict__["_edge_keys"] = keys
        want = np.asarray(a, dtype=np.int64) * self.n + np.asarray(b, dtype=np.int64)
        pos = np.minimum(np.searchsorted(keys, want), max(len(keys) - 1, 0))
        if not len(keys):
            return np.zeros(len(want))
        return np.where(keys[pos] == want, self.adj.data[pos], 0.0)

    def paths_from(self, source: int, targets: Iterable[int]) -> dict[int, TrustPath]:
        """The strongest path of at most MAX_PATH_EDGES edges from `source` to each reachable target.

        Among paths of the fewest edges, the one whose product of weights divided by the strengths of the
        people in the middle is largest: the connector who knows both well and is not a hub (the RA term).
        Of equal ones, the first met going through the source's ties in order.
        """
        wanted = sorted({int(t) for t in targets})
        found = self.paths_many(
            np.full(len(wanted), source, dtype=np.int64), np.array(wanted, dtype=np.int64)
        )
        return {t: path for (_s, t), path in found.items()}

    def paths_many(self, xs: np.ndarray, ys: np.ndarray) -> dict[tuple[int, int], TrustPath]:
        """paths_from for many (source, target) pairs at once: {(source, target): path} for the pairs that
        have one. Only the targets' own ties are looked at, except for a target three edges away (then
        the source's two-hop neighbourhood, once per source)."""
        xs = np.asarray(xs, dtype=np.int64)
        ys = np.asarray(ys, dtype=np.int64)
        found: dict[tuple[int, int], TrustPath] = {}
        direct = self.weights(xs, ys)
        for x, y, w in zip(xs.tolist(), ys.tolist(), direct.tolist(), strict=True):
            if w > 0:
                found[x, y] = TrustPath(nodes=(x, y), strength=w)
        rest = np.flatnonzero((direct == 0) & (xs != ys))
        if not len(rest):
            return found
        # Two edges: the best z among the target's ties that the source knows (of equals, the smallest z:
        # the first of the source's ties in order).
        owner, z, w = self.gather(ys[rest])
        value = self.weights(xs[rest][owner], z) * w * self.inv_strength[z]
        ok = value > 0
        owner, z, value = owner[ok], z[ok], value[ok]
        order = np.lexsort((z, -value, owner))
        head = order[np.r_[True, owner[order][1:] != owner[order][:-1]]] if len(order) else order
        reached = np.zeros(len(rest), dtype=bool)
        for p, mid, v in zip(owner[head].tolist(), z[head].tolist(), value[head].tolist(), strict=True):
            x, y = int(xs[rest[p]]), int(ys[rest[p]])
            found[x, y] = TrustPath(nodes=(x, mid, y), strength=v)
            reached[p] = True
        if MAX_PATH_EDGES < 3:
            return found
        far: dict[int, list[int]] = {}
        for p in np.flatnonzero(~reached).tolist():
            far.setdefault(int(xs[rest[p]]), []).append(int(ys[rest[p]]))
        for source, targets in far.items():
            nbr, w1 = self._row(source)
            for t, path in self._three_edge_paths(source, nbr, w1, sorted(set(targets))).items():
                found[source, t] = path
        return found

    def _three_edge_paths(
        self, source: int, nbr: np.ndarray, w1: np.ndarray, targets: list[int]
    ) -> dict[int, TrustPath]:
        # The source's second layer, in the order a breadth-first walk meets it: the best z for each u.
        owner, u, w = self.gather(nbr)
        value = w1[owner] * w * self.inv_strength[nbr[owner]]
        near = np.zeros(self.n, dtype=bool)
        near[nbr] = True
        near[source] = True
        met = np.arange(len(u))  # order met: by z, then z's ties in order
        t_owner, t_u, t_w = self.gather(np.array(targets, dtype=np.int64))
        beside = np.zeros(self.n, dtype=bool)  # only a tie of a far target can be the last go-between
        beside[t_u] = True
        ok = ~near[u] & beside[u]
        owner, u, value, met = owner[ok], u[ok], value[ok], met[ok]
        order = np.lexsort((met, -value, u))
        u_sorted = u[order]
        head = np.ones(len(order), dtype=bool)
        head[1:] = u_sorted[1:] != u_sorted[:-1]
        best_idx = order[head]  # per u: the best value, first met among equals
        first_met = np.full(self.n, len(met) + len(near), dtype=np.int64)
        np.minimum.at(first_met, u, met)
        val2 = np.zeros(self.n)
        via2 = np.full(self.n, -1, dtype=np.int64)
        val2[u[best_idx]] = value[best_idx]
        via2[u[best_idx]] = nbr[owner[best_idx]]
        found: dict[int, TrustPath] = {}
        t_value = val2[t_u] * t_w * self.inv_strength[t_u]
        for p, t in enumerate(targets):
            sel = (t_owner == p) & (t_value > 0)
            if sel.any():
                us, vs = t_u[sel], t_value[sel]
                best = _first_best(vs, first_met[us])
                mid = int(us[best])
                found[t] = TrustPath(nodes=(source, int(via2[mid]), mid, t), strength=float(vs[best]))
        return found


def keyed_graph(edges: Iterable[tuple[int, int, float]]) -> tuple[TrustGraph, np.ndarray]:
    """The graph of weighted edges between any integer ids (membership ids), over the ids that have an
    edge, numbered in id order: (graph, ids)."""
    arr = np.array(list(edges), dtype=np.float64).reshape(-1, 3)
    ends = arr[:, :2].astype(np.int64)
    ids, dense = np.unique(ends, return_inverse=True)
    dense = dense.reshape(-1, 2)
    return TrustGraph.from_arrays(len(ids), dense[:, 0], dense[:, 1], arr[:, 2]), ids


def edges_version(edges: Iterable[tuple[int, int, float]]) -> str:
    """A digest of a weighted edge set whatever its order and duplicates: the version of a circle's ties
    that a choice of variant belongs to (any tie, weight or member added or gone changes it)."""
    graph, ids = keyed_graph(edges)
    digest = hashlib.blake2b(ids.astype(np.int64).tobytes(), digest_size=16)
    digest.update(graph.fingerprint().encode())
    return digest.hexdigest()


def _first_best(values: np.ndarray, met: np.ndarray) -> int:
    """Index of the largest value; of equals (to 1e-15), the one met first."""
    top = values.max()
    close = np.flatnonzero(values >= top - 1e-15)
    return int(close[np.argmin(met[close])])


def _kth_largest(values: np.ndarray, k: int) -> float:
    """The k-th largest of `values` (1 ≤ k ≤ len). Zeros, often most of them, are set aside first:
    numpy's selection slows down badly on long runs of equal values."""
    positive = values[values > 0]
    if len(positive) < k:
        return 0.0 if len(positive) < len(values) else float(np.min(values))
    return float(np.partition(positive, len(positive) - k)[len(positive) - k])


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k largest scores, best first (ties: smaller index first)."""
    k = min(k, len(scores))
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    part = np.argpartition(-scores, k - 1)[:k]
    return part[np.lexsort((part, -scores[part]))]


def top_positive(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k largest positive scores, best first (ties: smaller index first). Zeros, most of
    a row, are set aside before selecting (numpy's selection is slow on long runs of equal values)."""
    pos = np.flatnonzero(scores > 0)
    if k <= 0:
        return pos[:0]
    if len(pos) > k:
        vals = scores[pos]
        kth = -np.partition(-vals, k - 1)[k - 1]
        above = pos[vals > kth]
        pos = np.concatenate([above, pos[vals == kth][: k - len(above)]])
    return pos[np.lexsort((pos, -scores[pos]))]


def row_blocks(rows: np.ndarray, n: int, cells: int = BLOCK_CELLS) -> Iterator[np.ndarray]:
    """`rows` in consecutive blocks of at most `cells` / n rows (at least one)."""
    size = max(1, cells // max(n, 1))
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


# --- the link predictor: a resource-allocation score whose variant is chosen on the graph itself -----------

# How the resource a common neighbour z passes on is divided: by s(z) (resource allocation), by s(z)^0.8,
# by log(1 + s(z)) (Adamic–Adar's choice), or not at all (common neighbours: a hub in common counts as much
# as anyone); the local-path bases add the three-hop resource (RA3) with the weight PATH_WEIGHTS gives. RA
# is the default; of bases the inner check scores alike, the first listed (the simpler) wins.
BASES: dict[str, str] = {
    "ra": "1/s",
    "ra08": "1/s^0.8",
    "aa": "1/log(1+s)",
    "cn": "1",
    "lp03": "1/s + 0.3·RA3",
    "lp1": "1/s + RA3",
    "lp2": "1/s + 2·RA3",
}
PATH_WEIGHTS: dict[str, float] = {"lp03": 0.3, "lp1": 1.0, "lp2": 2.0}
# Bases taken only when their held-out AUC is at least every other base's of the RA family (ra, ra08, aa):
# the three-hop term or the hubs' weight must not buy precision with AUC.
GUARDED: frozenset[str] = frozenset({*PATH_WEIGHTS, "cn"})
# How pairs the base scores alike (most of all the many pairs with no one in common) are ordered:
# by three-hop resource (RA3), low degree first (a quiet pair's one missing tie), or not at all.
TIEBREAKS: tuple[str, ...] = ("ra3", "quiet", "none")
DEFAULT_VARIANT = ("ra", "ra3")
TIEBREAK_SCALE = 1e-9  # the tie-break term is below any difference of base scores that matters
INNER_HOLDOUT = 0.1  # share of the known edges hidden to choose the variant
INNER_NEGATIVES_PER_EDGE = 10
INNER_TOP = 100
# A base is judged by the hidden edges among its top INNER_TOP new pairs, as the top 100 are judged after
# (also when fewer edges are hidden: the top 100 then hold most of them, as they would on the whole graph).
# On a large graph, by its top tenth of the hidden edges' count (at least INNER_TOP): the top 100 alone
# hold too few hits to tell the bases apart there.
INNER_TOP_SHARE = 10
MIN_EDGES_TO_TUNE = 20
# The tuning sample is bounded: INNER_EDGE_ROUNDS / edges seeded rounds, at least INNER_MIN_ROUNDS and at
# most INNER_MAX_ROUNDS (a small graph gets many rounds, their precision is noisy; a large one a few, each
# round is one pass over the graph), and the AUC of at most INNER_AUC_EDGES hidden edges per round.
INNER_EDGE_ROUNDS = 400_000
INNER_MIN_ROUNDS = 2
INNER_MAX_ROUNDS = 20
INNER_AUC_EDGES = 3_000
# The re-ranker (LinkPredictor.choose): the pool of a graph's likeliest new pairs is the best RERANK_POOL of
# each of RERANK_BASES (resource allocation, common neighbours, Adamic–Adar) with someone in common, and a
# logistic regression over each pair's local figures (RERANK_FEATURES), learnt on the graph's own
# hold-outs, orders that pool. A pool, not every pair: the regression is learnt where the top of the list
# is decided (hidden edges against the other likely pairs, not against random pairs nobody would suggest),
# and only the pool's few thousand pairs need its figures. RERANK_C: the inverse strength of its L2
# penalty (scikit-learn's default).
RERANK_BASES: tuple[tuple[str, str], ...] = (("ra", "ra3"), ("cn", "none"), ("aa", "none"))
RERANK_POOL = 2_000
# The re-ranker is learnt on at least this many rounds (more than a large graph's variant choice takes):
# ten hidden tenths hide every edge about once, so its fit does not hang on one round's draw.
RERANK_MIN_ROUNDS = 10
RERANK_C = 1.0
RERANK_FEATURES: tuple[str, ...] = (
    "log(1 + common neighbours)",
    "log(resource allocation)",
    "log(Adamic-Adar)",
    "Jaccard",
    "log(1 + smaller strength)",
    "log(1 + larger strength)",
    "log(resource within three hops: two-hop + three-hop)",
    "share of the common neighbours' pairs that are ties",
    "common neighbours / smaller strength",
    "log(1 + ties among the common neighbours)",
    "log(the largest share one common neighbour passes on)",
)
FEATURE_FLOOR = 1e-3  # added before a logarithm of a resource that may be 0


def _divisor(strength: np.ndarray, base: str) -> np.ndarray:
    inv = np.zeros_like(strength)
    nz = strength > 0
    if base == "ra" or base in PATH_WEIGHTS:
        inv[nz] = 1.0 / strength[nz]
    elif base == "ra08":
        inv[nz] = strength[nz] ** -0.8
    elif base == "cn":
        inv[nz] = 1.0
    else:
        inv[nz] = 1.0 / np.log1p(strength[nz])
    return inv


def _pool_keys(found: list[tuple[np.ndarray, np.ndarray, np.ndarray]], n: int) -> np.ndarray:
    """The sorted keys of the pairs of best-pair lists (rows, cols, scores) with someone in common (a base
    score above the tie-break's range)."""
    keys = [_pair_keys(r[v > TIEBREAK_SCALE], c[v > TIEBREAK_SCALE], n) for r, c, v in found]
    return np.unique(np.concatenate(keys)) if keys else np.zeros(0, dtype=np.int64)


def _pair_keys(a: np.ndarray, b: np.ndarray, n: int) -> np.ndarray:
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    return lo.astype(np.int64) * max(n, 1) + hi


def _sample_non_edges(
    rng: np.random.Generator, n: int, known: np.ndarray, want: int
) -> tuple[np.ndarray, np.ndarray]:
    """`want` distinct pairs (a < b) that are not in `known` (sorted pair keys), in (a, b) order."""
    want = max(0, min(want, n * (n - 1) // 2 - len(known)))
    found = np.zeros(0, dtype=np.int64)
    for _try in range(50):
        if len(found) >= want:
            break
        draw = rng.integers(0, n, size=(2 * (want - len(found)) + 16, 2))
        draw = draw[draw[:, 0] != draw[:, 1]]
        keys = _pair_keys(draw[:, 0], draw[:, 1], n)
        keys = keys[~np.isin(keys, known)]
        # first occurrences in draw order, then never twice
        _u, first = np.unique(keys, return_index=True)
        keys = keys[np.sort(first)]
        keys = keys[~np.isin(keys, found)]
        found = np.concatenate([found, keys[: want - len(found)]])
    found = np.sort(found)
    return found // max(n, 1), found % max(n, 1)


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


class _Best:
    """The k best (value, row, col) seen so far: larger value first, then smaller row, then smaller col."""

    def __init__(self, k: int) -> None:
        self.k = k
        self.vals = np.zeros(0)
        self.rows = np.zeros(0, dtype=np.int64)
        self.cols = np.zeros(0, dtype=np.int64)

    def floor(self) -> float:
        """A value a pair must reach to enter (−inf until k are held)."""
        return float(self.vals[-1]) if len(self.vals) >= self.k else -np.inf

    def add(self, vals: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> None:
        v = np.concatenate([self.vals, vals])
        r = np.concatenate([self.rows, rows])
        c = np.concatenate([self.cols, cols])
        order = np.lexsort((c, r, -v))[: self.k]
        self.vals, self.rows, self.cols = v[order], r[order], c[order]


def pair_features(graph: TrustGraph, x: np.ndarray, y: np.ndarray, three_hop: np.ndarray) -> np.ndarray:
    """RERANK_FEATURES of the pairs (x[p], y[p]) (`three_hop`: their RA3), len(x) × len(RERANK_FEATURES),
    a block of pairs at a time (a block's common neighbours' ties are at most BLOCK_CELLS cells)."""
    out = np.zeros((len(x), len(RERANK_FEATURES)))
    binary = graph.adj.copy()
    binary.data[:] = 1.0
    invlog = _divisor(graph.strength, "aa")
    unit = max(float(graph.strength.mean()), 1e-12) if graph.n else 1.0
    size = max(1, BLOCK_CELLS // max(graph.n, 1))
    for start in range(0, len(x), size):
        bx, by = x[start : start + size], y[start : start + size]
        both = graph.adj[bx].multiply(graph.adj[by]).tocsr()  # w(x,z)·w(z,y) for each common neighbour z
        cn = np.asarray(both.sum(axis=1)).ravel()
        ra = both @ graph.inv_strength
        aa = both @ invlog
        strongest = both @ sp.diags(graph.inv_strength)
        largest = strongest.max(axis=1).toarray().ravel()
        common = both.copy()
        common.data[:] = 1.0
        count = np.asarray(common.sum(axis=1)).ravel()
        among = np.asarray((common @ binary).multiply(common).sum(axis=1)).ravel() / 2
        sx, sy = graph.strength[bx], graph.strength[by]
        low, high = np.minimum(sx, sy), np.maximum(sx, sy)
        # Counts in units of the mean strength: the hold-outs' graphs, a tenth of the edges fewer, are
        # sparser than the graph the re-ranker is used on, and a count means less in a denser graph.
        cn_, low_, high_, among_ = cn / unit, low / unit, high / unit, among / unit
        out[start : start + size] = np.column_stack(
            [
                np.log1p(cn_),
                np.log(ra + FEATURE_FLOOR),
                np.log(aa + FEATURE_FLOOR),
                cn / np.maximum(sx + sy - cn, 1e-12),
                np.log1p(low_),
                np.log1p(high_),
                # RA3 added to RA, not alone: alone it is 0 for a pair whose one friend in common has no
                # other friend (x — z — y, z quiet), and its logarithm put a pendant member's likeliest
                # pairs (RA 1/2, 1/3) below every other pair of the pool.
                np.log(ra + three_hop[start : start + size] + FEATURE_FLOOR),
                np.divide(among, count * (count - 1) / 2, out=np.zeros(len(bx)), where=count > 1),
                cn / np.maximum(low, 1e-12),
                np.log1p(among_),
                np.log(largest + FEATURE_FLOOR),
            ]
        )
    return out


@dataclass(frozen=True)
class Reranker:
    """A logistic regression over standardised RERANK_FEATURES (scikit-learn's, fitted by fit()); plain
    numbers, so a choice can be kept and compared."""

    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float

    @classmethod
    def fit(cls, features: np.ndarray, labels: np.ndarray, c: float = RERANK_C) -> Reranker | None:
        """The regression of `labels` (1: a hidden edge) on `features`; None when one class is missing."""
        if len(labels) == 0 or labels.min() == labels.max():
            return None
        from sklearn.linear_model import LogisticRegression
        from sklearn.preprocessing import StandardScaler

        scaler = StandardScaler().fit(features)
        model = LogisticRegression(C=c, max_iter=1000).fit(scaler.transform(features), labels)
        return cls(
            mean=tuple(float(v) for v in scaler.mean_),
            scale=tuple(float(v) for v in scaler.scale_),
            coef=tuple(float(v) for v in model.coef_[0]),
            intercept=float(model.intercept_[0]),
        )

    def logit(self, features: np.ndarray) -> np.ndarray:
        return ((features - np.array(self.mean)) / np.array(self.scale)) @ np.array(
            self.coef
        ) + self.intercept


class LinkPredictor:
    """The trust score of the product and of `python -m kindred.matching.linkpred`.

    score(x, y) = Σ_z w(x,z)·w(z,y)·f(s(z))  +  ε · RA3(x, y)  +  TIEBREAK_SCALE · t(x, y)

    with f and ε from BASES and PATH_WEIGHTS, t from TIEBREAKS. Which f, ε and t fit a graph is decided on
    that graph alone: a seeded tenth of its edges is hidden, every tie-break is judged by the AUC it gives
    each base (hidden edges against sampled non-edges, ties half) and every base, with its tie-break, by
    the precision of its top new pairs (the metric the top 100 are judged by), over a few seeded rounds
    (fewer on a large graph: tuning_rounds). A local-path base only when its AUC is at least every plain
    base's; any base other than RA only when its top pairs beat RA's beyond the hold-outs' noise
    (McNemar's statistic above 1, see pick_variant; else RA, the classical index); RA with the three-hop
    tie-break when too few edges to tell. Nothing outside the given edges is looked at.

    Ranking new ties (top_new_pairs, score_pairs) can go one step further: a re-ranker (Reranker, chosen
    with the variant by choose(), as the command line does) orders the pool of the likeliest new pairs
    (RERANK_POOL of each of RERANK_BASES) by a logistic regression over their local figures, learnt on the
    same hold-outs (their pools' hidden edges against the pools' other pairs), after the stacking of
    topological predictors of Ghasemian et al. (PNAS 2020). With it, score_pairs puts the pool's pairs
    above 1 (1 + the regression's probability) and every other pair below (the variant's score s as
    s / (1 + s)). The matches use the variant's score alone (base_rows, base_scores): a strength of
    trust, not a ranking.
    """

    def __init__(
        self,
        graph: TrustGraph,
        *,
        variant: tuple[str, str] | None = None,
        seed: int = 0,
        reranker: Reranker | None = None,
    ) -> None:
        self.graph = graph
        if variant is None:
            variant, reranker = self.choose(graph, seed=seed)
        self.variant = variant
        self.reranker = reranker
        base, tie = self.variant
        if base not in BASES or tie not in TIEBREAKS:
            raise ValueError(f"unknown variant {self.variant!r}")
        self._left = (graph.adj @ sp.diags(_divisor(graph.strength, base))).tocsr()
        self._path = PATH_WEIGHTS.get(base, 0.0)
        self._tie = tie

    # --- choosing the variant ---------------------------------------------------------------------------

    @staticmethod
    def tuning_rounds(edges: int) -> int:
        return max(INNER_MIN_ROUNDS, min(INNER_MAX_ROUNDS, INNER_EDGE_ROUNDS // max(edges, 1)))

    @staticmethod
    def choose_variant(graph: TrustGraph, *, seed: int = 0) -> tuple[str, str]:
        """Each base with the tie-break that gives it the best held-out AUC; of the bases, the one whose
        top new pairs (with that tie-break) hold the most hidden edges, averaged over seeded hold-outs of
        the graph's own edges, unless what it gains over plain resource allocation (the classical index)
        is within the noise of the hold-outs (pick_variant): then RA (with its tie-break), since such
        differences do not carry over to the graph's own missing ties.
        A local-path base is a candidate only when its held-out AUC is at least every plain base's: the
        three-hop term must not buy precision with AUC (on a graph where quiet pairs, not three-hop ones,
        close the missing ties)."""
        if len(graph.adj.data) // 2 < MIN_EDGES_TO_TUNE:
            return DEFAULT_VARIANT
        return LinkPredictor.pick_variant(*LinkPredictor._held_out(graph, seed))

    @staticmethod
    def choose(graph: TrustGraph, *, seed: int = 0) -> tuple[tuple[str, str], Reranker | None]:
        """choose_variant, and the re-ranker of new pairs learnt on the same hold-outs' pools: (variant,
        re-ranker or None). None when there are too few edges to tell, or no pool holds a hidden edge. A
        large graph gets more rounds than choose_variant gives it (RERANK_MIN_ROUNDS): the command line's
        choice, not the product's."""
        if len(graph.adj.data) // 2 < MIN_EDGES_TO_TUNE:
            return DEFAULT_VARIANT, None
        pools: list[tuple[np.ndarray, np.ndarray]] = []  # each round's pool: its figures, its hidden edges
        variant = LinkPredictor.pick_variant(*LinkPredictor._held_out(graph, seed, pools=pools))
        figures, labels = (np.concatenate(part) for part in zip(*pools, strict=True))
        return variant, Reranker.fit(figures, labels)

    @staticmethod
    def pick_variant(
        precision: np.ndarray, mean_auc: np.ndarray, tie_of: list[int], apart: np.ndarray
    ) -> tuple[str, str]:
        """The choice from the hold-outs' figures (see _held_out): the admissible base of the best mean
        precision, unless what it gains over RA is within one standard error: of the hidden edges that
        one of the two top lists holds and the other does not (apart[base] = (the base's alone, RA's
        alone), over all rounds), the base must hold more than RA by more than √(their sum) (McNemar's
        statistic above 1); else RA, the simplest, classical, index."""
        names = list(BASES)
        plain_auc = max(mean_auc[i, tie_of[i]] for i, b in enumerate(names) if b not in GUARDED)
        admissible = [
            i for i, b in enumerate(names) if b not in GUARDED or mean_auc[i, tie_of[i]] >= plain_auc - 1e-12
        ]
        mean = precision.mean(axis=0)
        # max() keeps the first of equals: the defaults come first in BASES.
        best = max(admissible, key=lambda i: mean[i] - 1e-9 * i)
        mine, ras = (float(x) for x in apart[best])
        if mine - ras <= np.sqrt(mine + ras):
            best = names.index(DEFAULT_VARIANT[0])  # within the noise of the hold-outs: the classical index
        return names[best], TIEBREAKS[tie_of[best]]

    @staticmethod
    def _held_out(
        graph: TrustGraph, seed: int, pools: list[tuple[np.ndarray, np.ndarray]] | None = None
    ) -> tuple[np.ndarray, np.ndarray, list[int], np.ndarray]:
        """Seeded rounds, each hiding a tenth of the edges: (the share of hidden edges among each base's
        top new pairs, with that base's tie-break, rounds × BASES; the mean AUC of hidden edges against
        sampled non-edges, BASES × TIEBREAKS; each base's tie-break, the one of the best AUC; per base,
        the hidden edges its top pairs hold and RA's do not, and those RA's hold and its do not, summed
        over the rounds, BASES × 2). With `pools`, each round's pool for the re-ranker (its best pairs
        found in the same pass) is appended to it as (their figures, 1 for a hidden edge), and there are at
        least RERANK_MIN_ROUNDS rounds."""
        ea, eb, ew = graph.upper_edges()
        m = len(ea)
        rng = np.random.default_rng(seed)
        known = np.sort(_pair_keys(ea, eb, graph.n))
        rounds: list[tuple[TrustGraph, np.ndarray]] = []  # the graph without the hidden edges, their keys
        auc = np.zeros((len(BASES), len(TIEBREAKS)))
        for _round in range(
            max(LinkPredictor.tuning_rounds(m), RERANK_MIN_ROUNDS if pools is not None else 0)
        ):
            perm = rng.permutation(m)
            hide = max(1, round(m * INNER_HOLDOUT))
            test_idx, keep_idx = np.sort(perm[:hide]), perm[hide:]
            inner = TrustGraph.from_arrays(graph.n, ea[keep_idx], eb[keep_idx], ew[keep_idx])
            rounds.append((inner, np.sort(_pair_keys(ea[test_idx], eb[test_idx], graph.n))))
            judged = (
                test_idx[:INNER_AUC_EDGES]
                if hide <= INNER_AUC_EDGES
                else np.sort(rng.choice(test_idx, INNER_AUC_EDGES, replace=False))
            )
            tx, ty = ea[judged], eb[judged]
            nx_, ny_ = _sample_non_edges(rng, graph.n, known, len(judged) * INNER_NEGATIVES_PER_EDGE)
            xs, ys = np.concatenate([tx, nx_]), np.concatenate([ty, ny_])
            ra = LinkPredictor(inner, variant=DEFAULT_VARIANT)
            three = ra._three_hop(xs, ys)
            lifts = [TIEBREAK_SCALE * ra.tiebreak(xs, ys, t, three_hop=three) for t in TIEBREAKS]
            two_hop: dict[str, np.ndarray] = {}
            for i, base in enumerate(BASES):
                d = "ra" if base in PATH_WEIGHTS else base
                if d not in two_hop:
                    two_hop[d] = LinkPredictor(inner, variant=(d, "none")).base_scores(xs, ys)
                scores = two_hop[d] + PATH_WEIGHTS.get(base, 0.0) * three
                for j, lift in enumerate(lifts):
                    s = scores + lift
                    auc[i, j] += auc_with_ties(s[: len(tx)], s[len(tx) :])
        auc /= len(rounds)
        # argmax keeps the first of equals: the defaults come first in TIEBREAKS.
        tie_of: list[int] = np.argmax(auc - 1e-9 * np.arange(len(TIEBREAKS)), axis=1).tolist()
        variants = tuple((b, TIEBREAKS[t]) for b, t in zip(BASES, tie_of, strict=True))
        precision = np.zeros((len(rounds), len(BASES)))
        apart = np.zeros((len(BASES), 2))
        plain = list(BASES).index(DEFAULT_VARIANT[0])
        wanted = variants if pools is None else tuple(dict.fromkeys((*variants, *RERANK_BASES)))
        for r, (inner, hidden) in enumerate(rounds):
            top = max(INNER_TOP, len(hidden) // INNER_TOP_SHARE)
            predictor = LinkPredictor(inner, variant=DEFAULT_VARIANT)
            found = predictor.top_new_pairs_by_variant(
                top if pools is None else max(top, RERANK_POOL), wanted
            )
            keys = [_pair_keys(found[v][0][:top], found[v][1][:top], graph.n) for v in variants]
            hits = [k[np.isin(k, hidden)] for k in keys]
            for i in range(len(variants)):
                precision[r, i] = len(hits[i]) / top
                apart[i] += (np.setdiff1d(hits[i], hits[plain]).size, np.setdiff1d(hits[plain], hits[i]).size)
            if pools is not None:
                pool = _pool_keys([found[v] for v in RERANK_BASES], graph.n)
                px, py = pool // max(graph.n, 1), pool % max(graph.n, 1)
                figures = pair_features(inner, px, py, predictor._three_hop(px, py))
                pools.append((figures, np.isin(pool, hidden).astype(np.float64)))
        return precision, auc, tie_of, apart

    # --- scores of given pairs --------------------------------------------------------------------------

    def _by_first(self, x: np.ndarray, y: np.ndarray, row_matrix: sp.csr_matrix, two_hop: bool) -> np.ndarray:
        """Σ_u R[x, u]·w(u, y) for each pair, where R is `row_matrix` (or its product with A·D⁻¹ when
        `two_hop`), computed a block of distinct x at a time."""
        g = self.graph
        out = np.zeros(len(x))
        if not len(x):
            return out
        ux, local = np.unique(x, return_inverse=True)
        order = np.argsort(local, kind="stable")
        bounds = np.searchsorted(local[order], np.arange(len(ux) + 1))
        done = 0
        for rows in row_blocks(ux, g.n):
            block = row_matrix[rows]
            dense = (block @ g._adj_inv).toarray() if two_hop else block.toarray()
            idx = order[bounds[done] : bounds[done + len(rows)]]
            owner, nb, w = g.gather(y[idx])
            vals = dense[local[idx][owner] - done, nb] * w
            out[idx] = np.bincount(owner, weights=vals, minlength=len(idx))
            done += len(rows)
        return out

    def _three_hop(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """RA3(x, y) = Σ w·w·w/(s(z)·s(u)) over the paths x–z–u–y."""
        return self._by_first(x, y, self.graph._adj_inv, two_hop=True)

    def base_scores(self, x: np.ndarray, y: np.ndarray, three_hop: np.ndarray | None = None) -> np.ndarray:
        """The score without its tie-break (`three_hop`: RA3 of the pairs when already computed)."""
        out = self._by_first(x, y, self._left, two_hop=False)
        if self._path:
            out += self._path * (self._three_hop(x, y) if three_hop is None else three_hop)
        return out

    def tiebreak(
        self, x: np.ndarray, y: np.ndarray, tie: str | None = None, three_hop: np.ndarray | None = None
    ) -> np.ndarray:
        g = self.graph
        tie = tie or self._tie
        if tie == "ra3":
            raw = self._three_hop(x, y) if three_hop is None else three_hop
            return raw / (1.0 + raw)
        if tie == "quiet":
            return 1.0 / (1.0 + g.strength[x] * g.strength[y])
        return np.zeros(len(x))

    def score_pairs(self, xs: Sequence[int] | np.ndarray, ys: Sequence[int] | np.ndarray) -> np.ndarray:
        x = np.asarray(xs, dtype=np.int64)
        y = np.asarray(ys, dtype=np.int64)
        out = np.zeros(len(x))
        inside = (x >= 0) & (x < self.graph.n) & (y >= 0) & (y < self.graph.n)
        if inside.any():
            xi, yi = x[inside], y[inside]
            three = self._three_hop(xi, yi) if self._path or self._tie == "ra3" else None
            out[inside] = self.base_scores(xi, yi, three) + TIEBREAK_SCALE * self.tiebreak(
                xi, yi, three_hop=three
            )
        if self.reranker is None:
            return out
        out = out / (1.0 + out)  # below the pool's scores, in the same order
        pool = self._pool(0)
        keys = np.full(len(x), -1, dtype=np.int64)
        keys[inside] = _pair_keys(x[inside], y[inside], self.graph.n)
        mine = np.flatnonzero(inside & (x != y) & np.isin(keys, pool))
        if len(mine):
            out[mine] = 1.0 + expit(self._reranked(keys[mine]))
        return out

    # --- the re-ranker ------------------------------------------------------------------------------------

    def _pool(self, k: int) -> np.ndarray:
        """The sorted keys (a·n + b, a < b) of the pool the re-ranker orders: the best max(RERANK_POOL, k)
        new pairs of each of RERANK_BASES that have someone in common (kept for the predictor's life, per size:
        score_pairs always scores against the RERANK_POOL one, whatever top_new_pairs was asked before)."""
        size = max(RERANK_POOL, k)
        pools: dict[int, np.ndarray] = self.__dict__.setdefault("_pools", {})
        if size not in pools:
            found = self.top_new_pairs_by_variant(size, RERANK_BASES)
            pools[size] = _pool_keys(list(found.values()), self.graph.n)
        return pools[size]

    def _reranked(self, keys: np.ndarray) -> np.ndarray:
        """The re-ranker's logit of the pairs of `keys`."""
        assert self.reranker is not None
        n = max(self.graph.n, 1)
        x, y = keys // n, keys % n
        return self.reranker.logit(pair_features(self.graph, x, y, self._three_hop(x, y)))

    # --- dense rows, a block at a time --------------------------------------------------------------------

    def base_rows(self, rows: np.ndarray) -> np.ndarray:
        """Dense scores without the tie-break of `rows` against every node (len(rows) × n)."""
        g = self.graph
        out = np.asarray((self._left[rows] @ g.adj).toarray())
        if self._path:
            out += self._path * _three_hop_rows(g, rows)
        return out

    # --- the best new pairs -------------------------------------------------------------------------------

    def top_new_pairs(self, k: int) -> list[tuple[int, int, float]]:
        """The k best pairs (a < b) that are not edges yet, best first (ties: smaller a, then smaller b);
        pairs with no one in common come after every pair with someone in common, ordered by the
        tie-break. With a re-ranker: the k best of its pool (at least k pairs) as it orders them, each with
        its score_pairs score, then, if the pool holds fewer than k, the variant's best of the others."""
        if self.reranker is not None and k > 0:
            pool = self._pool(k)
            logit = self._reranked(pool)
            best = np.lexsort((pool, -logit))[:k]
            n = max(self.graph.n, 1)
            out = [
                (int(key // n), int(key % n), float(1.0 + p))
                for key, p in zip(pool[best].tolist(), expit(logit[best]).tolist(), strict=True)
            ]
            if len(out) < k:  # fewer pairs with someone in common: then the variant's order
                rows, cols, vals = self.top_new_pairs_by_variant(k, (self.variant,))[self.variant]
                rest = ~np.isin(_pair_keys(rows, cols, n), pool)
                out += [
                    (int(a), int(b), float(v / (1.0 + v)))
                    for a, b, v in zip(rows[rest], cols[rest], vals[rest], strict=True)
                ][: k - len(out)]
            return out
        rows, cols, vals = self.top_new_pairs_by_variant(k, (self.variant,))[self.variant]
        return [(int(a), int(b), float(v)) for a, b, v in zip(rows, cols, vals, strict=True)]

    def top_new_pairs_by_variant(
        self, k: int, variants: tuple[tuple[str, str], ...]
    ) -> dict[tuple[str, str], tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """For each variant (base, tie-break) of `variants`: the k best new pairs as arrays (rows, cols,
        scores), in one pass over the graph a block of rows at a time (each base's block of scores and the
        block's three-hop resource computed once, whatever the tie-breaks)."""
        g = self.graph
        n = g.n
        k = max(0, min(k, n * (n - 1) // 2 - len(g.adj.data) // 2))
        # One product per divisor: the local-path bases share RA's and add the block's three-hop resource.
        divisor_of = {b: "ra" if b in PATH_WEIGHTS else b for b, _t in variants}
        lefts = {d: (g.adj @ sp.diags(_divisor(g.strength, d))).tocsr() for d in set(divisor_of.values())}
        best = {v: _Best(k) for v in variants}
        in_order = sorted(best, key=lambda v: list(divisor_of).index(v[0]))  # a base's variants together
        if k == 0:
            return {v: (best[v].rows, best[v].cols, best[v].vals) for v in variants}
        col = np.arange(n)
        for rows in row_blocks(np.arange(n - 1), n):
            # Pairs (r, c) with c > r and no edge yet are open; the others are set below every score.
            closed = col[np.newaxis, :] <= rows[:, np.newaxis]
            owner, nb, _w = g.gather(rows)
            closed[owner, nb] = True
            open_count = int((~closed).sum())
            if open_count == 0:
                continue
            want = min(k, open_count)
            ties = _BlockTies(self, rows)
            two_hop: dict[str, np.ndarray] = {}
            flat, flat_base = np.zeros(0), ""  # one base's block of scores at a time
            for v in in_order:
                b, tie = v
                if b != flat_base:
                    d = divisor_of[b]
                    if d not in two_hop:
                        two_hop[d] = np.asarray((lefts[d][rows] @ g.adj).toarray()).ravel()
                    flat = (
                        two_hop[d] + PATH_WEIGHTS[b] * ties.three_hop()
                        if b in PATH_WEIGHTS
                        else two_hop[d].copy()
                    )
                    flat[closed.ravel()] = -1.0
                    flat_base = b
                # Candidates: any pair the tie-break could lift past the floor of what is held, and past
                # the k-th base of this block (every tie-break term is below TIEBREAK_SCALE).
                cand = np.flatnonzero(flat >= max(best[v].floor() - TIEBREAK_SCALE, 0.0))
                if len(cand) > want:
                    cand = cand[flat[cand] >= _kth_largest(flat[cand], want) - TIEBREAK_SCALE]
                vals = flat[cand] + TIEBREAK_SCALE * ties.of(cand, tie)
                keep = np.lexsort((cand, -vals))[:k]
                best[v].add(vals[keep], rows[cand[keep] // n], cand[keep] % n)
        return {v: (best[v].rows, best[v].cols, best[v].vals) for v in variants}


class _BlockTies:
    """The tie-break of pairs of a block of rows (flat indices into the block), computed once per block:
    for a few pairs by gathering, for many at once over the whole block."""

    MANY = 50_000

    def __init__(self, predictor: LinkPredictor, rows: np.ndarray) -> None:
        self.p = predictor
        self.rows = rows
        self.n = predictor.graph.n
        self._two_hop: np.ndarray | None = None  # (A·D⁻¹)² rows of the block
        self._three: np.ndarray | None = None  # RA3 of every pair of the block, flat
        self._all: np.ndarray | None = None  # the tie-break of every pair of the block

    def _r2(self) -> np.ndarray:
        if self._two_hop is None:
            g = self.p.graph
            self._two_hop = (g._adj_inv[self.rows] @ g._adj_inv).toarray()
        return self._two_hop

    def three_hop(self) -> np.ndarray:
        """RA3 of every pair of the block (flat, len(rows) × n)."""
        if self._three is None:
            # A is symmetric: A·R2ᵀ, transposed, is R2·A, and scipy's CSR times a dense block is the faster way.
            self._three = np.ascontiguousarray(np.asarray(self.p.graph.adj @ self._r2().T).T).ravel()
        return self._three

    def of(self, flat: np.ndarray, tie: str | None = None) -> np.ndarray:
        g, tie = self.p.graph, tie or self.p._tie
        r, c = self.rows[flat // self.n], flat % self.n
        if tie == "quiet":
            return 1.0 / (1.0 + g.strength[r] * g.strength[c])
        if tie != "ra3" or not len(flat):
            return np.zeros(len(flat))
        if self._all is None and (len(flat) > self.MANY or self._three is not None):
            raw = self.three_hop()
            self._all = raw / (1.0 + raw)
        if self._all is not None:
            return self._all[flat]
        owner, nb, w = g.gather(c)
        raw = np.bincount(owner, weights=self._r2()[(flat // self.n)[owner], nb] * w, minlength=len(flat))
        return raw / (1.0 + raw)


def _three_hop_rows(graph: TrustGraph, rows: np.ndarray) -> np.ndarray:
    """Dense RA3 of `rows` against every node (len(rows) × n)."""
    two = (graph._adj_inv[rows] @ graph._adj_inv).toarray()
    return np.ascontiguousarray(np.asarray(graph.adj @ two.T).T)  # = two·A, A symmetric
