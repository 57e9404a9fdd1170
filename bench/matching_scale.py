"""Matching at the scale of a large association: a circle of 5 000 members and 100 000 ties, its matches
recomputed on the background path, and the trust variant chosen in the background.

    .venv/bin/python bench/matching_scale.py [--members 5000] [--ties 100000] [--runs 3] [--keep DIR]

1. In a fresh KINDRED_DATA_DIR under a temp dir (SQLite; DATABASE_URL and REDIS_URL are ignored so no
   database of yours is touched): migrate, create the circle through circle_create, then the members,
   their cards and the ties with bulk_create (seeded: cards drawn from a vocabulary of trades and asks
   around the industry taxonomy, 1–3 offer tags; ties a Holme–Kim power-law cluster graph,
   networkx.powerlaw_cluster_graph(n, ties / n, 0.1, seed=11), every tie confirmed, a tenth of them met
   offline). Creating the rows is not timed.
2. Each phase runs in a process of its own under GNU time (wall seconds, CPU seconds, peak RSS; the process
   includes Django's and jieba's start-up), as the worker runs it:
   - `recompute, first`: kindred.matching.services.matches_refresh_run (what the queued task does) with no
     variant chosen yet: the default variant, and the choice queued (not run: the queue is not consumed);
   - `choose`: services.trust_variant_choose, the background task (tunes on the circle's ties);
   - `recompute` × runs: the matches recomputed with the kept choice (the circle's state is marked
     stale first, as a card change would).
The LAST line is JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

OFFERS = [
    "短视频代运营",
    "抖音直播带货",
    "小程序开发",
    "技术团队外包",
    "品牌设计",
    "发布会PPT",
    "影视版权授权",
    "IP授权",
    "剧本创作",
    "原创配乐",
    "动画制作",
    "游戏发行",
    "出版策划",
    "企业培训",
    "商业摄影",
    "法律顾问",
    "财务审计",
    "天使投资",
    "渠道分销",
    "演出场地",
    "收藏鉴定",
    "道具租赁",
    "活动策划",
    "公关传播",
    "数据分析",
    "跨境电商",
    "供应链管理",
    "人力资源",
    "知识产权代理",
    "音乐制作",
]
NEEDS = [
    "找客户",
    "寻找投资",
    "需要技术团队",
    "短视频发行渠道",
    "优质内容版权",
    "品牌曝光",
    "法律咨询",
    "财务规划",
    "演出场地",
    "剧本",
    "配乐",
    "直播带货合作",
    "小程序",
    "PPT设计",
    "融资对接",
    "渠道合作",
    "摄影师",
    "动画外包",
    "出版社资源",
    "活动赞助",
]
CITIES = ["北京", "上海", "杭州", "深圳", "成都", "广州"]


def _phase(name: str, data_dir: Path, circle_id: int) -> dict[str, object]:
    """Run one phase in-process (this script with --phase): what the worker does."""
    import django

    django.setup()
    from kindred.matching import services
    from kindred.matching.models import MatchEntry, MatchState

    started = time.perf_counter()
    out: dict[str, object] = {"phase": name}
    if name == "choose":
        out["variant"] = list(services.trust_variant_choose(circle_id=circle_id))
    else:
        if name == "recompute":
            services.matches_invalidate(circle=circle_id)  # stale, as after a card change
        out["recomputed"] = services.matches_refresh_run(circle_id=circle_id)
        state = MatchState.objects.get(circle_id=circle_id)
        out["ranker_seconds"] = round(state.seconds, 2)
        out["entries"] = MatchEntry.objects.filter(circle_id=circle_id).count()
    out["seconds"] = round(time.perf_counter() - started, 2)
    return out


def _populate(members: int, ties: int) -> int:
    import django

    django.setup()
    import networkx as nx
    import numpy as np
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.utils import timezone

    from kindred.circles.models import CardTag, MemberCard, Membership
    from kindred.circles.services import circle_create
    from kindred.ties.models import Tie

    call_command("migrate", verbosity=0)
    organizer = User.objects.create_user(username="organizer", password=None)
    circle = circle_create(creator=organizer, name="大协会", slug="big", display_name="会长")
    origin = Membership.objects.get(circle=circle, sponsor__isnull=True)
    rng = np.random.default_rng(11)
    now = timezone.now()
    unusable = make_password(None)
    User.objects.bulk_create(
        [User(username=f"m{i:05d}", password=unusable) for i in range(1, members)], batch_size=2000
    )
    users = list(User.objects.filter(username__startswith="m").order_by("username"))
    Membership.objects.bulk_create(
        [
            Membership(
                circle=circle,
                user=u,
                sponsor=origin,
                tree_path=f"/{origin.pk}/",
                depth=1,
                joined_at=now,
            )
            for u in users
        ],
        batch_size=2000,
    )
    people = [origin, *Membership.objects.filter(circle=circle, sponsor=origin).order_by("id")]
    MemberCard.objects.filter(membership=origin).delete()
    cards = []
    for i, m in enumerate(people):
        offers = rng.choice(OFFERS, size=int(rng.integers(1, 4)), replace=False)
        needs = rng.choice(NEEDS, size=int(rng.integers(1, 3)), replace=False)
        cards.append(
            MemberCard(
                membership=m,
                display_name=f"会员{i}",
                city=str(rng.choice(CITIES)),
                offers="，".join(offers),
                needs="，".join(needs),
            )
        )
    MemberCard.objects.bulk_create(cards, batch_size=2000)
    card_ids = dict(MemberCard.objects.filter(membership__circle=circle).values_list("membership_id", "id"))
    tags = [
        CardTag(card_id=card_ids[m.pk], kind=CardTag.Kind.OFFER, name=str(rng.choice(OFFERS))[:4])
        for m in people
        if rng.random() < 0.5
    ]
    CardTag.objects.bulk_create(tags, batch_size=2000, ignore_conflicts=True)
    graph = nx.powerlaw_cluster_graph(members, max(1, round(ties / members)), 0.1, seed=11)
    rows = []
    for a, b in graph.edges():
        low, high = sorted((people[a].pk, people[b].pk))
        rows.append(
            Tie(
                circle=circle,
                member_low_id=low,
                member_high_id=high,
                declared_by_id=low,
                status=Tie.Status.CONFIRMED,
                confirmed_at=now,
                met_offline_at=now if rng.random() < 0.1 else None,
            )
        )
    Tie.objects.bulk_create(rows, batch_size=5000)
    return circle.pk


def _run(cmd: list[str], env: dict[str, str]) -> tuple[dict[str, object], float, float, float]:
    """Run one phase: (its JSON line, wall seconds, peak RSS in MB, CPU seconds user + system)."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as timing:
        started = time.perf_counter()
        done = subprocess.run(
            ["/usr/bin/time", "-f", "%M %U %S", "-o", timing.name, *cmd],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        )
        wall = time.perf_counter() - started
        rss_kb, user, system = timing.read().split()[-3:]
    return (
        json.loads(done.stdout.strip().splitlines()[-1]),
        wall,
        int(rss_kb) / 1024,
        float(user) + float(system),
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=5000)
    parser.add_argument("--ties", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="use (and keep) this data dir instead of a temp one")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--circle", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        data = Path(os.environ["KINDRED_DATA_DIR"])
        if args.phase == "populate":
            print(json.dumps({"circle": _populate(args.members, args.ties)}))
        else:
            print(json.dumps(_phase(args.phase, data, args.circle)))
        return

    tmp = tempfile.TemporaryDirectory(prefix="kindred-scale-")
    data_dir = args.keep or Path(tmp.name)
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(KINDRED_DATA_DIR=str(data_dir), DJANGO_SETTINGS_MODULE="kindred.settings.dev", DEBUG="0")
    env["PYTHONPATH"] = str(ROOT)
    me = [sys.executable, str(Path(__file__).resolve())]
    try:
        started = time.perf_counter()
        made, _wall, _rss, _cpu = _run(
            [*me, "--phase", "populate", "--members", str(args.members), "--ties", str(args.ties)], env
        )
        circle = int(made["circle"])  # type: ignore[call-overload]
        print(f"populated {args.members} members, ~{args.ties} ties in {time.perf_counter() - started:.0f} s")
        results = []
        for phase in ["first", "choose", *["recompute"] * args.runs]:
            out, wall, rss, cpu = _run([*me, "--phase", phase, "--circle", str(circle)], env)
            out.update(
                process_seconds=round(wall, 2), process_cpu_seconds=round(cpu, 2), max_rss_mb=round(rss, 1)
            )
            results.append(out)
            extra = (
                f"  variant {out['variant']}" if "variant" in out else f"  ranker {out['ranker_seconds']} s"
            )
            print(
                f"{phase:10s} {out['seconds']:7.2f} s (process {wall:6.2f} s, CPU {cpu:6.2f} s)  peak RSS {rss:7.1f} MB{extra}",
                flush=True,
            )
        recomputes = [r for r in results if r["phase"] == "recompute"]
        print(
            json.dumps(
                {
                    "bench": "matching_scale",
                    "members": args.members,
                    "ties": args.ties,
                    "phases": results,
                    "recompute_seconds_max": max(float(r["seconds"]) for r in recomputes),  # type: ignore[arg-type]
                    "recompute_cpu_seconds_max": max(float(r["process_cpu_seconds"]) for r in recomputes),  # type: ignore[arg-type]
                    "recompute_max_rss_mb": max(float(r["max_rss_mb"]) for r in recomputes),  # type: ignore[arg-type]
                },
                ensure_ascii=False,
            )
        )
    finally:
        tmp.cleanup()


if __name__ == "__main__":
    main()
