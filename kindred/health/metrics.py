"""The circle's health from plain facts: growth, friends inside, deals, conversation, engagement, and the
phase transitions found by change-point detection (`ruptures`). No Django: the selector hands in tuples
read through the other apps' selectors, and the tests build them by hand.

Definitions (the organizer's page and the API say the same):

- A newcomer is every member but the circle's origin (the organizer, who has no sponsor), in join order.
  `n` is the circle's member count right after they joined (members who joined so far, less those
  removed before).
- A newcomer *knew someone inside* when they have a confirmed tie, created within FRIENDS_INSIDE_DAYS of
  their joining, with a member other than their sponsor who joined before them.
- A deal counts once every member party confirmed it (its `confirmed_at`); it is placed at the member
  count of that moment.
- The introduction funnel: proposed (every introduction asked for or proposed) -> accepted (both parties
  said yes) -> deal (the two parties have a counted deal confirmed after the introduction was accepted).
- A member is *active* in a window when they posted a message (chat or ask), grabbed a red envelope
  share, answered a meetup invitation (RSVP) or took part in an introduction (asked for it, approved it
  as the go-between, or accepted it) in that window.
- A *lost regular* is a member still in the circle who was active in at least REGULAR_MIN_MONTHS
  distinct calendar months before the last LOST_QUIET_DAYS days, and not active at all in those days.
- Envelope participation in a month: the members who grabbed at least one share, over the members.
- Meetup attendance: of the meetups that started in the month, the members who said they were going
  and those who checked in (check-ins make met-offline ties).
- The invite tree's branches are the subtrees under each member the origin invited directly; each
  branch counts its members and its members active in the last ACTIVE_WINDOW_DAYS.

Phase transitions (step_up_at): on a series indexed by join order, one change point of the mean found by
binary segmentation with an l2 cost (ruptures.Binseg, exact for a single change point), kept only when
the step goes up and the fall of the squared error exceeds the BIC-like penalty
PENALTY_LOG_FACTOR * log(n) * sigma^2 (sigma^2 estimated from the residuals of the two segments), with
at least MIN_SEGMENT newcomers on each side. A flat series (or a step down) yields None.
- friends_inside_at: on the 0/1 series "knew someone inside" of the newcomers;
- deals_at: on the counted deals per newcomer (the deals confirmed while each newcomer was the latest).
Each is reported as the member count `n` of the first newcomer after the change point.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

import numpy as np
import ruptures

# Named thresholds of the definitions above.
FRIENDS_INSIDE_DAYS = 30  # a tie created this long after joining still counts as knowing someone inside
ROLLING_WINDOW = 10  # newcomers in the rolling share of "knew someone inside"
ACTIVE_WINDOW_DAYS = 30
REGULAR_MIN_MONTHS = 3
LOST_QUIET_DAYS = 45
TOP_POSTERS = 10
# The change-point rule.
MIN_SEGMENT = 5  # newcomers on each side of a change point, at least
PENALTY_LOG_FACTOR = 2.0  # BIC: a change point adds two parameters (where, and the new mean)

DEFAULT_ZONE = ZoneInfo("Asia/Shanghai")

# Deal origins, as kindred.deals stores them (the order of the charts' stacks).
ORIGINS = ("introduction", "meetup", "ask", "knew_before")
# Topicality labels of messages once they carry one (issue 11's guard): the shares reported.
CHATTER = "chatter"
OFF_TOPIC = "off_topic"


# --- the facts -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    id: int
    joined_at: datetime
    removed_at: datetime | None
    sponsor_id: int | None
    depth: int
    ancestors: tuple[int, ...]  # from the origin down to the sponsor
    name: str = ""


@dataclass(frozen=True)
class TieFact:
    a: int
    b: int
    confirmed: bool
    created_at: datetime
    met_offline_at: datetime | None = None
    deal_at: datetime | None = None


@dataclass(frozen=True)
class DealFact:
    id: int
    confirmed_at: datetime
    origin: str
    parties: frozenset[int]


@dataclass(frozen=True)
class IntroFact:
    requester: int
    target: int
    connector: int
    status: str  # "accepted" is the only one that counts as accepted
    created_at: datetime
    connector_approved_at: datetime | None = None
    requester_accepted_at: datetime | None = None
    target_accepted_at: datetime | None = None
    closed_at: datetime | None = None


@dataclass(frozen=True)
class RsvpFact:
    member_id: int
    meetup_id: int
    meetup_starts_at: datetime
    status: str  # "going", "waitlisted", "maybe", "declined"
    answered_at: datetime
    checked_in_at: datetime | None = None


@dataclass(frozen=True)
class GrabFact:
    member_id: int
    envelope_id: int
    at: datetime


@dataclass(frozen=True)
class PostDay:
    """The messages (chat and asks) a member posted on one day (in the circle's zone)."""

    member_id: int
    day: date
    messages: int


@dataclass(frozen=True)
class AskFact:
    id: int
    asked_at: datetime
    caught_at: datetime | None


@dataclass(frozen=True)
class Facts:
    members: Sequence[Member]
    ties: Sequence[TieFact] = ()
    deals: Sequence[DealFact] = ()
    introductions: Sequence[IntroFact] = ()
    rsvps: Sequence[RsvpFact] = ()
    grabs: Sequence[GrabFact] = ()
    posts: Sequence[PostDay] = ()
    asks: Sequence[AskFact] = ()
    # {label: messages} once messages carry a topicality label; None until then (the shares are None).
    labels: Mapping[str, int] | None = None


# --- the report ----------------------------------------------------------------------------------------


@dataclass
class Phases:
    friends_inside_at: int | None
    deals_at: int | None


@dataclass
class Newcomer:
    member_id: int
    n: int
    knew_inside: bool


@dataclass
class SharePoint:
    n: int
    share: float


@dataclass
class GrowthMonth:
    month: str
    joined: int
    left: int
    members: int


@dataclass
class GrowthPoint:
    n: int
    day: date
    days: int  # since the circle opened


@dataclass
class CountPoint:
    n: int
    deals: int


@dataclass
class DealMonth:
    month: str
    deals: int
    by_origin: dict[str, int]


@dataclass
class Funnel:
    proposed: int
    accepted: int
    deal: int


@dataclass
class Deals:
    total: int
    by_origin: dict[str, int]
    by_member_count: list[CountPoint]
    by_month: list[DealMonth]
    funnel: Funnel


@dataclass
class ConversationMonth:
    month: str
    messages: int
    active_members: int
    per_active_member: float | None
    asks: int
    caught: int


@dataclass
class Conversation:
    messages: int
    posters: int
    asks: int
    caught: int
    median_hours_to_catch: float | None
    top_posters_share: float | None
    labelled: bool  # False until messages carry a topicality label: then both shares are None
    chatter_share: float | None
    off_topic_share: float | None
    by_month: list[ConversationMonth]


@dataclass
class LostRegular:
    member_id: int
    name: str
    last_active: date


@dataclass
class EngagementMonth:
    month: str
    members: int
    active: int
    grabbers: int
    envelope_share: float | None
    meetups: int
    going: int
    checked_in: int
    met_offline_ties: int  # ties first met offline in the month


@dataclass
class Branch:
    member_id: int
    name: str
    members: int
    active: int


@dataclass
class DepthCount:
    depth: int
    members: int


@dataclass
class Engagement:
    window_days: int
    members: int
    active: int
    active_share: float | None
    posted: int
    grabbed: int
    rsvped: int
    introduced: int
    lost_regulars: list[LostRegular]
    met_offline_ties: int
    tree_depth: int
    by_depth: list[DepthCount]
    branches: list[Branch]
    by_month: list[EngagementMonth]


@dataclass
class Health:
    members: int
    newcomers: int
    phases: Phases
    friends_inside: list[Newcomer]
    friends_inside_share: list[SharePoint]
    growth_by_month: list[GrowthMonth]
    growth_by_count: list[GrowthPoint]
    deals: Deals
    conversation: Conversation
    engagement: Engagement
    definitions: dict[str, int | float] = field(default_factory=dict)


# --- phase transitions ---------------------------------------------------------------------------------


def step_up_at(series: Sequence[float]) -> int | None:
    """The index of the first element after the one significant upward step of the mean, or None."""
    x = np.asarray(series, dtype=float)
    n = len(x)
    if n < 2 * MIN_SEGMENT:
        return None
    algo = ruptures.Binseg(model="l2", min_size=MIN_SEGMENT, jump=1).fit(x)
    bkp = int(algo.predict(n_bkps=1)[0])
    before, after = x[:bkp], x[bkp:]
    if len(before) < MIN_SEGMENT or len(after) < MIN_SEGMENT or after.mean() <= before.mean():
        return None
    residual = float(((before - before.mean()) ** 2).sum() + ((after - after.mean()) ** 2).sum())
    gain = float(((x - x.mean()) ** 2).sum()) - residual
    sigma2 = residual / (n - 2)
    if gain <= PENALTY_LOG_FACTOR * math.log(n) * sigma2:
        return None
    return bkp


# --- helpers -------------------------------------------------------------------------------------------


def _month(at: datetime | date, zone: tzinfo) -> str:
    if isinstance(at, datetime):
        at = at.astimezone(zone)
    return f"{at.year:04d}-{at.month:02d}"


def _months_between(first: str, last: str) -> list[str]:
    y, m = int(first[:4]), int(first[5:])
    out = []
    while f"{y:04d}-{m:02d}" <= last:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _order(members: Iterable[Member]) -> list[Member]:
    return sorted(members, key=lambda m: (m.joined_at, m.id))


def member_counts(members: Sequence[Member]) -> dict[int, int]:
    """{member id: the member count right after they joined}, removals before them deducted."""
    removals = sorted(m.removed_at for m in members if m.removed_at is not None)
    out: dict[int, int] = {}
    for rank, m in enumerate(_order(members), start=1):
        out[m.id] = rank - sum(1 for r in removals if r <= m.joined_at)
    return out


def count_at(members: Sequence[Member], at: datetime) -> int:
    """The member count at a moment."""
    return sum(1 for m in members if m.joined_at <= at and (m.removed_at is None or m.removed_at > at))


# --- friends inside ------------------------------------------------------------------------------------


def friends_inside(members: Sequence[Member], ties: Sequence[TieFact]) -> list[Newcomer]:
    ordered = _order(members)
    rank = {m.id: i for i, m in enumerate(ordered)}
    counts = member_counts(ordered)
    mine: dict[int, list[TieFact]] = defaultdict(list)
    for t in ties:
        if t.confirmed:
            mine[t.a].append(t)
            mine[t.b].append(t)
    limit = timedelta(days=FRIENDS_INSIDE_DAYS)
    out = []
    for i, m in enumerate(ordered):
        if m.sponsor_id is None:
            continue
        knew = False
        for t in mine[m.id]:
            other = t.b if t.a == m.id else t.a
            if other == m.sponsor_id or rank.get(other, len(ordered)) >= i:
                continue
            if t.created_at - m.joined_at <= limit:
                knew = True
                break
        out.append(Newcomer(member_id=m.id, n=counts[m.id], knew_inside=knew))
    return out


def rolling_share(newcomers: Sequence[Newcomer], window: int = ROLLING_WINDOW) -> list[SharePoint]:
    out = []
    for i, c in enumerate(newcomers):
        part = newcomers[max(0, i - window + 1) : i + 1]
        out.append(SharePoint(n=c.n, share=round(sum(p.knew_inside for p in part) / len(part), 4)))
    return out


# --- growth --------------------------------------------------------------------------------------------


def growth(
    members: Sequence[Member], now: datetime, zone: tzinfo
) -> tuple[list[GrowthMonth], list[GrowthPoint]]:
    ordered = _order(members)
    if not ordered:
        return [], []
    joined = Counter(_month(m.joined_at, zone) for m in ordered)
    left = Counter(_month(m.removed_at, zone) for m in ordered if m.removed_at is not None)
    by_month = []
    total = 0
    for month in _months_between(_month(ordered[0].joined_at, zone), _month(now, zone)):
        total += joined[month] - left[month]
        by_month.append(GrowthMonth(month=month, joined=joined[month], left=left[month], members=total))
    counts = member_counts(ordered)
    start = ordered[0].joined_at.astimezone(zone).date()
    by_count = []
    for m in ordered:
        day = m.joined_at.astimezone(zone).date()
        by_count.append(GrowthPoint(n=counts[m.id], day=day, days=(day - start).days))
    return by_month, by_count


# --- deals ---------------------------------------------------------------------------------------------


def deals_per_newcomer(members: Sequence[Member], deals: Sequence[DealFact]) -> list[int]:
    """For each newcomer in join order: the counted deals confirmed while they were the latest to join."""
    ordered = _order(members)
    joins = [m.joined_at for m in ordered]
    per = [0] * len(ordered)
    for d in deals:
        k = sum(1 for j in joins if j <= d.confirmed_at)  # members joined by then; the k-th is the latest
        if k:
            per[k - 1] += 1
    return per[1:] if ordered and ordered[0].sponsor_id is None else per


def deal_numbers(
    members: Sequence[Member],
    deals: Sequence[DealFact],
    introductions: Sequence[IntroFact],
    zone: tzinfo,
) -> Deals:
    by_origin = Counter(d.origin for d in deals)
    at_count = Counter(count_at(members, d.confirmed_at) for d in deals)
    months: dict[str, Counter[str]] = defaultdict(Counter)
    for d in deals:
        months[_month(d.confirmed_at, zone)][d.origin] += 1
    by_month = [
        DealMonth(month=m, deals=sum(c.values()), by_origin={o: c[o] for o in ORIGINS})
        for m, c in sorted(months.items())
    ]
    accepted = [i for i in introductions if i.status == "accepted"]
    deal_pairs: dict[frozenset[int], list[datetime]] = defaultdict(list)
    for d in deals:
        parties = sorted(d.parties)
        for x in range(len(parties)):
            for y in range(x + 1, len(parties)):
                deal_pairs[frozenset((parties[x], parties[y]))].append(d.confirmed_at)
    led = 0
    for i in accepted:
        since = i.closed_at or i.created_at
        if any(at >= since for at in deal_pairs.get(frozenset((i.requester, i.target)), [])):
            led += 1
    return Deals(
        total=len(deals),
        by_origin={o: by_origin[o] for o in ORIGINS},
        by_member_count=[CountPoint(n=n, deals=c) for n, c in sorted(at_count.items())],
        by_month=by_month,
        funnel=Funnel(proposed=len(introductions), accepted=len(accepted), deal=led),
    )


# --- activity ------------------------------------------------------------------------------------------

POSTED, GRABBED, RSVPED, INTRODUCED = "posted", "grabbed", "rsvped", "introduced"


def activity(facts: Facts, zone: tzinfo) -> list[tuple[int, date, str]]:
    """Every (member, day, kind) of activity, as defined above; none before the member joined."""
    out: list[tuple[int, date, str]] = [(p.member_id, p.day, POSTED) for p in facts.posts if p.messages]
    out += [(g.member_id, g.at.astimezone(zone).date(), GRABBED) for g in facts.grabs]
    out += [(r.member_id, r.answered_at.astimezone(zone).date(), RSVPED) for r in facts.rsvps]
    for i in facts.introductions:
        for member_id, at in (
            (i.requester, i.created_at),
            (i.connector, i.connector_approved_at),
            (i.requester, i.requester_accepted_at),
            (i.target, i.target_accepted_at),
        ):
            if at is not None:
                out.append((member_id, at.astimezone(zone).date(), INTRODUCED))
    joined = {m.id: m.joined_at.astimezone(zone).date() for m in facts.members}
    return [a for a in out if a[0] in joined and a[1] >= joined[a[0]]]


# --- conversation --------------------------------------------------------------------------------------


def conversation(
    facts: Facts, acts: Sequence[tuple[int, date, str]], months: Sequence[str], zone: tzinfo
) -> Conversation:
    per_member: Counter[int] = Counter()
    per_month: Counter[str] = Counter()
    for p in facts.posts:
        per_member[p.member_id] += p.messages
        per_month[_month(p.day, zone)] += p.messages
    active_by_month: dict[str, set[int]] = defaultdict(set)
    for member_id, day, _kind in acts:
        active_by_month[_month(day, zone)].add(member_id)
    asks_by_month = Counter(_month(a.asked_at, zone) for a in facts.asks)
    caught_by_month = Counter(_month(a.asked_at, zone) for a in facts.asks if a.caught_at is not None)
    hours = [(a.caught_at - a.asked_at).total_seconds() / 3600 for a in facts.asks if a.caught_at]
    total = sum(per_member.values())
    top = sum(c for _m, c in per_member.most_common(TOP_POSTERS))
    labels = facts.labels
    labelled_total = sum(labels.values()) if labels else 0
    by_month = []
    for month in months:
        active = len(active_by_month[month])
        by_month.append(
            ConversationMonth(
                month=month,
                messages=per_month[month],
                active_members=active,
                per_active_member=round(per_month[month] / active, 2) if active else None,
                asks=asks_by_month[month],
                caught=caught_by_month[month],
            )
        )
    return Conversation(
        messages=total,
        posters=len(per_member),
        asks=len(facts.asks),
        caught=len(hours),
        median_hours_to_catch=round(statistics.median(hours), 1) if hours else None,
        top_posters_share=_share(top, total),
        labelled=labels is not None,
        chatter_share=_share(labels.get(CHATTER, 0), labelled_total) if labels is not None else None,
        off_topic_share=_share(labels.get(OFF_TOPIC, 0), labelled_total) if labels is not None else None,
        by_month=by_month,
    )


# --- engagement ----------------------------------------------------------------------------------------


def engagement(
    facts: Facts, acts: Sequence[tuple[int, date, str]], months: Sequence[str], now: datetime, zone: tzinfo
) -> Engagement:
    members = _order(facts.members)
    present = {m.id: m for m in members if m.removed_at is None or m.removed_at > now}
    today = now.astimezone(zone).date()
    since = today - timedelta(days=ACTIVE_WINDOW_DAYS)
    quiet_since = today - timedelta(days=LOST_QUIET_DAYS)
    recent: dict[str, set[int]] = defaultdict(set)
    last: dict[int, date] = {}
    months_before_quiet: dict[int, set[str]] = defaultdict(set)
    active_by_month: dict[str, set[int]] = defaultdict(set)
    for member_id, day, kind in acts:
        if day > today:
            continue
        active_by_month[_month(day, zone)].add(member_id)
        last[member_id] = max(last.get(member_id, day), day)
        if day > since:
            recent[kind].add(member_id)
        if day <= quiet_since:
            months_before_quiet[member_id].add(_month(day, zone))
    active_now = set().union(*recent.values()) & set(present) if recent else set()
    lost = [
        LostRegular(member_id=m.id, name=m.name, last_active=last[m.id])
        for m in present.values()
        if len(months_before_quiet[m.id]) >= REGULAR_MIN_MONTHS and last[m.id] <= quiet_since
    ]
    # Month by month.
    grabbers: dict[str, set[int]] = defaultdict(set)
    for g in facts.grabs:
        grabbers[_month(g.at, zone)].add(g.member_id)
    meetups: dict[str, set[int]] = defaultdict(set)
    going: Counter[str] = Counter()
    checked: Counter[str] = Counter()
    for r in facts.rsvps:
        month = _month(r.meetup_starts_at, zone)
        meetups[month].add(r.meetup_id)
        going[month] += r.status == "going"
        checked[month] += r.checked_in_at is not None
    met = [t.met_offline_at for t in facts.ties if t.met_offline_at is not None]
    met_by_month = Counter(_month(at, zone) for at in met)
    by_month = []
    for month in months:
        y, m = int(month[:4]), int(month[5:])
        end = datetime(y + (m == 12), 1 if m == 12 else m + 1, 1, tzinfo=zone)
        size = count_at(members, min(end, now))
        by_month.append(
            EngagementMonth(
                month=month,
                members=size,
                active=len(active_by_month[month]),
                grabbers=len(grabbers[month]),
                envelope_share=_share(len(grabbers[month]), size),
                meetups=len(meetups[month]),
                going=going[month],
                checked_in=checked[month],
                met_offline_ties=met_by_month[month],
            )
        )
    # The invite tree.
    origin = next((m for m in members if m.sponsor_id is None), None)
    depths = Counter(m.depth for m in present.values())
    branches = []
    if origin is not None:
        for head in (m for m in members if m.sponsor_id == origin.id):
            under = [m for m in present.values() if m.id == head.id or head.id in m.ancestors]
            branches.append(
                Branch(
                    member_id=head.id,
                    name=head.name,
                    members=len(under),
                    active=sum(1 for m in under if m.id in active_now),
                )
            )
    branches.sort(key=lambda b: (-b.active, -b.members, b.member_id))
    return Engagement(
        window_days=ACTIVE_WINDOW_DAYS,
        members=len(present),
        active=len(active_now),
        active_share=_share(len(active_now), len(present)),
        posted=len(recent[POSTED] & set(present)),
        grabbed=len(recent[GRABBED] & set(present)),
        rsvped=len(recent[RSVPED] & set(present)),
        introduced=len(recent[INTRODUCED] & set(present)),
        lost_regulars=sorted(lost, key=lambda x: (x.last_active, x.member_id)),
        met_offline_ties=len(met),
        tree_depth=max(depths, default=0),
        by_depth=[DepthCount(depth=d, members=c) for d, c in sorted(depths.items())],
        branches=branches,
        by_month=by_month,
    )


# --- everything ----------------------------------------------------------------------------------------


def health(facts: Facts, *, now: datetime, zone: tzinfo = DEFAULT_ZONE) -> Health:
    members = _order(facts.members)
    newcomers = friends_inside(members, facts.ties)
    counts = [c.n for c in newcomers]
    knew_at = step_up_at([float(c.knew_inside) for c in newcomers])
    deals_series = deals_per_newcomer(members, facts.deals)
    deals_at = step_up_at([float(d) for d in deals_series])
    by_month, by_count = growth(members, now, zone)
    months = [g.month for g in by_month]
    acts = activity(facts, zone)
    return Health(
        members=sum(1 for m in members if m.removed_at is None or m.removed_at > now),
        newcomers=len(newcomers),
        phases=Phases(
            friends_inside_at=counts[knew_at] if knew_at is not None else None,
            deals_at=counts[deals_at] if deals_at is not None and counts else None,
        ),
        friends_inside=newcomers,
        friends_inside_share=rolling_share(newcomers),
        growth_by_month=by_month,
        growth_by_count=by_count,
        deals=deal_numbers(members, facts.deals, facts.introductions, zone),
        conversation=conversation(facts, acts, months, zone),
        engagement=engagement(facts, acts, months, now, zone),
        definitions={
            "friends_inside_days": FRIENDS_INSIDE_DAYS,
            "rolling_window": ROLLING_WINDOW,
            "active_window_days": ACTIVE_WINDOW_DAYS,
            "regular_min_months": REGULAR_MIN_MONTHS,
            "lost_quiet_days": LOST_QUIET_DAYS,
            "top_posters": TOP_POSTERS,
            "min_segment": MIN_SEGMENT,
            "penalty_log_factor": PENALTY_LOG_FACTOR,
        },
    )
