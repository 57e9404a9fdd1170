"""Matching latency: top-10 matches for one member among 10k and 100k synthetic members, beside a
brute-force numpy product over the same matrices in the same run; and a full recompute for a 500-member
circle (text index, trust score, ranking, explanations).

    .venv/bin/python bench/matching_latency.py [--queries 200]

The 10k/100k cards are sparse TF-IDF rows drawn like real cards (8–14 terms each from a 6000-term
vocabulary, Zipf-distributed); the product path is TextIndex.row_scores (two sparse row products and the
fusion) + top-k; the baseline densifies the same matrices (in 10k-row blocks, float64) and takes the same
top-k. The 500-member circle goes through the real pipeline (jieba, taxonomy, Ranker.run). LAST line JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kindred.circles.taxonomy import INDUSTRIES  # noqa: E402
from kindred.matching.engine.rank import Person, Ranker  # noqa: E402
from kindred.matching.engine.text import DEFAULT_FUSION, FUSIONS, CardText, Lexicon, TextIndex  # noqa: E402
from kindred.matching.engine.trust import top_k  # noqa: E402

VOCAB = 6000
K = 10
BLOCK = 10_000


def synthetic(n: int, rng: np.random.Generator) -> sp.csr_matrix:
    lengths = rng.integers(8, 15, n)
    cols = np.minimum(rng.zipf(1.3, lengths.sum()) - 1, VOCAB - 1)
    rows = np.repeat(np.arange(n), lengths)
    m = sp.csr_matrix((rng.random(len(cols)) + 0.5, (rows, cols)), shape=(n, VOCAB))
    norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
    return (sp.diags(1 / np.maximum(norms, 1e-12)) @ m).tocsr()


def index_of(needs: sp.csr_matrix, offers: sp.csr_matrix) -> TextIndex:
    idx = TextIndex.__new__(TextIndex)  # the product's scoring code over prepared matrices
    idx.needs, idx.offers, idx.clients = needs, offers, {}
    idx.keys = list(range(needs.shape[0]))
    idx.row = {k: k for k in idx.keys}
    return idx


def brute(needs: sp.csr_matrix, offers: sp.csr_matrix, i: int) -> np.ndarray:
    q_need = needs[i].toarray().ravel()
    q_offer = offers[i].toarray().ravel()
    fwd, bwd = [], []
    for start in range(0, needs.shape[0], BLOCK):
        fwd.append(offers[start : start + BLOCK].toarray() @ q_need)
        bwd.append(needs[start : start + BLOCK].toarray() @ q_offer)
    fused = FUSIONS[DEFAULT_FUSION](np.concatenate(fwd), np.concatenate(bwd))
    fused[i] = 0
    return top_k(fused, K)


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(p / 100 * (len(xs) - 1)))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    rng = np.random.default_rng(7)
    out: dict[str, object] = {"bench": "matching_latency", "fusion": DEFAULT_FUSION}
    for n in (10_000, 100_000):
        needs, offers = synthetic(n, rng), synthetic(n, rng)
        idx = index_of(needs, offers)
        queries = rng.integers(0, n, args.queries)
        fast: list[float] = []
        slow: list[float] = []
        brute_queries = queries[: max(5, args.queries // (20 if n > 10_000 else 4))]
        for q in queries:
            t = time.perf_counter()
            _f, fused = idx.row_scores(int(q))
            got = top_k(fused, K)
            fast.append(time.perf_counter() - t)
            if q in brute_queries and len(slow) < len(brute_queries):
                t = time.perf_counter()
                want = brute(needs, offers, int(q))
                slow.append(time.perf_counter() - t)
                assert np.allclose(np.sort(fused[got]), np.sort(fused[want])), "the two paths disagree"
        figures = {
            "p50_ms": round(pct(fast, 50), 3),
            "p99_ms": round(pct(fast, 99), 3),
            "brute_p50_ms": round(pct(slow, 50), 3),
            "brute_p99_ms": round(pct(slow, 99), 3),
            "speedup_p50": round(pct(slow, 50) / pct(fast, 50), 1),
        }
        out[f"members_{n}"] = figures
        print(
            f"{n:>7} members: top-{K} p50 {figures['p50_ms']} ms, p99 {figures['p99_ms']} ms;"
            f" brute-force numpy p50 {figures['brute_p50_ms']} ms, p99 {figures['brute_p99_ms']} ms"
            f" (×{figures['speedup_p50']})"
        )
    lexicon = Lexicon.from_rows((c, zh, en, s) for c, zh, en, s, _p in INDUSTRIES)
    words = [w for _c, zh, _e, syn, _p in INDUSTRIES for w in (zh, *syn.split())] + [
        "PPT",
        "小程序开发",
        "技术团队",
        "长期客户",
        "融资",
        "版权合同",
        "剧本",
        "投流",
        "达人",
        "场地",
    ]
    cards, people, edges = [], [], []
    for i in range(500):
        pick = rng.choice(len(words), 8, replace=False)
        cards.append(
            CardText(
                i, offers="，".join(words[j] for j in pick[:4]), needs="，".join(words[j] for j in pick[4:])
            )
        )
        people.append(Person(i, city=str(rng.choice(["北京", "上海", "杭州"]))))
        if i:
            edges.append((int(rng.integers(0, i)), i, 1.0))
    edges += [(int(a), int(b), 1.0) for a, b in rng.integers(0, 500, (1500, 2)) if a != b]
    Ranker(cards[:20], people[:20], [], lexicon).run()  # warm jieba
    t = time.perf_counter()
    result = Ranker(cards, people, edges, lexicon).run()
    seconds = time.perf_counter() - t
    out["recompute_500"] = {
        "seconds": round(seconds, 3),
        "matches": sum(len(v) for v in result.matches.values()),
    }
    print(f"full recompute, 500-member circle: {seconds:.2f} s")
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
