"""The conversation's pages: the circle's home (the stream, the composer, open asks, upcoming meetups and the
member's to-dos), a message in context with what may be done to it, search, and the small endpoints the
page's script uses (a message's markup, @mention names), and the organizer's settings (slow mode). Thin views over the services and selectors; the
other apps are read through their selectors and changed through their services.

Every form works without JavaScript (it posts, the page reloads); with it, conversation-page.js posts in
place and asks for a message's markup (`?fragment=1`) to swap in.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.contrib import messages as flash
from django.contrib.messages import get_messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import get_template
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from kindred.circles.access import circle_view
from kindred.circles.models import Membership
from kindred.circles.selectors import Roster, circle_roster, directory_queryset, members_version
from kindred.core.fragments import CSRF_SLOT, cached_value, csrf_token, fragment, fragments, with_csrf
from kindred.core.services import NotFound, ServiceError
from kindred.deals import selectors as deals_selectors
from kindred.matching import selectors as matching_selectors
from kindred.meetups import selectors as meetups_selectors
from kindred.meetups import services as meetups_services
from kindred.ties import selectors as ties_selectors
from kindred.ties.types import TieStatus
from kindred.wallet import selectors as wallet_selectors
from kindred.wallet import services as wallet_services

from . import selectors, services
from .forms import (
    CaughtForm,
    EditForm,
    HideForm,
    PostForm,
    ReadForm,
    RsvpForm,
    SearchForm,
    SlowModeForm,
    interval_label,
)
from .models import EDIT_WINDOW, PAGE_DEFAULT, AskRoute, Kind

CONTEXT_AROUND = 5  # messages shown before and after one message on its page
OPEN_ASKS_SHOWN = 5
MEETUPS_SHOWN = 3
MENTION_SUGGESTIONS = 8
REPLIES_SCANNED = 200
# A member's answer to a meetup, as the card says it (the meetups' RSVP statuses).
ANSWERS = {
    "going": _lazy("Going"),
    "waitlisted": _lazy("On the waitlist"),
    "maybe": _lazy("Maybe"),
    "declined": _lazy("Not going"),
}
FRAGMENT = "fragment"


def _int(value: str | None) -> int | None:
    if value is None or not value.isascii() or not value.isdigit() or len(value) > 18:
        return None
    return int(value) or None


def _home_url(me: Membership, message_id: int | None = None) -> str:
    url = reverse("conversation:home", args=[me.circle.slug])
    return url + (f"#m{message_id}" if message_id else "")


def _message_url(me: Membership, message_id: int) -> str:
    return reverse("conversation:message", args=[me.circle.slug, message_id])


def _wants_fragment(request: HttpRequest) -> bool:
    return request.GET.get(FRAGMENT) == "1" or request.headers.get("X-Kindred-Fragment") == "1"


# --- what a stream's cards show (read through the apps' selectors) ------------------------------------


def _name(roster: Roster, member_id: int) -> str:
    """A member's display name from the circle's roster ("" for none, or no card)."""
    m = roster.members.get(member_id)
    return m.name if m is not None and m.stamp else ""


def route_reason(reason: dict[str, Any]) -> str:
    """Why Kindred asked this member, in the reader's language, from the router's facts."""
    parts = []
    terms = [str(t) for t in reason.get("terms") or []]
    if terms:
        parts.append(_("“%(terms)s” on their card or in their answers") % {"terms": "、".join(terms)})
    similar = int(reason.get("similar_answered") or 0)
    if similar:
        parts.append(
            ngettext("answered %(n)d similar ask", "answered %(n)d similar asks", similar) % {"n": similar}
        )
    hours = reason.get("median_hours")
    if hours is not None:
        hours = float(hours)
        if hours < 1:
            parts.append(_("usually answers within the hour"))
        elif hours < 48:
            n = round(hours)
            parts.append(
                ngettext("usually answers within %(n)d hour", "usually answers within %(n)d hours", n)
                % {"n": n}
            )
        else:
            n = round(hours / 24)
            parts.append(
                ngettext("usually answers within %(n)d day", "usually answers within %(n)d days", n)
                % {"n": n}
            )
    exchanges = int(reason.get("exchanges") or 0)
    if exchanges:
        parts.append(
            ngettext(
                "has helped you or asked you once before",
                "has helped you or asked you %(n)d times",
                exchanges,
            )
            % {"n": exchanges}
        )
    return _("; ").join(parts)


def decorate(me: Membership, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Add to each message what its card shows beyond the message itself, read in a constant number of
    queries whatever the number of messages: the red envelopes' grabs, the meetups' answers, whom a
    newcomer already knows here (for the viewer), whom my asks were routed to and why."""
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for m in items:
        by_kind.setdefault(m["kind"], []).append(m)
        m["mine"] = m["author"] is not None and m["author"]["member_id"] == me.pk
        m["removed"] = m["deleted"] or m["hidden"]
    envelopes = [m for m in by_kind.get(Kind.ENVELOPE_SENT, []) if m["payload"]]
    if envelopes:
        views = wallet_selectors.envelope_cards(
            viewer=me, envelope_ids=[int(m["payload"]["envelope_id"]) for m in envelopes]
        )
        for m in envelopes:
            m["envelope"] = views.get(int(m["payload"]["envelope_id"]))
    meetups = [m for m in by_kind.get(Kind.MEETUP_CALLED, []) if m["payload"]]
    if meetups:
        found = meetups_selectors.meetup_page_many(
            member=me, meetup_ids=[int(m["payload"]["meetup_id"]) for m in meetups]
        )
        now = timezone.now()
        for m in meetups:
            mt = m["meetup"] = found.get(int(m["payload"]["meetup_id"]))
            if mt is not None:
                m["my_answer"] = ANSWERS.get(getattr(mt, "my_status", None) or "", "")
                m["can_answer"] = mt.starts_at > now and mt.host_id != me.pk
    joined = [m for m in by_kind.get(Kind.MEMBER_JOINED, []) if m["payload"]]
    if joined:
        roster = circle_roster(circle=me.circle)  # the tie graph and the names, kept per members_version
        mine = roster.neighbors.get(me.pk, frozenset())
        for m in joined:
            pk = int(m["payload"]["member_id"])
            theirs = roster.neighbors.get(pk, frozenset())
            if pk == me.pk:
                m["you_are_them"] = True
                wanted = sorted(theirs - {m["payload"].get("sponsor_id")})
            else:
                m["you_know_them"] = pk in mine
                wanted = sorted((theirs & mine) - {me.pk})
            m["known"] = [name for name in (_name(roster, i) for i in wanted) if name]
    caught = [m for m in by_kind.get(Kind.ASK, []) if m["ask"] and m["ask"]["caught_by"]]
    if caught:
        roster = circle_roster(circle=me.circle)
        for m in caught:
            m["caught_by_name"] = _name(roster, int(m["ask"]["caught_by"]))
    my_asks = [m for m in by_kind.get(Kind.ASK, []) if m["mine"] and m["ask"] and m["ask"]["routed_to"]]
    if my_asks:
        routes: dict[int, list[dict[str, Any]]] = {}
        rows = (
            AskRoute.objects.filter(ask__message_id__in=[m["id"] for m in my_asks])
            .order_by("ask_id", "rank")
            .values_list("ask__message_id", "member_id", "member__card__display_name", "reason")
        )
        for message_id, member_id, name, reason in rows:
            routes.setdefault(message_id, []).append(
                {"member_id": member_id, "display_name": name or "", "reason": route_reason(reason or {})}
            )
        for m in my_asks:
            m["routes"] = routes.get(m["id"], [])
    return items


# --- the home: the stream ----------------------------------------------------------------------------


def _todos(me: Membership) -> list[tuple[str, int, str]]:
    """(what, how many, where) for what waits for the member: ties to confirm (requests of members still
    active), introductions waiting for their answer, deals waiting for their confirmation. Counted, not
    built: two queries (introductions, deals), the tie requests kept under the circle's members_version."""

    def ties_waiting() -> int:
        asking = [
            pk
            for pk, (status, declared_by) in ties_selectors.tie_states_of(membership=me).items()
            if status == TieStatus.PENDING and declared_by != me.pk
        ]
        return (
            Membership.objects.filter(pk__in=asking, status=Membership.Status.ACTIVE).count() if asking else 0
        )

    # Ties and memberships move the circle's members_version (read with the membership) in their transaction.
    ties = cached_value("conversation.ties-to-confirm", (me.pk, *members_version(me.circle)), ties_waiting)
    ties_url, intros_url, deals_url = _todo_urls(me.circle.slug)
    return [
        (_("Ties to confirm"), ties, ties_url),
        (
            _("Introductions waiting for you"),
            matching_selectors.intros_waiting_count(membership=me),
            intros_url,
        ),
        (
            _("Deals to confirm"),
            deals_selectors.deals_to_confirm_count(member=me),
            deals_url,
        ),
    ]


@lru_cache(maxsize=1024)
def _todo_urls(slug: str) -> tuple[str, str, str]:
    """Where the to-dos lead, reversed once per circle in a process (URLs do not change while it runs)."""
    ties, intros, deals = (
        reverse(name, args=[slug]) for name in ("ties:list", "matching:intros", "deals:list")
    )
    return ties, intros, deals


# Cards whose markup differs for every viewer and follows another app's rows with no version of their own
# (the red envelope's grabs, the meetup's details and answers): what they show the viewer is read for each
# page and their markup kept under it (`_viewer_state`).
LIVE_KINDS = frozenset({Kind.ENVELOPE_SENT, Kind.MEETUP_CALLED})


def _per_viewer(me: Membership, row: dict[str, Any]) -> bool:
    """Whether a message's markup is the viewer's own: a live card, a newcomer's card (whom the viewer
    knows) or the asker's own ask (whom it was routed to and why)."""
    kind = row["kind"]
    return (
        kind in LIVE_KINDS or kind == Kind.MEMBER_JOINED or (kind == Kind.ASK and row["author_id"] == me.pk)
    )


class _Shaped:
    """The page's messages in the API's shape (with what their cards show, when `decorated`), read at the
    first one asked for, all at once (a constant number of queries), and only when some markup must be
    rendered."""

    def __init__(self, me: Membership, ids: list[int], *, decorated: bool = True) -> None:
        self.me, self.ids, self.decorated = me, ids, decorated
        self.by_id: dict[int, dict[str, Any]] | None = None

    def __getitem__(self, message_id: int) -> dict[str, Any]:
        if self.by_id is None:
            items = selectors.messages_by_id(viewer=self.me, ids=self.ids)
            self.by_id = {m["id"]: m for m in (decorate(self.me, items) if self.decorated else items)}
        return self.by_id[message_id]


def _viewer_state(m: dict[str, Any]) -> str:
    """Everything a live card shows beyond its message (what `decorate` added for this viewer), as one
    value: the card's markup is kept under it, so any change of the envelope's grabs or the meetup's details
    and answers is a new key. Keep it in step with cards/envelope_sent.html and cards/meetup_called.html."""
    v = m.get("envelope")
    envelope = None
    if v is not None:
        grabs = [(g.name, g.amount_fen, g.luckiest) for g in v.grabs]
        mine = v.mine.amount_fen if v.mine is not None else None
        envelope = (v.can_grab, mine, v.is_sender, v.is_open, grabs)
    mt = m.get("meetup")
    meetup = None
    if mt is not None:
        meetup = (mt.pk, mt.title, mt.city, mt.starts_at, mt.going_count, mt.capacity, mt.my_status)
    return repr(
        (
            envelope,
            meetup,
            str(m.get("my_answer", "")),
            m.get("can_answer"),
        )
    )


def _stream(
    request: HttpRequest,
    me: Membership,
    rows: list[dict[str, Any]],
    first_unread_id: int | None,
    page: tuple[Any, ...] | None = None,
) -> tuple[str, Callable[[], str]]:
    """The stream's version (a digest) and its markup's maker: the markup of each message of the page, in
    order, with CSRF_SLOT for the token, kept in the cache (core.fragments) under its version, so nothing kept
    is ever stale (any change is a new key):
    - a message every viewer sees alike: its stamps (STAMP_FIELDS, read with the page);
    - a newcomer's card and the asker's own ask: the viewer, the stamps and the circle's members_version
      (ties and cards: whom the viewer knows, the names of whom an ask was routed to);
    - a live card (red envelope, meetup): the viewer, the stamps and what it shows them, read for each page.
    The messages themselves are read only when some markup is missing."""
    template = get_template("conversation/_message.html")
    moderator = selectors.is_moderator(me)
    slug = me.circle.slug
    live = [r for r in rows if r["kind"] in LIVE_KINDS]
    rest = [r for r in rows if r["kind"] not in LIVE_KINDS]
    loader = _Shaped(me, [r["id"] for r in rest])
    live_loader = _Shaped(me, [r["id"] for r in live], decorated=False)
    # What a live card shows its viewer, from the card's row (its payload) and the other apps' selectors.
    stubs = decorate(me, [selectors.card_stub(r, moderator=moderator) for r in live])

    def render(m: dict[str, Any]) -> str:
        ctx = {"circle": me.circle, "membership": me, "m": m, "csrf_token": CSRF_SLOT}
        return template.render(ctx)

    def parts(row: dict[str, Any]) -> tuple[Any, ...]:
        # The viewer's side: whether it is theirs, whether they see a hidden message's text and reason.
        mine = row["author_id"] == me.pk
        stamps = (row[f] for f in selectors.STAMP_FIELDS)
        if not _per_viewer(me, row):
            return (slug, *stamps, mine, moderator and bool(row["hidden_at"]))
        return (slug, me.pk, *stamps, moderator, me.circle.members_version)

    by_id = {r["id"]: r for r in rows}
    states = {m["id"]: _viewer_state(m) for m in stubs}

    def each() -> str:
        html = dict(
            zip(
                (r["id"] for r in rest),
                fragments("conversation.message", rest, parts, lambda r: render(loader[r["id"]])),
                strict=True,
            )
        )
        html.update(
            zip(
                (m["id"] for m in stubs),
                fragments(
                    "conversation.card",
                    stubs,
                    lambda m: (*parts(by_id[m["id"]]), states[m["id"]]),
                    lambda m: render({**m, **live_loader[m["id"]]}),  # the message, with what the card shows
                ),
                strict=True,
            )
        )
        return _joined(rows, [html[r["id"]] for r in rows], first_unread_id)

    # The whole page of messages is kept too, under what its rows were read and kept under (`page`: the
    # stream's version, the circle's members_version and the page's bounds, which stamp every message's
    # version), the viewer's side (the messages that are theirs, or the viewer when the page has markup of
    # their own; whether they moderate), what the live cards show them and where the divider goes: one cache
    # read for a page seen before. Without `page`, under every message's version (what keys its own markup).
    if page is not None:
        viewer: Any = (
            me.pk
            if any(_per_viewer(me, r) for r in rows)
            else tuple(r["id"] for r in rows if r["author_id"] == me.pk)
        )
        version: Any = (page, viewer, moderator, [states[m["id"]] for m in stubs])
    else:
        version = [(*parts(r), states.get(r["id"])) for r in rows]
    digest = hashlib.blake2b(repr((version, first_unread_id)).encode(), digest_size=20).hexdigest()
    return digest, lambda: fragment("conversation.stream", (slug, digest), each)


def _upcoming(me: Membership) -> list[dict[str, Any]]:
    """The side panel's next meetups the member may see (as the meetups page lists them upcoming: not
    ended yet, soonest first). One query."""
    return meetups_selectors.upcoming_brief(member=me, limit=MEETUPS_SHOWN)


def _joined(rows: list[dict[str, Any]], html: list[SafeString], first_unread_id: int | None) -> SafeString:
    """The stream's markup: each message's, in order, the divider before the first unread."""
    divider = format_html(
        '<li class="unread-divider" id="unread"><span>{}</span></li>\n', _("New since you last read")
    )
    out = [divider + h if r["id"] == first_unread_id else h for r, h in zip(rows, html, strict=True)]
    return mark_safe("\n".join(out))  # noqa: S308 - each part rendered by the escaping renderers


CLIENT_ID_SLOT = "__kindred_client_id_slot__"


def _composer(
    request: HttpRequest, me: Membership, form: PostForm | None, reply: dict[str, Any] | None
) -> str | Callable[[], str]:
    """The composer's markup. A fresh one (`form` None: not posted, no reply) is the same for every page of
    the circle but for the request's CSRF token and the form's own client id (new for each page): its maker,
    kept per circle and language with CSRF_SLOT and CLIENT_ID_SLOT, filled in for each request. A posted one
    (its errors) or a reply's is rendered as it is, with the request's token."""
    template = get_template("conversation/_composer.html")
    if form is not None:
        return mark_safe(template.render({"circle": me.circle, "form": form, "reply": reply}, request))  # noqa: S308

    def render() -> str:
        blank = PostForm(initial={"client_id": CLIENT_ID_SLOT})
        return template.render({"circle": me.circle, "form": blank, "csrf_token": CSRF_SLOT})

    return lambda: fragment("conversation.composer", (me.circle.slug,), render)


def _side(me: Membership, shown: dict[str, Any]) -> tuple[str, Callable[[], str]]:
    """The side column (open asks and the catch rate, upcoming meetups, the to-do counts, the links): its
    version (everything it shows, read for each page) and its maker, kept per circle and language under it,
    so never stale."""
    asks = shown["asks"]
    version = repr(
        (asks.items, asks.caught, asks.total, shown["catch_rate"], shown["meetups"], shown["todos"]),
    ) + repr(shown["is_moderator"])
    template = get_template("conversation/_side.html")
    return version, lambda: fragment(
        "conversation.side",
        (me.circle.slug, version),
        lambda: template.render({"circle": me.circle, **shown}),
    )


# Where the kept page body (`_body`) takes the parts kept apart: HTML comments, which no escaped text can
# write (its "<" comes out as "&lt;").
SLOT = re.compile(r"<!--slot:(\w+)-->")
BODY_SLOTS = {name: mark_safe(f"<!--slot:{name}-->") for name in ("stream", "composer", "side")}  # noqa: S308


def _page(
    request: HttpRequest,
    me: Membership,
    shown: dict[str, Any],
    versions: tuple[str, str],
    parts: Mapping[str, str | Callable[[], str]],
    *,
    status: int,
) -> HttpResponse:
    """The page: the shell (base.html) around its content (conversation/_home_body.html).

    Kept whole per circle and language under every value it shows: the circle's name and values, the
    viewer and their role (the shell's links), the page's path, the unread count and marker, the page's
    bounds (all read for each page), and the versions of the stream and the side column (`versions`), so
    never stale: one cache read for a page seen before. When it is missing, the content's skeleton (kept
    under its own values) takes the stream, the composer and the side column (`parts`: their makers, each
    kept apart under its own version) in its slots, and the shell is rendered around it. The request's CSRF
    token and the composer's client id (new for each page) are filled in last. Not kept: a page with flash
    messages (shown once), or whose composer is not a fresh one (a posted form, a reply's: `parts` then
    holds its markup)."""
    circle = me.circle
    unread = shown["unread"]
    version = (
        circle.slug,
        circle.name,
        circle.values_statement,
        me.pk,
        unread.count,
        unread.first_unread_id,
        unread.last_read_id,
        *(shown[k] for k in ("live", "websockets", "last_id", "earlier", "newer")),
    )
    template = get_template("conversation/_home_body.html")

    def skeleton() -> str:
        ctx = {
            **shown,
            "circle": circle,
            "membership": me,
            "stream": bool(shown["last_id"]),
            "csrf_token": CSRF_SLOT,
            **{f"{name}_slot": slot for name, slot in BODY_SLOTS.items()},
        }
        return str(fragment("conversation.body", version, lambda: template.render(ctx)))

    def made(token: str) -> str:
        filled = {name: part if isinstance(part, str) else part() for name, part in parts.items()}
        body = mark_safe(SLOT.sub(lambda m: filled[m.group(1)], skeleton()))  # noqa: S308 - parts escaped
        ctx = {"circle": circle, "membership": me, "csrf_token": token, "body": body}
        return get_template("conversation/home.html").render(ctx, request)

    if isinstance(parts["composer"], str) or get_messages(request):
        html = made(csrf_token(request))
    else:
        shell = (me.can_review, request.get_full_path())
        html = fragment("conversation.page", (*version, *versions, *shell), lambda: made(CSRF_SLOT))
        html = html.replace(CLIENT_ID_SLOT, uuid.uuid4().hex)
    # One masked CSRF token for the page: the shell's forms and the kept fragments' slots.
    return HttpResponse(with_csrf(request, html), status=status)


def _home(request: HttpRequest, me: Membership, form: PostForm | None, *, status: int = 200) -> HttpResponse:
    """The home page; `form` is the composer's when it is not a fresh one (posted, or a reply's)."""
    before = _int(request.GET.get("before"))
    after = _int(request.GET.get("after"))
    # The stream's version and the member's marker (one query): the stream's reads are kept under them.
    head = selectors.stream_head(member=me)
    unread = selectors.unread(member=me, head=head)
    if before is not None:
        rows = selectors.stream_page(viewer=me, before=before, limit=PAGE_DEFAULT, head=head)
    elif after is not None:
        rows = selectors.stream_page(viewer=me, after=after, limit=PAGE_DEFAULT, head=head)
    else:
        # More unread than one page (more unread messages than a page holds, or the latest page starting
        # after the first unread): start at the first unread (the rest comes live, or by "newer").
        latest = unread.count <= PAGE_DEFAULT
        rows = selectors.stream_page(viewer=me, limit=PAGE_DEFAULT, head=head) if latest else []
        if unread.first_unread_id and (not rows or unread.first_unread_id < rows[0]["id"]):
            rows = selectors.stream_page(viewer=me, after=unread.last_read_id, limit=PAGE_DEFAULT, head=head)
            after = unread.last_read_id
    # What the rows were read (and kept) under: their page's version (stream_page's).
    page = (
        None
        if head.version is None
        else (head.version, me.circle.members_version, after, before, PAGE_DEFAULT)
    )
    reply = None
    reply_id = form["reply_to"].value() if form is not None else None
    if reply_id:
        try:
            reply = selectors.message_get(viewer=me, message_id=int(reply_id))
        except (NotFound, ValueError):
            reply = None
    asks = selectors.open_asks_summary(viewer=me, limit=OPEN_ASKS_SHOWN, head=head)
    is_moderator = selectors.is_moderator(me)
    shown = {
        "live": before is None,
        "websockets": settings.KINDRED_WEBSOCKETS,
        "last_id": rows[-1]["id"] if rows else 0,
        "earlier": rows[0]["id"] if rows and rows[0]["prev_id"] is not None else None,
        # Not the latest page: older history, or a full page from the first unread.
        "newer": rows[-1]["id"]
        if rows and (before is not None or (after is not None and len(rows) == PAGE_DEFAULT))
        else None,
        "unread": unread,
    }
    stream_version, stream = _stream(request, me, rows, unread.first_unread_id, page)
    side_version, side = _side(
        me,
        {
            "asks": asks,
            "catch_rate": round(asks.catch_rate * 100) if asks.catch_rate is not None else None,
            "meetups": _upcoming(me),
            "todos": _todos(me),
            "is_moderator": is_moderator,
        },
    )
    parts = {"stream": stream, "composer": _composer(request, me, form, reply), "side": side}
    return _page(request, me, shown, (stream_version, side_version), parts, status=status)


@circle_view
@require_GET
def home(request: HttpRequest, me: Membership) -> HttpResponse:
    reply_to = _int(request.GET.get("reply"))
    form = PostForm(initial={"client_id": uuid.uuid4().hex, "reply_to": reply_to}) if reply_to else None
    return _home(request, me, form)


@circle_view
@require_POST
def post(request: HttpRequest, me: Membership) -> HttpResponse:
    """The composer: a chat message or an ask, maybe a reply. JSON for the page's script, else a redirect
    to the message in the stream; refused input re-renders the page with the form's errors (4xx)."""
    form = PostForm(request.POST)
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        try:
            posted = services.message_post(
                author=me,
                text=data["text"],
                kind=Kind.ASK if data["is_ask"] else Kind.CHAT,
                reply_to_id=data["reply_to"],
                client_id=data["client_id"] or None,
                confirm_off_topic=data["confirm_off_topic"],
            )
        except NotFound:
            raise
        except ServiceError as exc:
            form.add_error("text", str(exc.message))
            status = exc.status_code
            form.off_topic = exc.code == "off_topic"
        else:
            if request.headers.get("Accept", "").startswith("application/json"):
                return JsonResponse({"id": posted.message.pk}, status=201 if posted.created else 200)
            return redirect(_home_url(me, posted.message.pk))
    if request.headers.get("Accept", "").startswith("application/json"):
        errors = [str(e) for errs in form.errors.values() for e in errs]
        code = "off_topic" if form.off_topic else "invalid"
        return JsonResponse({"errors": errors, "code": code}, status=status)
    return _home(request, me, form, status=status)


@circle_view
@require_POST
def read(request: HttpRequest, me: Membership) -> HttpResponse:
    """Mark the stream read up to the last message shown (the page's script does it as the member reads)."""
    form = ReadForm(request.POST)
    if not form.is_valid():
        flash.error(request, _("Nothing to mark as read."))
        return redirect(_home_url(me))
    try:
        services.read_marker_set(member=me, last_read_id=form.cleaned_data["last_read_id"])
    except NotFound:
        flash.error(request, _("Nothing to mark as read."))
    return redirect(_home_url(me))


@circle_view
@require_GET
def mentions(request: HttpRequest, me: Membership) -> JsonResponse:
    """Members whose name starts with or contains `q`, for the composer's @ autocomplete (JSON)."""
    q = " ".join((request.GET.get("q") or "").split())[:50]
    qs = directory_queryset(circle_id=me.circle_id).exclude(pk=me.pk)
    if q:
        qs = qs.filter(card__display_name__icontains=q)
    rows = qs.order_by("card__display_name").values_list("pk", "card__display_name")[:MENTION_SUGGESTIONS]
    return JsonResponse({"items": [{"member_id": pk, "display_name": name} for pk, name in rows if name]})


# --- one message: in context, with what may be done to it -------------------------------------------


def _caught_form(
    me: Membership, message: dict[str, Any], replies: list[dict[str, Any]], data: Any = None
) -> CaughtForm:
    asker = message["author"]["member_id"] if message["author"] else None
    reply_choices = [
        (r["id"], f"{r['author']['display_name']}：{r['text'][:40]}")
        for r in replies
        if r["author"] and not r["removed"] and r["author"]["member_id"] != asker
    ]
    members = directory_queryset(circle_id=me.circle_id).exclude(pk=asker or 0)
    member_choices = [
        (pk, name)
        for pk, name in members.order_by("card__display_name").values_list("pk", "card__display_name")
    ]
    return CaughtForm(data, replies=reply_choices, members=member_choices)


def _replies(me: Membership, message_id: int) -> list[dict[str, Any]]:
    """The replies to a message among the REPLIES_SCANNED messages after it (an ask is answered soon)."""
    later = selectors.messages_page(viewer=me, after=message_id, limit=REPLIES_SCANNED)
    return [m for m in later if m["reply_to"] and m["reply_to"]["id"] == message_id]


def _message_page(
    request: HttpRequest, me: Membership, message_id: int, *, status: int = 200, **forms: Any
) -> HttpResponse:
    message = selectors.message_get(viewer=me, message_id=message_id)
    if _wants_fragment(request):
        ctx = {
            "circle": me.circle,
            "membership": me,
            "m": decorate(me, [message])[0],
            "error": forms.get("error"),
        }
        return render(request, "conversation/_message.html", ctx, status=status)
    before = selectors.messages_page(viewer=me, before=message_id, limit=CONTEXT_AROUND)
    after = selectors.messages_page(viewer=me, after=message_id, limit=CONTEXT_AROUND)
    replies = _replies(me, message_id)
    decorate(me, [*before, message, *after, *replies])
    ask = message["ask"]
    editable = (
        message["mine"]
        and not message["removed"]
        and message["kind"] in (Kind.CHAT, Kind.ASK)
        and message["created_at"] + EDIT_WINDOW > timezone.now()
    )
    is_mod = selectors.is_moderator(me)
    ctx = {
        "circle": me.circle,
        "membership": me,
        "m": message,
        "before": before,
        "after": after,
        "replies": replies,
        "editable": editable,
        "edit_form": forms.get("edit_form")
        or (EditForm(initial={"text": message["text"]}) if editable else None),
        "deletable": message["mine"] and not message["deleted"] and message["kind"] in (Kind.CHAT, Kind.ASK),
        "hide_form": forms.get("hide_form") or (HideForm() if is_mod and not message["hidden"] else None),
        "caught_form": (
            forms.get("caught_form")
            or (
                _caught_form(me, message, replies)
                if ask and message["mine"] and ask["status"] == "open"
                else None
            )
        ),
        "closable": ask is not None and ask["status"] == "open" and (message["mine"] or is_mod),
        "error": forms.get("error"),
    }
    return render(request, "conversation/message.html", ctx, status=status)


@circle_view
@require_GET
def message(request: HttpRequest, me: Membership, message_id: int) -> HttpResponse:
    return _message_page(request, me, message_id)


def _act(
    request: HttpRequest,
    me: Membership,
    message_id: int,
    action: Callable[[], Any],
    *,
    form: Any = None,
    form_name: str = "",
    back: str = "message",
) -> HttpResponse:
    """Run a service for a valid form. Done: the message's markup for the page's script, else a redirect
    (to the message's page, or to it in the stream). Refused: the message's page (or markup) with the
    reason, answered 4xx; nothing changed."""
    error = ""
    status = 400
    if form is not None and not form.is_valid():
        error = " ".join(str(e) for errs in form.errors.values() for e in errs)
    else:
        try:
            action()
        except NotFound:
            raise
        except ServiceError as exc:
            error = str(exc.message)
            status = exc.status_code
    if not error:
        if _wants_fragment(request):
            return _message_page(request, me, message_id)
        return redirect(_home_url(me, message_id) if back == "home" else _message_url(me, message_id))
    extra = {form_name: form} if form_name else {}
    return _message_page(request, me, message_id, status=status, error=error, **extra)


@circle_view
@require_POST
def edit(request: HttpRequest, me: Membership, message_id: int) -> HttpResponse:
    form = EditForm(request.POST)
    return _act(
        request,
        me,
        message_id,
        lambda: services.message_edit(message_id=message_id, member=me, text=form.cleaned_data["text"]),
        form=form,
        form_name="edit_form",
    )


@circle_view
@require_POST
def delete(request: HttpRequest, me: Membership, message_id: int) -> HttpResponse:
    return _act(
        request,
        me,
        message_id,
        lambda: services.message_delete(message_id=message_id, member=me),
        back="home",
    )


@circle_view
@require_POST
def hide(request: HttpRequest, me: Membership, message_id: int) -> HttpResponse:
    form = HideForm(request.POST)
    return _act(
        request,
        me,
        message_id,
        lambda: services.message_hide(
            message_id=message_id, moderator=me, reason=form.cleaned_data["reason"]
        ),
        form=form,
        form_name="hide_form",
    )


@circle_view
@require_POST
def caught(request: HttpRequest, me: Membership, message_id: int) -> HttpResponse:
    message = selectors.message_get(viewer=me, message_id=message_id)
    replies = decorate(me, _replies(me, message_id))
    form = _caught_form(me, message, replies, request.POST)
    return _act(
        request,
        me,
        message_id,
        lambda: services.ask_mark_caught(
            message_id=message_id,
            member=me,
            reply_id=form.cleaned_data["reply_id"],
            catcher_id=form.cleaned_data["member_id"],
        ),
        form=form,
        form_name="caught_form",
    )


@circle_view
@require_POST
def close(request: HttpRequest, me: Membership, message_id: int) -> HttpResponse:
    return _act(request, me, message_id, lambda: services.ask_close(message_id=message_id, member=me))


def _event_payload(me: Membership, message_id: int, kind: str) -> dict[str, Any]:
    message = selectors.message_get(viewer=me, message_id=message_id)
    if message["kind"] != kind or not message["payload"]:
        raise NotFound(_("Message not found."))
    return message["payload"]


@circle_view
@require_POST
def grab(request: HttpRequest, me: Membership, envelope_card_id: int) -> HttpResponse:
    """Grab the red envelope of an envelope card, right in the stream (the wallet's service)."""
    message_id = envelope_card_id
    payload = _event_payload(me, message_id, Kind.ENVELOPE_SENT)
    envelope, _member = wallet_selectors.envelope_membership(
        user=request.user, envelope_id=int(payload["envelope_id"])
    )
    return _act(
        request,
        me,
        message_id,
        lambda: wallet_services.envelope_grab(envelope=envelope, member=me),
        back="home",
    )


@circle_view
@require_POST
def rsvp(request: HttpRequest, me: Membership, meetup_card_id: int) -> HttpResponse:
    """Answer a meetup card's invitation in place (the meetups' service)."""
    message_id = meetup_card_id
    payload = _event_payload(me, message_id, Kind.MEETUP_CALLED)
    meetup = meetups_selectors.meetup_for_member(member=me, meetup_id=int(payload["meetup_id"]))
    form = RsvpForm(request.POST)
    return _act(
        request,
        me,
        message_id,
        lambda: meetups_services.rsvp_set(meetup=meetup, member=me, answer=form.cleaned_data["answer"]),
        form=form,
        back="home",
    )


# --- search --------------------------------------------------------------------------------------------


@circle_view
@require_GET
def search(request: HttpRequest, me: Membership) -> HttpResponse:
    form = SearchForm(request.GET)
    results: list[dict[str, Any]] = []
    error = ""
    status = 200
    if form.is_valid() and form.cleaned_data["q"]:
        try:
            results = selectors.search(viewer=me, q=form.cleaned_data["q"])
        except ServiceError as exc:
            error, status = str(exc.message), exc.status_code
    elif not form.is_valid():
        status = 400
    shown = [x for r in results for x in (r["before"], r["message"], r["after"]) if x is not None]
    decorate(me, shown)
    ctx = {
        "circle": me.circle,
        "membership": me,
        "form": form,
        "results": results,
        "error": error,
        "searched": form.is_valid() and bool(form.cleaned_data["q"]),
    }
    return render(request, "conversation/search.html", ctx, status=status)


# --- the organizer's settings: slow mode ---------------------------------------------------------------


def _require_moderator(me: Membership) -> None:
    """The settings are the organizer's and the admins' (as the service says): a 404 for everyone else."""
    if not selectors.is_moderator(me):
        raise NotFound(_("Not found."))


def _settings_page(
    request: HttpRequest, me: Membership, form: SlowModeForm, current: int, *, status: int = 200
) -> HttpResponse:
    ctx = {
        "circle": me.circle,
        "membership": me,
        "form": form,
        "current": current,
        "current_label": interval_label(current),
    }
    return render(request, "conversation/settings.html", ctx, status=status)


@circle_view
@require_GET
def settings_page(request: HttpRequest, me: Membership) -> HttpResponse:
    """The organizer's and admins' settings of the conversation: slow mode, with its current value."""
    _require_moderator(me)
    current = selectors.slow_mode_seconds(circle_id=me.circle_id)
    return _settings_page(request, me, SlowModeForm(current=current), current)


@circle_view
@require_POST
def slow_mode(request: HttpRequest, me: Membership) -> HttpResponse:
    """Turn slow mode on or off (the service audits the change); refused input re-renders the settings
    with the form's error (400), nothing changed."""
    _require_moderator(me)
    current = selectors.slow_mode_seconds(circle_id=me.circle_id)
    form = SlowModeForm(request.POST, current=current)
    status = 400
    if form.is_valid():
        try:
            services.slow_mode_set(moderator=me, seconds=form.cleaned_data["slow_mode_seconds"])
        except NotFound:
            raise
        except ServiceError as exc:
            form.add_error("slow_mode_seconds", str(exc.message))
            status = exc.status_code
        else:
            flash.success(request, _("Slow mode saved."))
            return redirect(reverse("conversation:settings", args=[me.circle.slug]))
    return _settings_page(request, me, form, current, status=status)
