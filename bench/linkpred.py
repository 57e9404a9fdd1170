"""Link prediction: Kindred's trust scorer against common neighbours, Adamic–Adar and resource allocation.

    .venv/bin/python bench/linkpred.py [--splits 5] [--data ../shared/data]

Graphs: USAir, NS, C. elegans (from the data folder, skipped when absent) and networkx's karate club and
Les Misérables. Per graph and seed: a 90/10 random edge split; AUC of the hidden edges against sampled
non-edges (10 per hidden edge, at least 1000, at most all; ties count half) and precision of the top 100
new pairs among all non-training pairs. Kindred's scorer is run through its command line
(python -m kindred.matching.linkpred --train … --candidates … / --top 100), the baselines in-process
on the same split. Means over the seeds; the LAST line is JSON.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import networkx as nx
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kindred.matching.engine.trust import auc_with_ties  # noqa: E402

TOP = 100
NEGATIVES_PER_EDGE = 10
MIN_NEGATIVES = 1000


def load(path: Path) -> list[tuple[int, int]]:
    edges = set()
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] != parts[1]:
            a, b = int(parts[0]), int(parts[1])
            edges.add((min(a, b), max(a, b)))
    return sorted(edges)


def graphs(data: Path) -> dict[str, list[tuple[int, int]]]:
    out = {}
    for name in ("USAir", "NS", "Celegans"):
        if (data / f"{name}.txt").exists():
            out[name] = load(data / f"{name}.txt")
    out["karate"] = sorted((min(a, b), max(a, b)) for a, b in nx.karate_club_graph().edges())
    g = nx.les_miserables_graph()
    idx = {v: i for i, v in enumerate(sorted(g.nodes()))}
    out["lesmis"] = sorted((min(idx[a], idx[b]), max(idx[a], idx[b])) for a, b in g.edges())
    return out


def classical(train: list[tuple[int, int]], n: int) -> tuple[dict[str, np.ndarray], np.ndarray]:
    a = np.zeros((n, n))
    for x, y in train:
        a[x, y] = a[y, x] = 1.0
    deg = a.sum(axis=1)
    inv = np.where(deg > 0, 1.0 / np.maximum(deg, 1), 0.0)
    invlog = np.where(deg > 1, 1.0 / np.log(np.maximum(deg, 2)), 0.0)
    return {"CN": a @ a, "AA": (a * invlog) @ a, "RA": (a * inv) @ a}, a


def precision_dense(m: np.ndarray, adj: np.ndarray, test: set[tuple[int, int]]) -> float:
    n = len(m)
    iu = np.triu_indices(n, 1)
    free = adj[iu] == 0
    vals, rows, cols = m[iu][free], iu[0][free], iu[1][free]
    order = np.lexsort((cols, rows, -vals))[:TOP]
    return sum((int(rows[i]), int(cols[i])) in test for i in order) / TOP


def run_kindred(tmp: Path, train, test, neg) -> tuple[np.ndarray, np.ndarray, list[tuple[int, int]]]:
    (tmp / "train.txt").write_text("".join(f"{a} {b}\n" for a, b in train))
    (tmp / "cand.txt").write_text("".join(f"{a} {b}\n" for a, b in [*test, *neg]))
    cli = [sys.executable, "-m", "kindred.matching.linkpred", "--train", str(tmp / "train.txt")]
    subprocess.run(
        [*cli, "--candidates", str(tmp / "cand.txt"), "--out", str(tmp / "s.txt")], check=True, cwd=ROOT
    )
    subprocess.run([*cli, "--top", str(TOP), "--out", str(tmp / "top.txt")], check=True, cwd=ROOT)
    scores = np.array([float(x) for x in (tmp / "s.txt").read_text().split()])
    top = [tuple(int(v) for v in line.split()[:2]) for line in (tmp / "top.txt").read_text().splitlines()]
    return scores[: len(test)], scores[len(test) :], top  # type: ignore[return-value]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--splits", type=int, default=5)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    args = parser.parse_args()
    report: dict[str, dict[str, dict[str, float]]] = {}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        for name, edges in graphs(args.data).items():
            n = 1 + max(max(e) for e in edges)
            sums: dict[str, list[tuple[float, float]]] = {}
            for seed in range(args.splits):
                rng = np.random.default_rng(seed)
                perm = rng.permutation(len(edges))
                k = round(len(edges) * 0.1)
                test = [edges[i] for i in perm[:k]]
                train = [edges[i] for i in perm[k:]]
                known = set(edges)
                want = min(max(k * NEGATIVES_PER_EDGE, MIN_NEGATIVES), n * (n - 1) // 2 - len(edges))
                neg: set[tuple[int, int]] = set()
                while len(neg) < want:
                    a, b = (int(v) for v in rng.integers(0, n, 2))
                    if a != b and (min(a, b), max(a, b)) not in known:
                        neg.add((min(a, b), max(a, b)))
                negs = sorted(neg)
                testset = set(test)
                scores, adj = classical(train, n)
                for key, m in scores.items():
                    pos = np.array([m[a, b] for a, b in test])
                    ng = np.array([m[a, b] for a, b in negs])
                    sums.setdefault(key, []).append(
                        (auc_with_ties(pos, ng), precision_dense(m, adj, testset))
                    )
                pos, ng, top = run_kindred(tmp, train, test, negs)
                p = sum(pair in testset for pair in top) / TOP
                sums.setdefault("Kindred", []).append((auc_with_ties(pos, ng), p))
            report[name] = {
                key: {
                    "auc": round(float(np.mean([v[0] for v in vals])), 4),
                    "p100": round(float(np.mean([v[1] for v in vals])), 4),
                }
                for key, vals in sums.items()
            }
            r = report[name]
            best_auc = max(r[k]["auc"] for k in ("CN", "AA", "RA"))
            best_p = max(r[k]["p100"] for k in ("CN", "AA", "RA"))
            r["Kindred"]["auc_vs_best"] = round(r["Kindred"]["auc"] / best_auc, 4)
            r["Kindred"]["p100_vs_best"] = round(r["Kindred"]["p100"] / best_p, 4) if best_p else 1.0
            line = "  ".join(f"{k} AUC {v['auc']:.3f} P@100 {v['p100']:.3f}" for k, v in r.items())
            print(
                f"{name:9s} {line}  (Kindred/best: AUC ×{r['Kindred']['auc_vs_best']}, P@100 ×{r['Kindred']['p100_vs_best']})"
            )
    print(
        json.dumps(
            {
                "bench": "linkpred",
                "splits": args.splits,
                "seconds": round(time.perf_counter() - started, 1),
                "graphs": report,
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
