"""The topicality guard (kindred.conversation.topicality) against a keyword baseline, on hand-labelled messages.

    .venv/bin/python bench/topicality.py            # held-out parts: model vs baseline; last line JSON
    .venv/bin/python bench/topicality.py --tune     # the nudge threshold, by 3-fold on the train part only

Data (bench/data/topicality/, see README there and bench/README.md):
- xinwenyu.jsonl: 新文娱产业群 messages; held out when sha1(text)[0] < HELD_OUT_BELOW (about a third),
  a rule fixed before scoring; the train part's on-topic messages are the circle's messages the model
  learns from (with the cards of bench/data/reciprocal_cards.json and the curated taxonomy);
- canyin.jsonl: a 餐饮 circle, all held out; its model learns only from canyin_circle.json (cards and its
  own taxonomy), never from its messages: does the model learn the circle's own trade?

No Django: the engine is imported alone.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from kindred.circles.taxonomy import INDUSTRIES  # noqa: E402
from kindred.conversation.topicality import (  # noqa: E402
    CHATTER,
    LABELS,
    NUDGE_PROBABILITY,
    OFF_INDUSTRY,
    ON_TOPIC,
    Card,
    Industry,
    Trade,
    build,
    judge_all,
    nudges,
    seed,
)

DATA = REPO / "bench" / "data" / "topicality"
HELD_OUT_BELOW = 86  # first byte of sha1(text): 86/256 ≈ one third held out
FOLDS = 3

# The baseline: word lists a careful organizer would write, and "on topic if a term of the circle's taxonomy
# appears". Off-industry words are checked first, then the taxonomy, then chatter words; anything else is
# on topic (the commonest class).
BASELINE_CHATTER = [
    "早安",
    "早上好",
    "早",
    "晚安",
    "晚上好",
    "大家好",
    "各位好",
    "哈哈",
    "呵呵",
    "嘿嘿",
    "嘻嘻",
    "hhh",
    "笑死",
    "谢谢",
    "感谢",
    "多谢",
    "收到",
    "好的",
    "好嘞",
    "辛苦",
    "欢迎",
    "快乐",
    "恭喜",
    "生日",
    "节日",
    "天气",
    "下雨",
    "下雪",
    "好冷",
    "好热",
    "太热",
    "周末",
    "吃饭",
    "午饭",
    "晚饭",
    "厉害",
    "佩服",
    "牛",
    "赞",
    "加油",
    "明天见",
    "morning",
    "night",
    "hello",
    "haha",
    "thanks",
    "nice",
    "👍",
    "🙏",
    "😂",
    "🎉",
    "[强]",
    "[呲牙]",
]
BASELINE_OFF = [
    "股票",
    "股",
    "涨停",
    "大盘",
    "基金",
    "比特币",
    "虚拟币",
    "币",
    "期货",
    "外汇",
    "私募",
    "房子",
    "楼盘",
    "房价",
    "学区",
    "公寓",
    "商铺",
    "车位",
    "贷款",
    "放款",
    "信用卡",
    "保健",
    "减肥",
    "养生",
    "秘方",
    "护肤",
    "蜂蜜",
    "微商",
    "代理",
    "兼职",
    "宝妈",
    "合伙人",
    "团购",
    "砍一刀",
    "投票",
    "点赞",
    "助力",
    "转发",
    "大选",
    "政府",
    "领导人",
    "国际形势",
    "美联储",
    "油价",
    "车险",
    "移民",
    "算命",
    "风水",
    "彩票",
    "代购",
    "stock",
    "crypto",
    "apartment",
    "supplements",
    "election",
]


def load(name: str) -> list[dict[str, str]]:
    rows = []
    for line in (DATA / name).read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if "text" in row:  # the first line describes the file
            rows.append(row)
    return rows


def held_out(text: str) -> bool:
    return hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).digest()[0] < HELD_OUT_BELOW


def xinwenyu_trade(train: Sequence[dict[str, str]]) -> Trade:
    cards = json.loads((REPO / "bench" / "data" / "reciprocal_cards.json").read_text(encoding="utf-8"))[
        "cards"
    ]
    return Trade(
        cards=[Card(offers=c["offers"], needs=c["needs"]) for c in cards],
        taxonomy=[
            Industry(names=(zh, en), synonyms=tuple(syn.split())) for _c, zh, en, syn, _p in INDUSTRIES
        ],
        messages=[r["text"] for r in train if r["label"] == ON_TOPIC],
    )


def canyin_trade() -> Trade:
    data = json.loads((DATA / "canyin_circle.json").read_text(encoding="utf-8"))
    return Trade(
        cards=[Card(offers=c["offers"], needs=c["needs"], tags=tuple(c["tags"])) for c in data["cards"]],
        taxonomy=[Industry(names=tuple(i["names"]), synonyms=tuple(i["synonyms"])) for i in data["taxonomy"]],
    )


def baseline(trade: Trade) -> Callable[[str], str]:
    terms = trade.vocabulary()

    def label(text: str) -> str:
        folded = text.lower()
        if any(w in folded for w in BASELINE_OFF):
            return OFF_INDUSTRY
        if any(t in folded for t in terms):
            return ON_TOPIC
        if any(w in folded for w in BASELINE_CHATTER):
            return CHATTER
        return ON_TOPIC

    return label


def scores(truth: Sequence[str], predicted: Sequence[str], nudged: Sequence[bool]) -> dict[str, object]:
    out: dict[str, object] = {"n": len(truth)}
    f1s = []
    for lab in LABELS:
        tp = sum(1 for t, p in zip(truth, predicted, strict=True) if t == lab and p == lab)
        n_pred = sum(1 for p in predicted if p == lab)
        n_true = sum(1 for t in truth if t == lab)
        prec = tp / n_pred if n_pred else 0.0
        rec = tp / n_true if n_true else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        f1s.append(f1)
        out[lab] = {"precision": round(prec, 3), "recall": round(rec, 3), "f1": round(f1, 3), "n": n_true}
    out["macro_f1"] = round(statistics.fmean(f1s), 3)
    off = [t != ON_TOPIC for t in truth]
    tp = sum(1 for o, n in zip(off, nudged, strict=True) if o and n)
    out["nudge"] = {
        "precision": round(tp / sum(nudged), 3) if any(nudged) else None,
        "recall": round(tp / sum(off), 3) if any(off) else None,
        "nudged": sum(nudged),
        "false_nudges": sum(1 for o, n in zip(off, nudged, strict=True) if n and not o),
    }
    return out


def evaluate(trade: Trade, rows: Sequence[dict[str, str]]) -> dict[str, object]:
    t0 = time.perf_counter()
    model = build(trade)
    built = time.perf_counter() - t0
    texts = [r["text"] for r in rows]
    truth = [r["label"] for r in rows]
    t0 = time.perf_counter()
    verdicts = [model.judge(t) for t in texts]
    per_message_ms = (time.perf_counter() - t0) / max(len(texts), 1) * 1000
    model_pred = [v.label if v else ON_TOPIC for v in verdicts]
    base = baseline(trade)
    base_pred = [base(t) for t in texts]
    return {
        "model": scores(truth, model_pred, [nudges(v) for v in verdicts]),
        "baseline": scores(truth, base_pred, [p != ON_TOPIC for p in base_pred]),
        "build_seconds": round(built, 2),
        "judge_ms": round(per_message_ms, 2),
        "training_size": model.training_size,
        "errors": [
            {"text": t, "label": y, "model": p}
            for t, y, p in zip(texts, truth, model_pred, strict=True)
            if y != p
        ],
    }


def tune(train: Sequence[dict[str, str]]) -> None:
    """Nudge precision/recall by threshold, 3-fold on the train part (its on-topic messages are learned
    from; each fold is judged by a model that did not see it)."""
    folds = [[r for i, r in enumerate(train) if i % FOLDS == k] for k in range(FOLDS)]
    pairs = []
    for k in range(FOLDS):
        rest = [r for j, f in enumerate(folds) if j != k for r in f]
        model = build(xinwenyu_trade(rest))
        for r, v in zip(folds[k], judge_all(model, [r["text"] for r in folds[k]]), strict=True):
            pairs.append((r["label"] != ON_TOPIC, v))
    offs = sum(1 for o, _v in pairs if o)
    for lab in (CHATTER, OFF_INDUSTRY):
        print(
            f"nudges for {lab}: threshold  nudged  false  precision  recall of all off-topic  (train, 3-fold)"
        )
        for th in (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95):
            nud = [(off, v.label == lab and v.score >= th) for off, v in pairs]
            n = sum(1 for _o, x in nud if x)
            tp = sum(1 for o, x in nud if o and x)
            print(f"{th:9.2f}  {n:6d}  {n - tp:5d}  {tp / n if n else 0:9.3f}  {tp / offs:6.3f}")


def _line(name: str, s: dict[str, object]) -> str:
    parts = [f"{name:9s}"]
    for lab in LABELS:
        c = s[lab]
        assert isinstance(c, dict)
        parts.append(f"{lab} P {c['precision']:.2f} R {c['recall']:.2f}")
    parts.append(f"macro-F1 {s['macro_f1']:.3f}")
    nudge = s["nudge"]
    assert isinstance(nudge, dict)
    parts.append(f"nudge P {nudge['precision']} R {nudge['recall']} ({nudge['false_nudges']} false)")
    return " | ".join(parts)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--tune", action="store_true", help="threshold table on the train part only")
    parser.add_argument("--errors", action="store_true", help="print the model's mistakes")
    args = parser.parse_args(argv)
    rows = load("xinwenyu.jsonl")
    train = [r for r in rows if not held_out(r["text"])]
    test = [r for r in rows if held_out(r["text"])]
    if args.tune:
        tune(train)
        return 0
    canyin = load("canyin.jsonl")
    seeded = set(seed.CHATTER) | set(seed.OFF_INDUSTRY)
    overlap = sum(1 for r in [*test, *canyin] if r["text"] in seeded)
    results = {
        "xinwenyu_held_out": evaluate(xinwenyu_trade(train), test),
        "canyin_held_out": evaluate(canyin_trade(), canyin),
    }
    print(
        f"train {len(train)}, held out {len(test)} (新文娱产业群) + {len(canyin)} (餐饮); "
        f"held-out texts that are seed examples: {overlap}; nudge threshold {NUDGE_PROBABILITY}"
    )
    for part, res in results.items():
        print(
            f"\n{part}: {res['model']['n']} messages; model built in {res['build_seconds']} s "  # type: ignore[index]
            f"from {res['training_size']} examples, {res['judge_ms']} ms per message"
        )
        print(_line("model", res["model"]))  # type: ignore[arg-type]
        print(_line("baseline", res["baseline"]))  # type: ignore[arg-type]
        if args.errors:
            for e in res["errors"]:  # type: ignore[attr-defined]
                print("  ", e["label"], "→", e["model"], e["text"])
    summary = {
        part: {"model": res["model"], "baseline": res["baseline"], "judge_ms": res["judge_ms"]}
        for part, res in results.items()
    }
    summary["seed_overlap"] = overlap  # type: ignore[assignment]
    print(json.dumps(summary, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
