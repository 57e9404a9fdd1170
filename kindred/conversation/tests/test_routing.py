"""The ask router (kindred.conversation.routing): scorer, command line, Django-free import, and the
coffee.stackexchange split of the shared evaluation data (skipped when the folder is absent)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kindred.conversation.routing import Answer, Ask, Profile, Router
from kindred.conversation.routing.cli import main

REPO = Path(__file__).resolve().parents[3]
DATA = REPO / ".." / "shared" / "data"
T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def ask(
    n: int,
    title: str,
    asker: str,
    answerers: tuple[str, ...] = (),
    tags: tuple[str, ...] = (),
    body: str = "",
) -> Ask:
    created = T0 + timedelta(hours=n)
    return Ask(
        id=str(n),
        title=title,
        created=created,
        asker=asker,
        body=body,
        tags=tags,
        answers=tuple(
            Answer(user=u, body=f"{title} — my answer", created=created + timedelta(hours=1 + i))
            for i, u in enumerate(answerers)
        ),
    )


def history() -> list[Ask]:
    """'espresso' answers espresso asks; 'tea' answers more asks, all on tea; 'grinder' on grinders."""
    return [
        ask(1, "Espresso shot tastes sour", "a", ("espresso",), ("espresso",)),
        ask(2, "How long to pull an espresso shot", "b", ("espresso",), ("espresso",)),
        ask(3, "Espresso crema disappears quickly", "c", ("espresso",), ("espresso",)),
        ask(4, "Green tea steeping temperature", "a", ("tea",), ("tea",)),
        ask(5, "Black tea with milk", "b", ("tea",), ("tea",)),
        ask(6, "Oolong tea second infusion", "c", ("tea",), ("tea",)),
        ask(7, "Storing loose leaf tea", "d", ("tea",), ("tea",)),
        ask(8, "Burr grinder or blade grinder", "d", ("grinder",), ("grinder",)),
    ]


def test_the_expert_of_the_topic_ranks_first_and_says_why() -> None:
    router = Router(history())
    ranked = router.rank(ask(20, "My espresso shot is bitter", "z", tags=("espresso",)))
    assert ranked[0].user == "espresso"
    assert "espresso" in ranked[0].reason.terms
    assert ranked[0].reason.similar_answered >= 1
    assert ranked[0].reason.median_hours == pytest.approx(1.0)
    assert "answered" in ranked[0].reason.text() and "~1 h" in ranked[0].reason.text()
    assert (
        next(r.user for r in router.rank(ask(21, "Which tea for a cold morning", "z", tags=("tea",))))
        == "tea"
    )


def test_the_asker_never_appears_even_as_the_best_expert() -> None:
    router = Router(history())
    ranked = [r.user for r in router.rank(ask(20, "Espresso shot too fast", "espresso", tags=("espresso",)))]
    assert "espresso" not in ranked
    assert set(ranked) == {"tea", "grinder"}
    assert len(router.rank(ask(20, "Espresso", "tea"), top=1)) == 1


def test_closeness_to_the_asker_outweighs_a_slightly_later_answer() -> None:
    past = [ask(1, "Latte art", "a", ("x",)), ask(2, "Latte art", "a", ("y",))]
    neutral = [r.user for r in Router(past).rank(ask(9, "Latte art again", "k"))]
    trusted = [r.user for r in Router(past, closeness={"k": {"x": 1.0}}).rank(ask(9, "Latte art again", "k"))]
    assert neutral[0] == "y"  # the same topic; y answered an hour later, so is likelier to be around
    assert trusted[0] == "x"  # a tie of trust with the asker


def test_cold_start_candidates_rank_by_their_card() -> None:
    cards = [
        Profile(user="roaster", offers="I roast beans and teach home roasting", tags=("roasting",)),
        Profile(user="barista", offers="Latte art classes, milk steaming", tags=("latte",)),
        Profile(user="lawyer", offers="Contracts and trademarks"),
    ]
    router = Router([], profiles=cards)
    ranked = router.rank(ask(1, "Who can teach me home roasting?", "newbie"))
    assert next(r.user for r in ranked) == "roaster"
    assert ranked[0].reason.terms and "roasting" in ranked[0].reason.terms
    assert next(r.user for r in router.rank(ask(2, "Milk steaming for latte", "newbie"))) == "barista"


def test_a_chinese_ppt_ask_reaches_the_ppt_designer_before_the_film_distributor() -> None:
    cards = [
        Profile(user="发行人", offers="影视发行", industries=("影视",)),
        Profile(user="设计师", offers="PPT设计、路演材料", tags=("PPT",)),
        Profile(user="收藏家", offers="古董收藏鉴定"),
    ]
    ranked = Router([], profiles=cards).rank(ask(1, "谁能帮我做一份好的PPT？", "收藏家"))
    users = [r.user for r in ranked]
    assert users.index("设计师") < users.index("发行人")
    assert users[0] == "设计师" and "收藏家" not in users
    assert "ppt" in ranked[0].reason.terms


def write_jsonl(path: Path, rows: list[dict[str, object]]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def test_command_line_round_trip(tmp_path: Path) -> None:
    """Integer ids stay integers; the asker is left out; --top is kept; every candidate answered."""
    rows = []
    for a in history():
        rows.append(
            {
                "id": int(a.id),
                "title": a.title,
                "body": a.body,
                "tags": list(a.tags),
                "created": a.created.isoformat(),
                "asker": 100 + ord(a.asker),
                "answers": [
                    {
                        "user": {"espresso": 1, "tea": 2, "grinder": 3}[x.user],
                        "body": x.body,
                        "created": x.created.isoformat(),
                    }
                    for x in a.answers
                ],
            }
        )
    write_jsonl(tmp_path / "history.jsonl", rows)
    write_jsonl(
        tmp_path / "questions.jsonl",
        [
            {
                "id": 50,
                "title": "Espresso shot",
                "body": "",
                "tags": ["espresso"],
                "created": "2025-03-05T10:00:00+00:00",
                "asker": 7,
            },
            {
                "id": "q51",
                "title": "Tea",
                "body": "",
                "tags": [],
                "created": "2025-03-05T11:00:00",
                "asker": 1,
            },
        ],
    )
    cmd = [
        sys.executable,
        "-m",
        "kindred.conversation.routing",
        "route",
        "--history",
        str(tmp_path / "history.jsonl"),
    ]
    cmd += [
        "--questions",
        str(tmp_path / "questions.jsonl"),
        "--out",
        str(tmp_path / "ranked.jsonl"),
        "--top",
        "2",
    ]
    done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    out = [json.loads(line) for line in (tmp_path / "ranked.jsonl").read_text().splitlines()]
    assert out[0] == {"id": 50, "ranked": [1, out[0]["ranked"][1]]}
    assert out[1]["id"] == "q51" and 1 not in out[1]["ranked"] and len(out[1]["ranked"]) == 2
    assert all(u in (1, 2, 3) for row in out for u in row["ranked"])


def test_command_line_refuses_bad_input_with_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "h.jsonl").write_text('{"id": 1, "title": "x", "created": "yesterday", "asker": 2}\n')
    (tmp_path / "q.jsonl").write_text("not json\n")
    args = ["route", "--history", str(tmp_path / "h.jsonl"), "--questions", str(tmp_path / "q.jsonl")]
    assert main([*args, "--out", str(tmp_path / "r.jsonl")]) == 2
    assert "h.jsonl:1: 'created' is not an ISO 8601 date-time" in capsys.readouterr().err
    (tmp_path / "h.jsonl").write_text("")
    assert main([*args, "--out", str(tmp_path / "r.jsonl")]) == 2
    assert "q.jsonl:1: not JSON" in capsys.readouterr().err


def test_routing_imports_no_django() -> None:
    code = (
        "import sys, kindred.conversation.routing, kindred.conversation.routing.cli;"
        "bad = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'));"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.skipif(
    not (DATA / "coffee.stackexchange-Posts.xml").exists(), reason="shared evaluation data absent"
)
def test_router_beats_both_baselines_on_the_coffee_split() -> None:
    spec = importlib.util.spec_from_file_location("asks_routing", REPO / "bench" / "asks_routing.py")
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = bench  # its dataclasses look their module up
    spec.loader.exec_module(bench)
    result = bench.evaluate(DATA)
    s = result["scores"]
    assert (result["asks"], result["candidates"]) == (37, 60)  # the split of the data README
    assert s["active"]["mrr"] == pytest.approx(0.244, abs=0.001)  # the README's figure, reproduced
    assert s["router"]["mrr"] > max(s["active"]["mrr"], s["bm25"]["mrr"])
    assert s["router"]["mrr"] > 3 * s["random"]["mrr"]
