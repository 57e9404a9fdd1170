"""Reciprocal fusion against one-way scoring on the hand-labelled Chinese cards in bench/data/.

    .venv/bin/python bench/reciprocal.py

bench/data/reciprocal_cards.json holds 16 cards and, per card, the members labelled a good (two-sided)
match by hand (who labelled it, and the criterion, are in its "about"). For every card, the other 15 are
ranked by each scorer: one-way s(A→B) (how well B's offers answer A's needs) and the reciprocal fusions
(harmonic, geometric, arithmetic, min) of s(A→B) and s(B→A). Figures: MRR, P@3 and nDCG@5, mean over
the cards. The product keeps harmonic unless another fusion wins here. The LAST line is JSON.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kindred.circles.taxonomy import INDUSTRIES  # noqa: E402
from kindred.matching.engine.text import DEFAULT_FUSION, FUSIONS, CardText, Lexicon, TextIndex  # noqa: E402

DATA = ROOT / "bench" / "data" / "reciprocal_cards.json"


def metrics(scores: np.ndarray, keys: list[int], labels: dict[str, list[int]]) -> dict[str, float]:
    mrr = p3 = ndcg = 0.0
    for i, key in enumerate(keys):
        good = set(labels[str(key)])
        row = scores[i].copy()
        row[i] = -np.inf
        order = [keys[j] for j in np.lexsort((np.arange(len(keys)), -row)) if j != i]
        first = next((r for r, k in enumerate(order, start=1) if k in good), None)
        mrr += 1.0 / first if first else 0.0
        p3 += sum(k in good for k in order[:3]) / 3
        dcg = sum(1 / math.log2(r + 1) for r, k in enumerate(order[:5], start=1) if k in good)
        ideal = sum(1 / math.log2(r + 1) for r in range(1, min(len(good), 5) + 1))
        ndcg += dcg / ideal
    n = len(keys)
    return {"mrr": round(mrr / n, 4), "p3": round(p3 / n, 4), "ndcg5": round(ndcg / n, 4)}


def main() -> None:
    data = json.loads(DATA.read_text(encoding="utf-8"))
    cards = [CardText(c["id"], offers=c["offers"], needs=c["needs"]) for c in data["cards"]]
    index = TextIndex(cards, Lexicon.from_rows((c, zh, en, s) for c, zh, en, s, _p in INDUSTRIES))
    keys = index.keys
    one = index.one_way()
    results = {"one_way": metrics(one, keys, data["good_matches"])}
    for name, fuse in FUSIONS.items():
        results[name] = metrics(fuse(one, one.T), keys, data["good_matches"])
    for name, r in results.items():
        ratio = r["mrr"] / results["one_way"]["mrr"] if results["one_way"]["mrr"] else float("nan")
        print(
            f"{name:10s} MRR {r['mrr']:.3f}  P@3 {r['p3']:.3f}  nDCG@5 {r['ndcg5']:.3f}  (MRR ×{ratio:.2f} one-way)"
        )
    best = max(FUSIONS, key=lambda k: (results[k]["mrr"] + results[k]["ndcg5"], k == DEFAULT_FUSION))
    print(
        json.dumps(
            {
                "bench": "reciprocal",
                "cards": len(cards),
                "default": DEFAULT_FUSION,
                "best": best,
                "results": results,
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
