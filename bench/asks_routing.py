"""Ask routing: Kindred's router against "most active answerer first", BM25 and random, on real asks.

    .venv/bin/python bench/asks_routing.py [--data ../shared/data] [--top 20] [--keep DIR]

Data: coffee.stackexchange-Posts.xml from the data folder (see its README). The split, as the README
gives it: questions in order of CreationDate; the first 80 % are the history, with only the answers
created before the first later question's CreationDate; the later questions are the asks, kept when at
least one of their answerers (asker excluded) answered in the history; candidates are everyone who
answered in the history. The router runs through its command line (python -m kindred.conversation.routing
route --history … --questions … --out …) on JSON-lines files written to a temp dir; it learns its weights
from the history file alone. The baselines run in-process, written here independently of the router:

- active: most answers in the history first (ties by user id as a string, as the README's figures do);
- bm25: Okapi BM25 (k1 1.2, b 0.75) over one document per answerer: their past answers, each with the
  title and tags of the question it answers; the query is the ask's title, tags and body; words are
  lower-cased alphanumeric runs of the raw text;
- bm25-sum: another reading of the README's baseline, the strongest of the variants we tried, chosen on
  these very asks (so an optimistic baseline): one document per answer, markup removed, the query is the
  ask's title and tags, an answerer's score is the sum over their answers;
- random: the expectation over RANDOM_SHUFFLES seeded shuffles.

Scores over the top 20 with the asker left out: MRR (first answerer), P@1, R@5 (share of an ask's
answerers in the first five, averaged over asks). Prints a table and ratios; the LAST line is JSON.
"""

from __future__ import annotations

import argparse
import html
import json
import math
import random
import re
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
POSTS = "coffee.stackexchange-Posts.xml"
HISTORY_SHARE = 0.8
TOP = 20
RANDOM_SHUFFLES = 1000
README_FIGURES = {  # ../shared/data/README.md, for the check printed beside ours
    "active": {"mrr": 0.244, "p1": 0.135, "r5": 0.52},
    "bm25": {"mrr": 0.261, "p1": 0.108, "r5": 0.36},
}


@dataclass
class Split:
    history: list[dict[str, Any]]  # HISTORY lines
    asks: list[dict[str, Any]]  # QUESTIONS lines
    truth: dict[str, set[str]]  # ask id → its answerers (asker excluded) who answered in the history
    candidates: list[str]
    posts: dict[str, dict[str, Any]]  # question id → question (for the baselines)


def parse(path: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(questions, answers) of a Stack Exchange Posts.xml; posts without an owner are dropped."""
    questions, answers = [], []
    for _event, el in ET.iterparse(path):  # noqa: S314 (a public data dump, not user input)
        if el.tag != "row":
            continue
        a = el.attrib
        owner = a.get("OwnerUserId")
        if a.get("PostTypeId") == "1" and owner:
            questions.append(
                {
                    "id": a["Id"],
                    "title": a.get("Title", ""),
                    "body": a.get("Body", ""),
                    "tags": re.findall(r"<([^<>]+)>", a.get("Tags", "")),
                    "created": a["CreationDate"],
                    "asker": owner,
                }
            )
        elif a.get("PostTypeId") == "2" and owner and a.get("ParentId"):
            answers.append(
                {"q": a["ParentId"], "user": owner, "body": a.get("Body", ""), "created": a["CreationDate"]}
            )
        el.clear()
    return questions, answers


def split(questions: list[dict[str, Any]], answers: list[dict[str, Any]]) -> Split:
    order = sorted(questions, key=lambda q: (q["created"], int(q["id"])))
    n = int(len(order) * HISTORY_SHARE)
    past, later = order[:n], order[n:]
    cutoff = later[0]["created"]
    by_q: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for a in sorted(answers, key=lambda a: a["created"]):
        by_q[a["q"]].append(a)
    history = [
        {
            **q,
            "answers": [
                {k: a[k] for k in ("user", "body", "created")} for a in by_q[q["id"]] if a["created"] < cutoff
            ],
        }
        for q in past
    ]
    candidates = sorted({a["user"] for q in history for a in q["answers"]})
    cset = set(candidates)
    asks, truth = [], {}
    for q in later:
        who = {a["user"] for a in by_q[q["id"]] if a["user"] != q["asker"] and a["user"] in cset}
        if who:
            asks.append(dict(q))
            truth[q["id"]] = who
    return Split(history, asks, truth, candidates, {q["id"]: q for q in questions})


# --- metrics ----------------------------------------------------------------------------------------


def scores(split_: Split, ranked: dict[str, list[str]], top: int = TOP) -> dict[str, float]:
    mrr = p1 = r5 = 0.0
    for ask in split_.asks:
        truth = split_.truth[ask["id"]]
        got = [u for u in ranked[ask["id"]] if u != ask["asker"]][:top]
        first = next((i for i, u in enumerate(got) if u in truth), None)
        mrr += 0.0 if first is None else 1.0 / (first + 1)
        p1 += 1.0 if got and got[0] in truth else 0.0
        r5 += len(truth & set(got[:5])) / len(truth)
    n = len(split_.asks)
    return {"mrr": mrr / n, "p1": p1 / n, "r5": r5 / n}


# --- baselines (independent of the router) ----------------------------------------------------------


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def strip_markup(text: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", text))


def bm25_rank(
    docs: Sequence[tuple[str, list[str]]],
    query: list[str],
    candidates: list[str],
    *,
    k1: float = 1.2,
    b: float = 0.75,
) -> list[str]:
    """Candidates by the sum of BM25 scores of their documents (one each, or one per answer)."""
    n = len(docs)
    avg = sum(len(w) for _u, w in docs) / n
    tfs = [Counter(w) for _u, w in docs]
    df: Counter[str] = Counter()
    for tf in tfs:
        df.update(tf.keys())
    total: dict[str, float] = defaultdict(float)
    for (user, w), tf in zip(docs, tfs, strict=True):
        norm = 1 - b + b * len(w) / avg
        for t in query:
            f = tf[t]
            if f:
                total[user] += (
                    math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5)) * f * (k1 + 1) / (f + k1 * norm)
                )
    return sorted(candidates, key=lambda u: (-total[u], u))


def baselines(split_: Split) -> dict[str, dict[str, list[str]]]:
    answered = [(a, q) for q in split_.history for a in q["answers"]]
    count = Counter(a["user"] for a, _q in answered)
    active = sorted(split_.candidates, key=lambda u: (-count[u], u))
    per_user: dict[str, list[str]] = defaultdict(list)
    for a, q in answered:
        per_user[a["user"]] += words(a["body"] + " " + q["title"] + " " + " ".join(q["tags"]))
    per_answer = [(a["user"], words(strip_markup(a["body"]))) for a, _q in answered]
    out: dict[str, dict[str, list[str]]] = {"active": {}, "bm25": {}, "bm25-sum": {}}
    for ask in split_.asks:
        topic = ask["title"] + " " + " ".join(ask["tags"])
        out["active"][ask["id"]] = active
        out["bm25"][ask["id"]] = bm25_rank(
            list(per_user.items()), words(topic + " " + ask["body"]), split_.candidates
        )
        out["bm25-sum"][ask["id"]] = bm25_rank(per_answer, words(topic), split_.candidates)
    return out


def random_scores(split_: Split, shuffles: int = RANDOM_SHUFFLES) -> dict[str, float]:
    rng = random.Random(0)
    total: Counter[str] = Counter()
    for _ in range(shuffles):
        ranked = {a["id"]: rng.sample(split_.candidates, len(split_.candidates)) for a in split_.asks}
        total.update(scores(split_, ranked))
    return {k: v / shuffles for k, v in total.items()}


# --- the router, through its command line -------------------------------------------------------------


def write_jsonl(path: Path, rows: Sequence[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def run_router(split_: Split, work: Path, top: int) -> tuple[dict[str, list[str]], float]:
    write_jsonl(work / "history.jsonl", split_.history)
    write_jsonl(work / "questions.jsonl", split_.asks)
    started = time.perf_counter()
    cmd = [sys.executable, "-m", "kindred.conversation.routing", "route"]
    cmd += ["--history", str(work / "history.jsonl"), "--questions", str(work / "questions.jsonl")]
    cmd += ["--out", str(work / "ranked.jsonl"), "--top", str(top), "--explain"]
    subprocess.run(cmd, cwd=ROOT, check=True, timeout=600)
    seconds = time.perf_counter() - started
    ranked = {}
    for line in (work / "ranked.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        ranked[str(row["id"])] = [str(u) for u in row["ranked"]]
    return ranked, seconds


def evaluate(data: Path, top: int = TOP, keep: Path | None = None) -> dict[str, Any]:
    split_ = split(*parse(data / POSTS))
    with tempfile.TemporaryDirectory(prefix="kindred-asks-") as tmp:
        work = keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        ranked, seconds = run_router(split_, work, top)
    results = {"router": scores(split_, ranked, top)}
    for name, r in baselines(split_).items():
        results[name] = scores(split_, r, top)
    results["random"] = random_scores(split_)
    return {
        "asks": len(split_.asks),
        "candidates": len(split_.candidates),
        "history": len(split_.history),
        "router_seconds": round(seconds, 2),
        "scores": {k: {m: round(v, 3) for m, v in s.items()} for k, s in results.items()},
    }


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--top", type=int, default=TOP)
    parser.add_argument(
        "--keep", type=Path, default=None, help="write the JSON-lines files here and keep them"
    )
    args = parser.parse_args(argv)
    if not (args.data / POSTS).exists():
        sys.exit(f"{args.data / POSTS} not found (see --data)")
    out = evaluate(args.data, args.top, args.keep)
    s = out["scores"]
    print(
        f"coffee.stackexchange: {out['history']} history questions, {out['asks']} asks, {out['candidates']} candidates, top {args.top}"
    )
    print(f"{'':10} {'MRR':>6} {'P@1':>6} {'R@5':>6}   README")
    for name in ("router", "active", "bm25", "bm25-sum", "random"):
        ref = README_FIGURES.get(name)
        note = f"{ref['mrr']:.3f} {ref['p1']:.3f} {ref['r5']:.2f}" if ref else ""
        print(f"{name:10} {s[name]['mrr']:6.3f} {s[name]['p1']:6.3f} {s[name]['r5']:6.3f}   {note}")
    better = max(("active", "bm25"), key=lambda k: s[k]["mrr"])
    strongest = max(("active", "bm25", "bm25-sum"), key=lambda k: s[k]["mrr"])
    ratios = {
        f"router/{name}": {
            m: round(s["router"][m] / s[name][m], 2) if s[name][m] else None for m in ("mrr", "p1", "r5")
        }
        for name in dict.fromkeys((better, strongest))
    }
    for name, r in ratios.items():
        print(f"{name}: MRR ×{r['mrr']}, P@1 ×{r['p1']}, R@5 ×{r['r5']}")
    out["better_baseline"] = better
    out["ratios"] = ratios
    print(json.dumps(out))
    return out


if __name__ == "__main__":
    main()
