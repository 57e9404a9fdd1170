"""Matching's notices move into the one inbox (kindred.notifications): each row of matching.Notification
becomes a notifications.Notification of the member (the user's membership of the circle), kind
"matching.<kind>", the introduction as its target, the same parameters, time and read state. Reversible:
going back moves the matching.* rows of the inbox back."""

from django.db import migrations

PREFIX = "matching."
TARGET = "matching.introduction"
CHUNK = 2000
# Who acted, by kind: the requester asks, the organizer proposes; nobody for the others.
ACTOR = {"intro_to_approve": "requester_id", "intro_to_answer": "requester_id", "intro_proposed": "connector_id"}


def _url(slug, kind):
    return f"/c/{slug}/contacts/" if kind == "growth" else f"/c/{slug}/intros/"


def forward(apps, schema_editor):
    Old = apps.get_model("matching", "Notification")
    New = apps.get_model("notifications", "Notification")
    Membership = apps.get_model("circles", "Membership")
    Circle = apps.get_model("circles", "Circle")
    db = schema_editor.connection.alias
    pairs = set(Old.objects.using(db).values_list("user_id", "circle_id"))
    if not pairs:
        return
    users = {u for u, _c in pairs}
    circles = {c for _u, c in pairs}
    members = {
        (u, c): pk
        for pk, u, c in Membership.objects.using(db)
        .filter(user_id__in=users, circle_id__in=circles)
        .values_list("pk", "user_id", "circle_id")
    }
    slugs = dict(Circle.objects.using(db).filter(pk__in=circles).values_list("pk", "slug"))
    rows, orphans = [], 0
    for old in Old.objects.using(db).select_related("intro").order_by("pk").iterator(chunk_size=CHUNK):
        recipient = members.get((old.user_id, old.circle_id))
        if recipient is None:  # no membership to hold it (cannot happen: memberships are never deleted)
            orphans += 1
            continue
        actor = getattr(old.intro, ACTOR[old.kind]) if old.intro is not None and old.kind in ACTOR else None
        rows.append(
            New(
                recipient_id=recipient,
                kind=PREFIX + old.kind,
                actor_id=actor,
                target_type=TARGET if old.intro_id else "",
                target_id=old.intro_id,
                params=old.data or {},
                url=_url(slugs[old.circle_id], old.kind),
                created_at=old.created_at,
                read_at=old.read_at,
            )
        )
        if len(rows) >= CHUNK:
            New.objects.using(db).bulk_create(rows)
            rows = []
    New.objects.using(db).bulk_create(rows)
    if orphans:
        print(f"\n  matching notices without a membership, not moved: {orphans}")


def backward(apps, schema_editor):
    Old = apps.get_model("matching", "Notification")
    New = apps.get_model("notifications", "Notification")
    Introduction = apps.get_model("matching", "Introduction")
    db = schema_editor.connection.alias
    moved = New.objects.using(db).filter(kind__startswith=PREFIX)
    intros = set(Introduction.objects.using(db).values_list("pk", flat=True))
    Old.objects.using(db).bulk_create(
        Old(
            user_id=n.recipient.user_id,
            circle_id=n.recipient.circle_id,
            kind=n.kind.removeprefix(PREFIX),
            intro_id=n.target_id if n.target_type == TARGET and n.target_id in intros else None,
            data=n.params,
            created_at=n.created_at,
            read_at=n.read_at,
        )
        for n in moved.select_related("recipient").order_by("pk").iterator(chunk_size=CHUNK)
    )
    moved.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("matching", "0001_introductions_matches_contacts"),
        ("notifications", "0002_outbox_to_an_address"),
    ]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
