"""The small circle the HTTP tests drive, made through the services in the server's own environment.

Run as `python -m tests.http.seed` from the repository root, with the server's KINDRED_DATA_DIR and
DATABASE_URL: it runs `migrate` (the command `kindred migrate` runs; one process saves a Django start-up),
then seeds. Prints one JSON object: the circle's slug and each member's id.
"""

from __future__ import annotations

import json
import os
import sys

SLUG = "tongxing"
PASSWORD = "correct horse battery staple"
# username → (role, card); every member joins under the organizer with the sponsor tie.
MEMBERS: dict[str, tuple[str, dict[str, str]]] = {
    "admin1": ("admin", {"display_name": "管理员小林", "city": "上海", "company": "林氏文化"}),
    "alice": ("member", {"display_name": "王爱丽", "city": "北京", "company": "星河影业"}),
    "bob": ("member", {"display_name": "Bob Chen", "city": "深圳", "company": "Tidal Games"}),
    "carol": ("member", {"display_name": "陈卡罗", "city": "北京", "company": "青山动画"}),
    "dave": ("member", {"display_name": "David Li", "city": "杭州", "company": "Lake Studio"}),
    "erin": ("member", {"display_name": "艾琳", "city": "上海", "company": "海上文化"}),
}

# Accounts in no circle: they open invitations while signed in.
OUTSIDERS = ("zoe", "yuki", "xavier")


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kindred.settings.dev")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    from django.contrib.auth.models import User
    from django.db import transaction

    from kindred.circles.models import MAX_PENDING_NOMINATIONS_CAP, Membership
    from kindred.circles.services import circle_create, membership_create
    from kindred.ties.services import tie_record_sponsor

    with transaction.atomic():
        organizer = User.objects.create_user(
            username="laozhou", password=PASSWORD, email="laozhou@example.com", first_name="老周"
        )
        circle = circle_create(
            creator=organizer,
            name="同行测试圈",
            slug=SLUG,
            display_name="老周",
            nomination_policy="members_after_days",
            nominate_after_days=0,
            max_pending_nominations=MAX_PENDING_NOMINATIONS_CAP,
        )
        origin = Membership.objects.get(circle=circle, sponsor__isnull=True)
        ids = {"laozhou": origin.pk}
        for username, (role, card) in MEMBERS.items():
            user = User.objects.create_user(
                username=username, password=PASSWORD, email=f"{username}@example.com"
            )
            member = membership_create(
                circle=circle, user=user, sponsor=origin, role=role, card_fields=dict(card)
            )
            tie_record_sponsor(sponsor=origin, invitee=member)
            ids[username] = member.pk
        for username in OUTSIDERS:
            User.objects.create_user(username=username, password=PASSWORD, email=f"{username}@example.com")
    json.dump({"slug": SLUG, "members": ids}, sys.stdout)


if __name__ == "__main__":
    main()
