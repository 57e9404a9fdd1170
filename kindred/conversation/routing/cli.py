"""The ask router on the command line, for evaluation on real histories. No Django needed.

    python -m kindred.conversation.routing route --history HISTORY.jsonl --questions QUESTIONS.jsonl \
        --out RANKED.jsonl [--top 20] [--explain]
    kindred asks route ...   (the same, as a management command)

HISTORY lines: {"id", "title", "body", "tags", "created", "asker", "answers": [{"user", "body", "created"}]};
QUESTIONS lines: the same without "answers"; RANKED lines: {"id": question id, "ranked": [user id, ...]},
best first, the candidates being everyone who answered in the history, the asker left out. `--explain` adds
"reasons": one short English sentence per ranked user. Times are ISO 8601 (naive ones are taken as UTC).
The weights are learned from HISTORY alone (engine.learn); QUESTIONS are only ranked.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from .engine import Answer, Ask, Router

MAX_TOP = 10_000


class InputError(ValueError):
    pass


def _str(value: Any, where: str, name: str, *, required: bool = True) -> str:
    if value is None and not required:
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise InputError(f"{where}: {name!r} must be a string or an integer")
    return str(value)


def _when(value: Any, where: str) -> datetime:
    if not isinstance(value, str):
        raise InputError(f"{where}: 'created' must be an ISO 8601 date-time string")
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InputError(f"{where}: 'created' is not an ISO 8601 date-time: {value!r}") from exc


def read_asks(path: Path, ids: dict[tuple[str, str], Any], *, with_answers: bool) -> Iterator[Ask]:
    """Asks of a JSON-lines file; `ids` learns each ask and user id as written (output keeps its type)."""
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"{where}: not JSON ({exc.msg})") from exc
            if not isinstance(row, dict):
                raise InputError(f"{where}: expected a JSON object")
            tags = row.get("tags") or []
            if isinstance(tags, str):
                tags = tags.split()
            if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
                raise InputError(f"{where}: 'tags' must be a list of strings")
            answers = []
            for raw in row.get("answers") or [] if with_answers else []:
                if not isinstance(raw, dict):
                    raise InputError(f"{where}: each answer must be a JSON object")
                if raw.get("user") is None:
                    continue  # an answer by a deleted account credits nobody
                user = _str(raw.get("user"), where, "user")
                ids.setdefault(("user", user), raw["user"])
                answers.append(
                    Answer(
                        user=user, body=str(raw.get("body") or ""), created=_when(raw.get("created"), where)
                    )
                )
            asker = _str(row.get("asker"), where, "asker", required=False)
            ask_id = _str(row.get("id"), where, "id")
            ids.setdefault(("ask", ask_id), row["id"])
            yield Ask(
                id=ask_id,
                title=str(row.get("title") or ""),
                body=str(row.get("body") or ""),
                tags=tuple(tags),
                created=_when(row.get("created"), where),
                asker=asker,
                answers=tuple(answers),
            )


def route(history: Path, questions: Path, out: Path, *, top: int = 20, explain: bool = False) -> int:
    ids: dict[tuple[str, str], Any] = {}
    past = list(read_asks(history, ids, with_answers=True))
    asks = list(read_asks(questions, ids, with_answers=False))
    router = Router(past)
    m = router.model
    weights = ", ".join(f"{k} {v:.2f}" for k, v in m.weights.items())
    validation = "n/a" if m.validation_mrr is None else f"{m.validation_mrr:.3f}"
    print(
        f"model {m.name} ({m.training_asks} training asks, inner validation MRR {validation}): {weights}",
        file=sys.stderr,
    )
    with out.open("w", encoding="utf-8") as fh:
        for ask in asks:
            ranked = router.rank(ask, top=top)
            row: dict[str, Any] = {"id": ids["ask", ask.id], "ranked": [ids["user", r.user] for r in ranked]}
            if explain:
                row["reasons"] = [r.reason.text() for r in ranked]
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return len(asks)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="kindred asks", description="Route asks to the members likely to answer them."
    )
    sub = parser.add_subparsers(dest="action", required=True)
    r = sub.add_parser("route", help="rank the candidates of each question, best first")
    r.add_argument("--history", type=Path, required=True, help="past asks with their answers (JSON lines)")
    r.add_argument("--questions", type=Path, required=True, help="asks to route (JSON lines)")
    r.add_argument("--out", type=Path, required=True, help="where to write the rankings (JSON lines)")
    r.add_argument("--top", type=int, default=20, help="candidates kept per ask (default 20)")
    r.add_argument("--explain", action="store_true", help="add a short reason per ranked user")
    args = parser.parse_args(argv)
    if not 1 <= args.top <= MAX_TOP:
        parser.error(f"--top must be between 1 and {MAX_TOP}")
    try:
        n = route(args.history, args.questions, args.out, top=args.top, explain=args.explain)
    except (OSError, InputError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{n} ask(s) routed to {args.out}", file=sys.stderr)
    return 0
