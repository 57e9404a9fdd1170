"""The meetups' notices move into the one inbox (kindred.notifications): each meetups.Notice becomes a
notifications.Notification of the same member, kind "meetups.<kind>", the meetup as its target (and its host
as the actor of an invitation), the meetup's title, start (in its own time zone) and venue as parameters, the
same time and read state. Reversible: going back moves the meetups.* rows of the inbox back."""

from zoneinfo import ZoneInfo

from django.db import migrations

PREFIX = "meetups."
TARGET = "meetups.meetup"
CHUNK = 2000


def _params(meetup):
    when = meetup.starts_at.astimezone(ZoneInfo(meetup.timezone)).strftime("%Y-%m-%d %H:%M")
    return {"title": meetup.title, "when": when, "venue": meetup.venue or meetup.city}


def forward(apps, schema_editor):
    Notice = apps.get_model("meetups", "Notice")
    Notification = apps.get_model("notifications", "Notification")
    db = schema_editor.connection.alias
    rows = []
    old = Notice.objects.using(db).select_related("meetup__circle").order_by("pk")
    for n in old.iterator(chunk_size=CHUNK):
        meetup = n.meetup
        rows.append(
            Notification(
                recipient_id=n.member_id,
                kind=PREFIX + n.kind,
                actor_id=meetup.host_id if n.kind == "invited" else None,
                target_type=TARGET,
                target_id=meetup.pk,
                params=_params(meetup),
                url=f"/c/{meetup.circle.slug}/meetups/{meetup.pk}/",
                created_at=n.created_at,
                read_at=n.read_at,
            )
        )
        if len(rows) >= CHUNK:
            Notification.objects.using(db).bulk_create(rows)
            rows = []
    Notification.objects.using(db).bulk_create(rows)


def backward(apps, schema_editor):
    Notice = apps.get_model("meetups", "Notice")
    Notification = apps.get_model("notifications", "Notification")
    Meetup = apps.get_model("meetups", "Meetup")
    db = schema_editor.connection.alias
    moved = Notification.objects.using(db).filter(kind__startswith=PREFIX, target_type=TARGET)
    meetups = set(Meetup.objects.using(db).values_list("pk", flat=True))
    Notice.objects.using(db).bulk_create(
        Notice(
            member_id=n.recipient_id,
            meetup_id=n.target_id,
            kind=n.kind.removeprefix(PREFIX),
            created_at=n.created_at,
            read_at=n.read_at,
        )
        for n in moved.order_by("pk").iterator(chunk_size=CHUNK)
        if n.target_id in meetups
    )
    moved.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("meetups", "0001_initial"),
        ("notifications", "0002_outbox_to_an_address"),
    ]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
