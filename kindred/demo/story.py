"""The story of 新文娱产业群 as a deterministic plan: who joins when, under whom, who knows whom.

Pure Python (no Django): `build_story()` returns the same Story on every call (random.Random with a fixed
seed, dates relative to a fixed anchor). The loader replays `Story.events()` through the services.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from kindred.circles.taxonomy import INDUSTRIES

from . import people
from .people import ARCHETYPES, NAMED, ORGANIZER, PARTNERS, Archetype, Named, Person

SEED = 20260301
ZONE = ZoneInfo("Asia/Shanghai")
ANCHOR = datetime(2026, 3, 1, 10, 0, tzinfo=ZONE)  # the dinner after which 老周 opened the circle
STORY_DAYS = 264  # the story ends on 2026-11-20
TOTAL_JOINERS = 122  # everyone but the organizer; one is removed later
DIRECT_SLOTS = 11  # the organizer's first invitations
LATER_DIRECT_SLOTS = frozenset({52, 81})  # the organizer still invites directly now and then
PROMOTION_DAY = 21  # the two admins start reviewing
REMOVED_SLOT = 41
REMOVAL_DAY = 201
NOMINATE_AFTER_DAYS = 14
MAX_PENDING_PER_NOMINATOR = 2  # below the circle's cap of 3
# The first phase transition of the story: before about 55 members a newcomer knows only their sponsor inside,
# and meets the others in the circle (those ties come more than a month after joining); from this slot on,
# newcomers find friends already inside: they know at least LATE_JOINER_MIN_TIES members besides their sponsor
# from before, and declare those ties in their first days.
FRIENDS_INSIDE_FROM = 55
LATE_JOINER_MIN_TIES = 3
# Early members get to know each other in the group: their ties are declared this many days after joining.
EARLY_TIE_LAG_DAYS = (31.0, 120.0)
PENDING_TIES = 6
EMAIL_DOMAIN = "example.com"

CIRCLE: dict[str, Any] = {
    "name": "新文娱产业群",
    "slug": "xinwenyu",
    "theme_code": "content",
    "description": "从一次饭局开始的圈子：影视、短剧、音乐、游戏、动画、直播、短视频、IP与衍生品、演出、经纪、投资，"
    "还有需要他们的人。大家在一条产业链上，却常常互相找不到——在这里，找得到。",
    "values_statement": "真诚、靠谱、互相成就。每一位成员都由熟人推荐、经过审核；先帮人，再谈生意。",
    "nomination_policy": "members_after_days",
    "nominate_after_days": NOMINATE_AFTER_DAYS,
    "max_pending_nominations": 3,
    "invitation_ttl_hours": 7 * 24,
}

INDUSTRY_ZH = {code: zh for code, zh, _en, _syn, _parent in INDUSTRIES}


@dataclass(frozen=True)
class NominationPlan:
    key: str
    name: str
    email: str
    nominator: str  # a username; the organizer's for a direct invitation
    direct: bool
    relationship: str
    years_known: int
    closeness: int
    reason: str
    draft: dict[str, str]
    nominated_at: datetime
    outcome: str  # "approved", "rejected", "pending" or "open" (approved, link not used)
    reviewer: str = ""
    reviewed_at: datetime | None = None
    reject_reason: str = ""
    account: str = ""  # a pending nominee who already has a Kindred account


@dataclass(frozen=True)
class Join:
    person: Person
    slot: int
    nomination: str  # NominationPlan.key
    sponsor: str
    joined_at: datetime


@dataclass(frozen=True)
class TiePlan:
    declarer: str
    other: str
    kind: str
    since_year: int
    declared_at: datetime
    answer: str  # "confirm", "ignore" or "" (still pending)
    answered_at: datetime | None = None


@dataclass(frozen=True)
class Event:
    at: datetime
    seq: int
    kind: str  # invite_direct, nominate, approve, reject, accept, card, note, promote, declare, confirm, ...
    ref: object


@dataclass
class Story:
    organizer: Person
    created_at: datetime
    joins: list[Join] = field(default_factory=list)
    nominations: list[NominationPlan] = field(default_factory=list)
    ties: list[TiePlan] = field(default_factory=list)
    promotions: list[tuple[str, datetime]] = field(default_factory=list)
    removal: tuple[str, datetime, str] | None = None

    @property
    def people(self) -> dict[str, Person]:
        return {self.organizer.username: self.organizer, **{j.person.username: j.person for j in self.joins}}

    def join_of(self, username: str) -> Join:
        return next(j for j in self.joins if j.person.username == username)

    def events(self) -> list[Event]:
        """Everything that happens, in time order (creation order breaks ties)."""
        out: list[Event] = []

        def add(at: datetime | None, kind: str, ref: object) -> None:
            assert at is not None
            out.append(Event(at, len(out), kind, ref))

        for nom in self.nominations:
            if nom.direct:
                add(nom.nominated_at, "invite_direct", nom)
                continue
            add(nom.nominated_at, "nominate", nom)
            if nom.outcome in ("approved", "open"):
                add(nom.reviewed_at, "approve", nom)
            elif nom.outcome == "rejected":
                add(nom.reviewed_at, "reject", nom)
        for join in self.joins:
            add(join.joined_at, "accept", join)
            add(join.joined_at + timedelta(minutes=20), "card", join)
        for username, at in self.promotions:
            add(at, "promote", username)
        for username, note in people.ORGANIZER_NOTES.items():
            add(self.join_of(username).joined_at + timedelta(days=3), "note", (username, note))
        for tie in self.ties:
            add(tie.declared_at, "declare", tie)
            if tie.answer:
                add(tie.answered_at, tie.answer, tie)
        if self.removal is not None:
            add(self.removal[1], "remove", self.removal)
        return sorted(out, key=lambda e: (e.at, e.seq))


def email_of(username: str) -> str:
    return f"{username}@{EMAIL_DOMAIN}"


def draft_of(person: Person) -> dict[str, str]:
    return {
        "company": person.company,
        "title": person.title,
        "city": person.city,
        "offers": person.offers,
        "needs": person.needs,
        "bio": person.bio,
    }


class _Builder:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.story = Story(organizer=ORGANIZER, created_at=ANCHOR)
        self.joined: dict[str, datetime] = {ORGANIZER.username: ANCHOR}
        self.pending_windows: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
        self.taken_names = {ORGANIZER.name, *(n.person.name for n in NAMED)}
        self.taken_usernames = {
            ORGANIZER.username,
            *(n.person.username for n in NAMED),
            *(str(p["username"]) for p in people.PENDING),
        }
        self.company_titles: dict[str, set[str]] = defaultdict(set)
        for n in NAMED:
            self.company_titles[n.person.company].add(n.person.title)

    # --- time ------------------------------------------------------------------------------------------

    def moment(self, day: float) -> datetime:
        """A daytime moment (10:00–22:00 Shanghai) on story day `day`."""
        whole = int(day)
        return ANCHOR + timedelta(days=whole, minutes=self.rng.randint(0, 12 * 60))

    @staticmethod
    def join_day(slot: int) -> float:
        if slot <= DIRECT_SLOTS:
            return 1 + (slot - 1) * 1.5
        # Slow at first, then word of mouth: day 20 to day ~245.
        return 20 + 225 * ((slot - DIRECT_SLOTS - 1) / (TOTAL_JOINERS - DIRECT_SLOTS - 1)) ** 0.9

    # --- people ----------------------------------------------------------------------------------------

    def person(self) -> Person:
        rng = self.rng
        arch: Archetype = rng.choices(ARCHETYPES, weights=[a.weight for a in ARCHETYPES])[0]
        while True:
            surname, s_py = rng.choice(people.SURNAMES)
            given = rng.sample(people.GIVEN, rng.choice((1, 2, 2)))
            name = surname + "".join(g for g, _ in given)
            username = s_py + "".join(p for _, p in given)
            if name not in self.taken_names and username not in self.taken_usernames:
                break
        self.taken_names.add(name)
        self.taken_usernames.add(username)
        city = rng.choices(people.CITIES, weights=people.CITY_WEIGHTS)[0]
        company = rng.choice(arch.companies)
        titles = [t for t in arch.titles if t not in self.company_titles[company]] or list(arch.titles)
        title = rng.choice(titles)
        self.company_titles[company].add(title)
        school = rng.choice(arch.schools) if rng.random() < 0.7 else ""
        class_of = rng.choice((2004, 2006, 2008, 2009, 2010, 2011, 2012, 2013, 2014, 2016)) if school else 0
        career_start = class_of or rng.randint(2000, 2016)
        years = 2026 - career_start
        offers = rng.sample(arch.offers, min(2, len(arch.offers)))
        needs = rng.sample(arch.needs, rng.choice((1, 2)))
        industries = list(arch.industries)
        if rng.random() < 0.2:
            extra = rng.choice(PARTNERS[industries[0]])
            if extra not in industries:
                industries.append(extra)
        bio = rng.choice(arch.bios).format(years=years, school=school or "科班", n=rng.randint(3, 12))
        if school:
            bio += f"{school}{class_of}届。"
        bio += f"现在常驻{city}。"
        return Person(
            username=username,
            name=name,
            city=city,
            company=company,
            title=title,
            industries=tuple(industries),
            offers="".join(text for text, _ in offers),
            needs="".join(text for text, _ in needs),
            offer_tags=tuple(dict.fromkeys(t for _, tags in offers for t in tags)),
            need_tags=tuple(dict.fromkeys(t for _, tags in needs for t in tags)),
            bio=bio,
            values=rng.choice(people.VALUES) if rng.random() < 0.6 else "",
            school=school,
            class_of=class_of,
            career_start=career_start,
        )

    # --- relationships ---------------------------------------------------------------------------------

    @staticmethod
    def related(a: Person, b: Person) -> str:
        if a.company == b.company:
            return "colleague"
        if a.school and a.school == b.school and abs(a.class_of - b.class_of) <= 1:
            return "classmate"
        if any(i in PARTNERS.get(j, ()) or i == j for i in a.industries for j in b.industries):
            return "partner"
        return "friend"

    def since_year(self, kind: str, a: Person, b: Person) -> int:
        if kind == "classmate":
            return min(a.class_of, b.class_of) - 4
        if kind == "colleague":
            return min(2025, max(a.career_start, b.career_start) + self.rng.randint(0, 4))
        if kind == "partner":
            return self.rng.randint(max(2012, a.career_start, b.career_start), 2025)
        return self.rng.randint(max(2005, a.career_start, b.career_start) - 3, 2024)

    def reason(self, nominee: Person, sponsor: Person, relationship: str, years: int) -> str:
        opening = {
            "colleague": f"我们在{nominee.company}共事{years}年",
            "classmate": f"{nominee.school}的同学，认识{years}年了",
            "partner": f"合作过好几个项目，认识{years}年",
            "friend": f"认识{years}年的老朋友",
        }[relationship]
        trade = INDUSTRY_ZH.get(nominee.industries[0], "")
        offer = nominee.offers.split("。")[0]
        partners = [INDUSTRY_ZH[c] for c in PARTNERS.get(nominee.industries[0], ())[:2]]
        helps = "、".join(partners) if partners else "各行"
        return f"{opening}。{nominee.name}在{nominee.city}做{trade}：{offer}。能帮到群里做{helps}的朋友。"

    # --- growth ----------------------------------------------------------------------------------------

    def pending_count(self, username: str, at: datetime) -> int:
        return sum(1 for start, end in self.pending_windows[username] if start <= at < end)

    def pick_sponsor(self, nominee: Person, nominated_at: datetime, removed: str) -> str:
        rng = self.rng
        candidates: list[str] = []
        weights: list[float] = []
        everyone = self.story.people
        for username, joined in self.joined.items():
            if username in (ORGANIZER.username, removed):
                continue
            if joined > nominated_at - timedelta(days=NOMINATE_AFTER_DAYS, hours=1):
                continue
            if self.pending_count(username, nominated_at) >= MAX_PENDING_PER_NOMINATOR:
                continue
            other = everyone[username]
            weight = 1.0
            relation = self.related(nominee, other)
            weight *= {"colleague": 6, "classmate": 3, "partner": 2, "friend": 1}[relation]
            if other.city == nominee.city:
                weight *= 3
            candidates.append(username)
            weights.append(weight)
        return rng.choices(candidates, weights=weights)[0]

    def reviewer(self, nominator: str, at: datetime) -> str:
        admins = [u for u, when in self.story.promotions if when < at and u != nominator]
        if not admins:
            return ORGANIZER.username
        return self.rng.choice([ORGANIZER.username, ORGANIZER.username, *admins])

    def add_join(self, person: Person, slot: int, named: Named | None, removed: str) -> None:
        rng = self.rng
        joined_at = self.moment(self.join_day(slot))
        previous = max(self.joined.values())
        if joined_at <= previous:
            joined_at = previous + timedelta(minutes=rng.randint(30, 240))
        direct = slot <= DIRECT_SLOTS or slot in LATER_DIRECT_SLOTS or (named and named.sponsor is None)
        if direct:
            sponsor = ORGANIZER.username
            nominated_at = max(joined_at - timedelta(hours=rng.randint(3, 40)), ANCHOR + timedelta(hours=2))
            reviewed_at = nominated_at
            relationship, years, closeness = "other", 0, 3
            reason = (named.reason if named else "") or (
                f"老周的老朋友，{person.city}做{INDUSTRY_ZH[person.industries[0]]}的{person.title}。"
            )
        else:
            nominated_at = joined_at - timedelta(days=rng.uniform(2, 5))
            if named and named.sponsor:
                sponsor = named.sponsor
                eligible_from = self.joined[sponsor] + timedelta(days=NOMINATE_AFTER_DAYS, hours=1)
                assert nominated_at >= eligible_from, (person.username, sponsor)
                relationship, years, closeness = named.relationship, named.years_known, named.closeness
                reason = named.reason
            else:
                sponsor = self.pick_sponsor(person, nominated_at, removed)
                relationship = self.related(person, self.story.people[sponsor])
                years = (
                    2026 - min(person.class_of, self.story.people[sponsor].class_of) + 4
                    if relationship == "classmate"
                    else rng.randint(2, 12)
                )
                closeness = rng.choice((3, 4, 4, 5, 5))
                reason = self.reason(person, self.story.people[sponsor], relationship, years)
            reviewed_at = nominated_at + timedelta(hours=rng.randint(4, 36))
            if reviewed_at >= joined_at:
                reviewed_at = nominated_at + (joined_at - nominated_at) / 2
            self.pending_windows[sponsor].append((nominated_at, reviewed_at))
        key = person.username
        self.story.nominations.append(
            NominationPlan(
                key=key,
                name=person.name,
                email=email_of(person.username),
                nominator=sponsor,
                direct=bool(direct),
                relationship=relationship,
                years_known=years,
                closeness=closeness,
                reason=reason,
                draft=draft_of(person),
                nominated_at=nominated_at,
                outcome="approved",
                reviewer=ORGANIZER.username if direct else self.reviewer(sponsor, reviewed_at),
                reviewed_at=reviewed_at,
            )
        )
        self.story.joins.append(Join(person, slot, key, sponsor, joined_at))
        self.joined[person.username] = joined_at
        if named and named.admin:
            self.story.promotions.append((person.username, ANCHOR + timedelta(days=PROMOTION_DAY, hours=3)))

    @staticmethod
    def from_spec(spec: dict[str, Any], **plan: Any) -> NominationPlan:
        """A nomination of someone who is not (yet) a member, from its entry in people.py."""
        return NominationPlan(
            name=str(spec["name"]),
            nominator=str(spec["nominator"]),
            direct=False,
            relationship=str(spec["relationship"]),
            years_known=int(spec["years_known"]),
            closeness=int(spec["closeness"]),
            reason=str(spec["reason"]),
            draft={k: str(spec[k]) for k in ("company", "title", "city", "offers", "needs") if k in spec},
            **plan,
        )

    def side_nominations(self) -> None:
        """Turned down, still waiting, and one approved link not yet used."""
        rng = self.rng
        for i, spec in enumerate(people.REJECTED):
            at = self.moment(int(spec["after"]))
            assert at >= self.joined[str(spec["nominator"])] + timedelta(days=NOMINATE_AFTER_DAYS)
            reviewed = at + timedelta(hours=rng.randint(6, 40))
            self.story.nominations.append(
                self.from_spec(
                    spec,
                    key=f"rejected-{i}",
                    email=f"nominee{i + 1}@{EMAIL_DOMAIN}",
                    nominated_at=at,
                    outcome="rejected",
                    reviewer=self.reviewer(str(spec["nominator"]), reviewed),
                    reviewed_at=reviewed,
                    reject_reason=str(spec["reject"]),
                )
            )
        for i, pending in enumerate(people.PENDING):
            username = str(pending["username"])
            self.story.nominations.append(
                self.from_spec(
                    pending,
                    key=username,
                    email=email_of(username),
                    nominated_at=self.moment(STORY_DAYS - 6 + 2 * i),
                    outcome="pending",
                    account=username if pending["account"] else "",
                )
            )
        nominated = self.moment(STORY_DAYS - 5)
        self.story.nominations.append(
            self.from_spec(
                people.OPEN_INVITATION,
                key="open-invitation",
                email=f"hanlu@{EMAIL_DOMAIN}",
                nominated_at=nominated,
                outcome="open",
                reviewer=ORGANIZER.username,
                reviewed_at=nominated + timedelta(hours=20),
            )
        )

    # --- ties ------------------------------------------------------------------------------------------

    def ties(self, removed: str, removed_at: datetime) -> None:
        rng = self.rng
        story = self.story
        end = ANCHOR + timedelta(days=STORY_DAYS)
        order = [ORGANIZER.username, *(j.person.username for j in story.joins)]
        everyone = story.people
        sponsor_of = {j.person.username: j.sponsor for j in story.joins}
        pairs: dict[frozenset[str], TiePlan] = {}

        def add(
            a: str, b: str, kind: str, declarer: str | None = None, lag_days: float | None = None
        ) -> None:
            pair = frozenset((a, b))
            if a == b or pair in pairs or sponsor_of.get(a) == b or sponsor_of.get(b) == a:
                return
            newer, older = (a, b) if self.joined[a] > self.joined[b] else (b, a)
            by = declarer or (newer if rng.random() < 0.7 else older)
            base = self.joined[newer]
            declared = base + timedelta(days=lag_days if lag_days is not None else rng.uniform(0.1, 12))
            declared = min(declared, end - timedelta(days=1, hours=rng.randint(0, 48)))
            answered = min(declared + timedelta(hours=rng.randint(1, 96)), end)
            if removed in pair and answered >= removed_at:
                return
            pairs[pair] = TiePlan(
                declarer=by,
                other=b if by == a else a,
                kind=kind,
                since_year=self.since_year(kind, everyone[a], everyone[b]),
                declared_at=declared,
                answer="confirm",
                answered_at=answered,
            )

        # The story's own ties.
        add("shenyanqiu", "fangxiaoyu", "partner", declarer="shenyanqiu", lag_days=1.5)
        add("songzhixing", "shenyanqiu", "partner", declarer="songzhixing", lag_days=2)
        add("wangxiong", "laozhou", "friend", declarer="wangxiong", lag_days=0.5)
        add("xujiawen", "laozhou", "friend", declarer="laozhou", lag_days=0.3)

        for index, username in enumerate(order[1:], start=1):
            me = everyone[username]
            earlier = order[:index]

            def lag() -> float | None:
                return rng.uniform(*EARLY_TIE_LAG_DAYS) if index < FRIENDS_INSIDE_FROM else None  # noqa: B023

            for other in earlier:
                relation = self.related(me, everyone[other])
                if relation == "colleague" or (relation == "classmate" and rng.random() < 0.8):
                    add(username, other, relation, lag_days=lag())
            partners = [o for o in earlier if self.related(me, everyone[o]) == "partner"]
            for other in rng.sample(partners, min(len(partners), rng.randint(1, 3))):
                add(username, other, "partner", lag_days=lag())
            same_city = [o for o in earlier if everyone[o].city == me.city]
            for other in rng.sample(same_city, min(len(same_city), rng.randint(0, 2))):
                add(username, other, "friend", lag_days=lag())

        # From the transition on, newcomers already know people inside: top up to the minimum.
        late_from = FRIENDS_INSIDE_FROM
        for index in range(late_from, len(order)):
            username = order[index]
            known = sum(1 for pair in pairs if username in pair)
            if known >= LATE_JOINER_MIN_TIES:
                continue
            me = everyone[username]
            pool = [o for o in order[:index] if o != removed]
            pool.sort(key=lambda o: (everyone[o].city != me.city, self.related(me, everyone[o]) != "partner"))
            for other in pool[: LATE_JOINER_MIN_TIES * 3]:
                if sum(1 for pair in pairs if username in pair) >= LATE_JOINER_MIN_TIES:
                    break
                add(username, other, "friend" if everyone[other].city == me.city else "partner")

        ties = list(pairs.values())
        # A few requests still wait for an answer when the story ends, and one was ignored.
        latest = sorted(
            (t for t in ties if removed not in (t.declarer, t.other)),
            key=lambda t: t.declared_at,
            reverse=True,
        )
        for tie in latest[:PENDING_TIES]:
            ties[ties.index(tie)] = TiePlan(
                tie.declarer,
                tie.other,
                tie.kind,
                tie.since_year,
                end - timedelta(days=rng.uniform(0.5, 6)),
                answer="",
            )
        ignored = latest[PENDING_TIES + 3]
        ties[ties.index(ignored)] = TiePlan(
            ignored.declarer,
            ignored.other,
            ignored.kind,
            ignored.since_year,
            ignored.declared_at,
            answer="ignore",
            answered_at=ignored.answered_at,
        )
        story.ties = ties

    def build(self) -> Story:
        named_by_slot = {n.slot: n for n in NAMED}
        removed_username = ""
        for slot in range(1, TOTAL_JOINERS + 1):
            named = named_by_slot.get(slot)
            person = named.person if named else self.person()
            if slot == REMOVED_SLOT:
                removed_username = person.username
            self.add_join(person, slot, named, removed_username)
        removed_at = self.moment(REMOVAL_DAY)
        self.story.removal = (removed_username, removed_at, people.REMOVAL_REASON)
        self.side_nominations()
        self.ties(removed_username, removed_at)
        return self.story


def build_story(seed: int = SEED) -> Story:
    return _Builder(seed).build()
