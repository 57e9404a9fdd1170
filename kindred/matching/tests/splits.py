"""What the link-prediction tests share: C. elegans from the shared data folder, the seeded 90/10 splits
bench/linkpred.py makes, and the classical indices' top new pairs (ties: smaller pair first)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

CELEGANS = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "Celegans.txt"


def read_edges(path: Path) -> list[tuple[int, int]]:
    return sorted(
        {
            (min(a, b), max(a, b))
            for a, b in (map(int, line.split()[:2]) for line in path.read_text().splitlines())
            if a != b
        }
    )


def split(edges: list[tuple[int, int]], seed: int) -> tuple[set[tuple[int, int]], list[tuple[int, int]]]:
    """(the hidden tenth, the training edges), as bench/linkpred.py splits with this seed."""
    order = np.random.default_rng(seed).permutation(len(edges))
    k = round(len(edges) * 0.1)
    return {edges[i] for i in order[:k]}, [edges[i] for i in order[k:]]


def classical_hits(
    adj: np.ndarray, hidden: set[tuple[int, int]], names: tuple[str, ...], top: int = 100
) -> dict[str, int]:
    """The hidden edges among the top new pairs of each classical index named ("cn", "ra", "aa") on the
    dense 0/1 adjacency `adj`."""
    n = len(adj)
    degree = adj.sum(axis=1)
    divisors = {
        "cn": np.ones(n),
        "ra": np.divide(1.0, degree, out=np.zeros(n), where=degree > 0),
        "aa": np.divide(1.0, np.log(np.maximum(degree, 2)), out=np.zeros(n), where=degree > 1),
    }
    iu = np.triu_indices(n, 1)
    open_ = adj[iu] == 0
    rows, cols = iu[0][open_], iu[1][open_]
    found = {}
    for name in names:
        score = ((adj * divisors[name]) @ adj)[iu][open_]
        best = np.lexsort((cols, rows, -score))[:top]
        found[name] = sum((int(a), int(b)) in hidden for a, b in zip(rows[best], cols[best], strict=True))
    return found
