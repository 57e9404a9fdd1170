"""Load the demo circle by replaying the story through the services, back-dated with their `at=`.

Idempotent: the whole story is written in one transaction, and nothing is written when the circle
already exists. Fast: every demo account shares one password hash, computed once (hashing it per
account would take most of a minute).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.db import transaction
from django.test.utils import override_settings
from django.urls import reverse
from django.utils import timezone

from kindred.circles.models import Circle, Membership
from kindred.circles.selectors import circle_member_count, membership_for_circle
from kindred.circles.services import (
    card_update,
    circle_create,
    membership_note_set,
    membership_remove,
    membership_role_set,
)
from kindred.core.services import Conflict
from kindred.invitations.models import Nomination
from kindred.invitations.services import (
    invitation_accept,
    invitation_direct,
    nomination_approve,
    nomination_create,
    nomination_reject,
)
from kindred.ties.models import Tie
from kindred.ties.services import tie_confirm, tie_declare, tie_ignore

from .extensions import DemoContext, replay_chapters
from .people import Person
from .story import CIRCLE, Event, Join, NominationPlan, Story, TiePlan, build_story, email_of

DEMO_PASSWORD = "kindred-demo"  # noqa: S105 (documented, shared by every demo account)
DEMO_SLUG = str(CIRCLE["slug"])
# An open invitation is issued no earlier than this before the load, so its link still works afterwards.
OPEN_INVITATION_FRESHNESS = timedelta(days=1)


@dataclass
class Login:
    username: str
    who: str


@dataclass
class LoadResult:
    created: bool
    seconds: float
    active_members: int
    logins: list[Login] = field(default_factory=list)
    open_invitation_path: str = ""  # only when just loaded: the raw code is never stored


def demo_logins(story: Story) -> list[Login]:
    """The accounts worth signing in with, and what each shows."""
    people = story.people
    late = story.joins[-1].person

    def card(person: Person) -> str:
        return f"{person.name}, {person.title} @ {person.company}, {person.city}"

    return [
        Login("laozhou", f"organizer / 群主 — {card(people['laozhou'])}"),
        Login("linwanqing", f"admin, reviews nominations / 管理员 — {card(people['linwanqing'])}"),
        Login("shenyanqiu", f"member, the collector who needs a PPT / 收藏家 — {card(people['shenyanqiu'])}"),
        Login("wangxiong", f"member, 王兄 from 成都 — {card(people['wangxiong'])}"),
        Login("fangxiaoyu", f"member, the PPT designer / PPT设计师 — {card(people['fangxiaoyu'])}"),
        Login(late.username, f"member, the latest to join / 最新成员 — {card(late)}"),
        Login("tangning", "pending nominee: has an account, sees nothing of the circle / 待审核的被提名人"),
    ]


def demo_exists() -> bool:
    return Circle.objects.filter(slug=DEMO_SLUG).exists()


def demo_load() -> LoadResult:
    """Load the demo circle unless it is there already."""
    started = time.perf_counter()
    story = build_story()
    created = False
    path = ""
    if not demo_exists():
        # The story's mail (invitation links, a removal notice) goes nowhere.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
            try:
                with transaction.atomic():
                    path = _Replay(story).run()
                created = True
            except Conflict:
                if not demo_exists():  # not a concurrent load of the same circle
                    raise
    circle = Circle.objects.get(slug=DEMO_SLUG)
    return LoadResult(
        created=created,
        seconds=time.perf_counter() - started,
        active_members=circle_member_count(circle=circle),
        logins=demo_logins(story),
        open_invitation_path=path,
    )


class _Replay:
    def __init__(self, story: Story) -> None:
        self.story = story
        self.password = make_password(DEMO_PASSWORD)
        self.members: dict[str, Membership] = {}
        self.nominations: dict[str, Nomination] = {}
        self.codes: dict[str, str] = {}
        self.ties: dict[frozenset[str], Tie] = {}
        self.open_path = ""
        self.circle: Circle | None = None

    def user(self, username: str, name: str, at: datetime) -> User:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.create(
                username=username,
                email=email_of(username),
                first_name=name[:150],
                password=self.password,
                date_joined=at,
            )
        return user

    def run(self) -> str:
        story = self.story
        organizer = story.organizer
        creator = self.user(organizer.username, organizer.name, story.created_at)
        self.circle = circle_create(
            creator=creator,
            display_name=organizer.name,
            created_at=story.created_at,
            **CIRCLE,
        )
        origin = membership_for_circle(user=creator, slug=DEMO_SLUG)
        self.members[organizer.username] = origin
        self.card(origin, organizer)
        handlers = {
            "invite_direct": self.invite_direct,
            "nominate": self.nominate,
            "approve": self.approve,
            "reject": self.reject,
            "accept": self.accept,
            "card": self.card_event,
            "note": self.note,
            "promote": self.promote,
            "declare": self.declare,
            "confirm": self.confirm,
            "ignore": self.ignore,
            "remove": self.remove,
        }
        for event in story.events():
            handlers[event.kind](event)
        members = {name: Membership.objects.get(pk=m.pk) for name, m in self.members.items()}
        replay_chapters(DemoContext(circle=self.circle, story=story, members=members))
        return self.open_path

    # --- growth ----------------------------------------------------------------------------------------

    def invite_direct(self, event: Event) -> None:
        assert isinstance(event.ref, NominationPlan) and self.circle is not None
        nom = event.ref
        _invitation, self.codes[nom.key] = invitation_direct(
            circle=self.circle,
            organizer=self.members[nom.nominator],
            name=nom.name,
            email=nom.email,
            reason=nom.reason,
            draft_card=nom.draft,
            at=event.at,
        )

    def nominate(self, event: Event) -> None:
        assert isinstance(event.ref, NominationPlan) and self.circle is not None
        nom = event.ref
        if nom.account:
            self.user(nom.account, nom.name, event.at)
        self.nominations[nom.key] = nomination_create(
            circle=self.circle,
            nominator=self.members[nom.nominator],
            name=nom.name,
            email=nom.email,
            relationship=nom.relationship,
            years_known=nom.years_known,
            closeness=nom.closeness,
            reason=nom.reason,
            draft_card=nom.draft,
            at=event.at,
        )

    def approve(self, event: Event) -> None:
        assert isinstance(event.ref, NominationPlan)
        nom = event.ref
        at = event.at
        if nom.outcome == "open":
            # The one link still waiting to be used must not have expired by the time anyone looks.
            at = max(at, timezone.now() - OPEN_INVITATION_FRESHNESS)
        _invitation, code = nomination_approve(
            nomination=self.nominations[nom.key], reviewer=self.members[nom.reviewer], at=at
        )
        self.codes[nom.key] = code
        if nom.outcome == "open":
            self.open_path = reverse("invitations:accept", kwargs={"code": code})

    def reject(self, event: Event) -> None:
        assert isinstance(event.ref, NominationPlan)
        nom = event.ref
        nomination_reject(
            nomination=self.nominations[nom.key],
            reviewer=self.members[nom.reviewer],
            reason=nom.reject_reason,
            at=event.at,
        )

    def accept(self, event: Event) -> None:
        assert isinstance(event.ref, Join)
        person = event.ref.person
        user = self.user(person.username, person.name, event.at)
        self.members[person.username] = invitation_accept(
            code=self.codes[event.ref.nomination], user=user, display_name=person.name, at=event.at
        )

    def card(self, membership: Membership, person: Person) -> None:
        card_update(
            membership=membership,
            actor=membership.user,
            fields={
                "display_name": person.name,
                "company": person.company,
                "title": person.title,
                "city": person.city,
                "offers": person.offers,
                "needs": person.needs,
                "bio": person.bio,
                "values": person.values,
                "wechat": f"{person.username}_wx",
                "email": email_of(person.username),
            },
            industry_codes=list(person.industries),
            offer_tags=list(person.offer_tags),
            need_tags=list(person.need_tags),
        )

    def card_event(self, event: Event) -> None:
        assert isinstance(event.ref, Join)
        person = event.ref.person
        self.card(self.members[person.username], person)

    def note(self, event: Event) -> None:
        assert isinstance(event.ref, tuple)
        username, text = event.ref
        membership_note_set(
            membership=self.members[username],
            actor=self.members[self.story.organizer.username],
            note=text,
        )

    def promote(self, event: Event) -> None:
        assert isinstance(event.ref, str)
        self.members[event.ref] = membership_role_set(
            membership=self.members[event.ref],
            actor=self.members[self.story.organizer.username],
            role=Membership.Role.ADMIN,
        )

    def remove(self, event: Event) -> None:
        assert isinstance(event.ref, tuple)
        username, _at, reason = event.ref
        self.members[username] = membership_remove(
            membership=self.members[username],
            actor=self.members[self.story.organizer.username],
            reason=reason,
            at=event.at,
        )

    # --- ties ------------------------------------------------------------------------------------------

    def declare(self, event: Event) -> None:
        assert isinstance(event.ref, TiePlan)
        tie = event.ref
        self.ties[frozenset((tie.declarer, tie.other))] = tie_declare(
            declarer=self.members[tie.declarer],
            other=self.members[tie.other],
            kind=tie.kind,
            since_year=tie.since_year,
            at=event.at,
        )

    def confirm(self, event: Event) -> None:
        assert isinstance(event.ref, TiePlan)
        tie = event.ref
        tie_confirm(
            tie=self.ties[frozenset((tie.declarer, tie.other))], member=self.members[tie.other], at=event.at
        )

    def ignore(self, event: Event) -> None:
        assert isinstance(event.ref, TiePlan)
        tie = event.ref
        tie_ignore(tie=self.ties[frozenset((tie.declarer, tie.other))], member=self.members[tie.other])
