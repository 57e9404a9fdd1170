"""Link prediction: Kindred's trust scorer against common neighbours, Adamic–Adar, resource allocation,
Jaccard and Katz (β = 0.005), and its time and memory at scale.

    .venv/bin/python bench/linkpred.py [--splits 5] [--scale-splits 3] [--first-seed 0] [--data ../shared/data]
                                       [--no-scale] [--only NAME ...]

Graphs: USAir, NS, C. elegans (from the data folder, skipped when absent), networkx's karate club and
Les Misérables, and a seeded power-law cluster graph of 4 000 nodes and ~87 000 edges (Holme–Kim,
networkx.powerlaw_cluster_graph(4000, 22, 0.1, seed=7): heavy-tailed degrees and triangles, as in a large
association). Per graph and seed: a 90/10 random edge split; AUC of the hidden edges against sampled
non-edges (10 per hidden edge, at least 1000, at most all; on the large graph 100 000 candidate pairs in
all; ties count half) and precision of the top 100 new pairs among all non-training pairs. Kindred's scorer
is run through its command line (python -m kindred.matching.linkpred --train … --candidates … / --top 100,
each run choosing its variant and its re-ranker of new pairs on the training edges alone), with the wall
time and peak RSS of each run (GNU time); the baselines in-process on the same split. Means over the seeds
(time and memory: the worst run); the LAST line is JSON. --first-seed S takes the splits of seeds S, S+1, …
(other runs, other splits: Kindred chooses its variant on each run's training edges alone).
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
import scipy.sparse as sp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kindred.matching.engine.trust import auc_with_ties  # noqa: E402

TOP = 100
NEGATIVES_PER_EDGE = 10
MIN_NEGATIVES = 1000
SCALE = "plc4000"  # the large synthetic graph
SCALE_CANDIDATES = 100_000
CLASSICAL = ("CN", "AA", "RA", "Jaccard", "Katz")
# Katz's β as in the data README's reference figures (0.005): below 1 / the largest eigenvalue of every graph
# here (plc4000's is 86, so β·λ = 0.43), where Σ β^l A^l converges to (I − βA)⁻¹ − I.
KATZ_BETA = 0.005


def load(path: Path) -> list[tuple[int, int]]:
    edges = set()
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] != parts[1]:
            a, b = int(parts[0]), int(parts[1])
            edges.add((min(a, b), max(a, b)))
    return sorted(edges)


def graphs(data: Path, scale: bool) -> dict[str, list[tuple[int, int]]]:
    out = {}
    for name in ("USAir", "NS", "Celegans"):
        if (data / f"{name}.txt").exists():
            out[name] = load(data / f"{name}.txt")
    out["karate"] = sorted((min(a, b), max(a, b)) for a, b in nx.karate_club_graph().edges())
    g = nx.les_miserables_graph()
    idx = {v: i for i, v in enumerate(sorted(g.nodes()))}
    out["lesmis"] = sorted((min(idx[a], idx[b]), max(idx[a], idx[b])) for a, b in g.edges())
    if scale:
        big = nx.powerlaw_cluster_graph(4000, 22, 0.1, seed=7)
        out[SCALE] = sorted((min(a, b), max(a, b)) for a, b in big.edges())
    return out


def classical(train: list[tuple[int, int]], n: int) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The classical indices as dense n × n arrays (sparse products, then densified; Katz a dense inverse:
    fine at 4 000)."""
    pairs = np.array(train, dtype=np.int64)
    rows = np.concatenate([pairs[:, 0], pairs[:, 1]])
    cols = np.concatenate([pairs[:, 1], pairs[:, 0]])
    s = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    deg = np.asarray(s.sum(axis=1)).ravel()
    inv = np.where(deg > 0, 1.0 / np.maximum(deg, 1), 0.0)
    invlog = np.where(deg > 1, 1.0 / np.log(np.maximum(deg, 2)), 0.0)
    cn = (s @ s).toarray()
    union = deg[:, np.newaxis] + deg[np.newaxis, :] - cn
    jaccard = np.divide(cn, union, out=np.zeros_like(cn), where=union > 0)
    out = {
        "CN": cn,
        "AA": (s @ sp.diags(invlog) @ s).toarray(),
        "RA": (s @ sp.diags(inv) @ s).toarray(),
        "Jaccard": jaccard,
    }
    dense = s.toarray()
    out["Katz"] = np.linalg.inv(np.eye(n) - KATZ_BETA * dense) - np.eye(n)
    return out, dense


def precision_dense(m: np.ndarray, adj: np.ndarray, test: set[tuple[int, int]]) -> float:
    n = len(m)
    iu = np.triu_indices(n, 1)
    free = adj[iu] == 0
    vals, rows, cols = m[iu][free], iu[0][free], iu[1][free]
    order = np.lexsort((cols, rows, -vals))[:TOP]
    return sum((int(rows[i]), int(cols[i])) in test for i in order) / TOP


def timed(cmd: list[str]) -> tuple[float, float, float]:
    """Run `cmd` to the end: (wall seconds, peak RSS in MB, CPU seconds user + system) of that process
    alone, as GNU time reports them (a child forked from this process would count this process's pages
    until its exec). On a shared machine the CPU time is the steadier figure."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as out:
        started = time.perf_counter()
        subprocess.run(["/usr/bin/time", "-f", "%M %U %S", "-o", out.name, *cmd], check=True, cwd=ROOT)
        seconds = time.perf_counter() - started
        rss, user, system = out.read().split()[-3:]
        return seconds, int(rss) / 1024, float(user) + float(system)


def run_kindred(
    tmp: Path, train, test, neg, runs: dict[str, list[tuple[float, float, float]]]
) -> tuple[np.ndarray, np.ndarray, list[tuple[int, int]]]:
    (tmp / "train.txt").write_text("".join(f"{a} {b}\n" for a, b in train))
    (tmp / "cand.txt").write_text("".join(f"{a} {b}\n" for a, b in [*test, *neg]))
    cli = [sys.executable, "-m", "kindred.matching.linkpred", "--train", str(tmp / "train.txt")]
    runs.setdefault("candidates", []).append(
        timed([*cli, "--candidates", str(tmp / "cand.txt"), "--out", str(tmp / "s.txt")])
    )
    runs.setdefault("top", []).append(timed([*cli, "--top", str(TOP), "--out", str(tmp / "top.txt")]))
    scores = np.array([float(x) for x in (tmp / "s.txt").read_text().split()])
    top = [tuple(int(v) for v in line.split()[:2]) for line in (tmp / "top.txt").read_text().splitlines()]
    return scores[: len(test)], scores[len(test) :], top  # type: ignore[return-value]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--splits", type=int, default=5)
    parser.add_argument("--scale-splits", type=int, default=3, help="splits of the 4 000-node graph")
    parser.add_argument("--no-scale", action="store_true", help="leave the 4 000-node graph out")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--first-seed", type=int, default=0, help="seed of the first split")
    parser.add_argument("--only", nargs="*", default=None, help="these graphs alone")
    args = parser.parse_args()
    report: dict[str, dict[str, dict[str, float]]] = {}
    costs: dict[str, dict[str, float]] = {}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        for name, edges in graphs(args.data, not args.no_scale).items():
            if args.only and name not in args.only:
                continue
            n = 1 + max(max(e) for e in edges)
            sums: dict[str, list[tuple[float, float]]] = {}
            runs: dict[str, list[tuple[float, float, float]]] = {}
            splits = args.scale_splits if name == SCALE else args.splits
            for seed in range(args.first_seed, args.first_seed + splits):
                rng = np.random.default_rng(seed)
                perm = rng.permutation(len(edges))
                k = round(len(edges) * 0.1)
                test = [edges[i] for i in perm[:k]]
                train = [edges[i] for i in perm[k:]]
                known = set(edges)
                want = min(max(k * NEGATIVES_PER_EDGE, MIN_NEGATIVES), n * (n - 1) // 2 - len(edges))
                if name == SCALE:
                    want = SCALE_CANDIDATES - k
                neg: set[tuple[int, int]] = set()
                while len(neg) < want:
                    a, b = (int(v) for v in rng.integers(0, n, 2))
                    if a != b and (min(a, b), max(a, b)) not in known:
                        neg.add((min(a, b), max(a, b)))
                negs = sorted(neg)
                testset = set(test)
                scores, adj = classical(train, n)
                for key, m in scores.items():
                    pos = m[tuple(np.array(test).T)]
                    ng = m[tuple(np.array(negs).T)]
                    sums.setdefault(key, []).append(
                        (auc_with_ties(pos, ng), precision_dense(m, adj, testset))
                    )
                del scores, adj
                pos, ng, top = run_kindred(tmp, train, test, negs, runs)
                p = sum(pair in testset for pair in top) / TOP
                sums.setdefault("Kindred", []).append((auc_with_ties(pos, ng), p))
            report[name] = {
                key: {
                    "auc": round(float(np.mean([v[0] for v in vals])), 4),
                    "p100": round(float(np.mean([v[1] for v in vals])), 4),
                }
                for key, vals in sums.items()
            }
            costs[name] = {
                f"{mode}_{what}": round(max(v[i] for v in vals), 2)
                for mode, vals in runs.items()
                for i, what in ((0, "seconds"), (1, "max_rss_mb"), (2, "cpu_seconds"))
            }
            r = report[name]
            best_auc = max(r[k]["auc"] for k in CLASSICAL)
            best_p = max(r[k]["p100"] for k in CLASSICAL)
            r["Kindred"]["auc_vs_best"] = round(r["Kindred"]["auc"] / best_auc, 4)
            r["Kindred"]["p100_vs_best"] = round(r["Kindred"]["p100"] / best_p, 4) if best_p else 1.0
            line = "  ".join(f"{k} AUC {v['auc']:.3f} P@100 {v['p100']:.3f}" for k, v in r.items())
            print(
                f"{name:9s} {line}  (Kindred/best: AUC ×{r['Kindred']['auc_vs_best']}, P@100 ×{r['Kindred']['p100_vs_best']})"
            )
            c = costs[name]
            print(
                f"{'':9s} CLI worst run: --candidates {c['candidates_seconds']} s (CPU {c['candidates_cpu_seconds']} s)"
                f" {c['candidates_max_rss_mb']} MB, --top {c['top_seconds']} s (CPU {c['top_cpu_seconds']} s)"
                f" {c['top_max_rss_mb']} MB",
                flush=True,
            )
    print(
        json.dumps(
            {
                "bench": "linkpred",
                "splits": args.splits,
                "first_seed": args.first_seed,
                "scale_splits": 0 if args.no_scale else args.scale_splits,
                "seconds": round(time.perf_counter() - started, 1),
                "graphs": report,
                "cli": costs,
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
