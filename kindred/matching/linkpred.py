"""The trust scorer on the command line, for evaluation on real graphs. No Django needed.

    python -m kindred.matching.linkpred --train EDGES --candidates PAIRS --out SCORES
        one score per candidate pair, in the order of PAIRS
    python -m kindred.matching.linkpred --train EDGES --top K --out FILE
        the K best new pairs, "a b score" per line, none of them already an edge

EDGES and PAIRS: whitespace-separated integer node ids, one pair per line; extra columns are ignored (a
weight column is NOT used: every edge counts 1, as for the classical indices). Blank lines and lines
starting with # are skipped. It runs kindred.matching.engine.trust.LinkPredictor, the scorer of the product,
with the variant and the re-ranker of new pairs chosen on the training edges alone (LinkPredictor.choose):
a score above 1 is a pair of the re-ranked pool (1 + the probability the re-ranker gives it), below 1 any
other pair (the variant's score s as s / (1 + s)); --top lists the re-ranked pool's best pairs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

from kindred.matching.engine.trust import LinkPredictor, TrustGraph


class InputError(ValueError):
    pass


def read_pairs(path: Path) -> Iterator[tuple[int, int]]:
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            parts = line.split()
            if not parts or parts[0].startswith("#"):
                continue
            if len(parts) < 2:
                raise InputError(f"{path}:{number}: expected two node ids")
            try:
                a, b = int(parts[0]), int(parts[1])
            except ValueError as exc:
                raise InputError(f"{path}:{number}: node ids must be integers") from exc
            if a < 0 or b < 0:
                raise InputError(f"{path}:{number}: node ids must not be negative")
            yield a, b


class IdMap:
    """Raw node ids → dense indices 0..n-1 (ids may be sparse, e.g. NS's go up to 1589)."""

    def __init__(self) -> None:
        self.index: dict[int, int] = {}
        self.raw: list[int] = []

    def add(self, node: int) -> int:
        if node not in self.index:
            self.index[node] = len(self.raw)
            self.raw.append(node)
        return self.index[node]


def build(edges: list[tuple[int, int]], seed: int, nodes: Iterable[int] = ()) -> tuple[LinkPredictor, IdMap]:
    """The predictor over the training edges; `nodes` named only by candidate pairs join as nodes without
    edges (degree 0), as members without ties are in the product."""
    ids = IdMap()
    for node in sorted(
        {n for pair in edges for n in pair} | set(nodes)
    ):  # ids in order: 0..n-1 stay as they are
        ids.add(node)
    dense = [(ids.index[a], ids.index[b], 1.0) for a, b in edges]
    return LinkPredictor(TrustGraph(len(ids.raw), dense), seed=seed), ids


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m kindred.matching.linkpred", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--train", required=True, type=Path, help="known edges, 'a b' per line")
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--candidates", type=Path, help="pairs to score, 'a b' per line")
    mode.add_argument("--top", type=int, help="write the K best new pairs")
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--seed", type=int, default=0, help="seed of the hold-outs that choose the variant")
    args = parser.parse_args(argv)
    if args.top is not None and args.top < 0:
        parser.error("--top must be at least 0")
    try:
        pairs = list(read_pairs(args.candidates)) if args.candidates is not None else []
        predictor, ids = build(list(read_pairs(args.train)), args.seed, {n for p in pairs for n in p})
        if args.candidates is not None:
            xs = [ids.index.get(a, -1) for a, _b in pairs]
            ys = [ids.index.get(b, -1) for _a, b in pairs]
            scores: list[float] = predictor.score_pairs(xs, ys).tolist() if pairs else []
            lines = [f"{s:.17g}" for s in scores]
        else:
            lines = [f"{ids.raw[a]} {ids.raw[b]} {s:.17g}" for a, b, s in predictor.top_new_pairs(args.top)]
    except (OSError, InputError) as exc:
        print(f"linkpred: {exc}", file=sys.stderr)
        return 2
    args.out.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
