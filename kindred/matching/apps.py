from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class MatchingConfig(AppConfig):
    name = "kindred.matching"
    label = "matching"
    verbose_name = _("Matching")

    def ready(self) -> None:
        from kindred.core.events import member_joined

        member_joined.connect(_on_member_joined, dispatch_uid="matching-growth-on-join")
        # The matches read cards, memberships and ties: a change to one queues the circle's recompute
        # (debounced: one per burst). Bulk writes send no signal; the matches page catches those by their
        # fingerprint (kindred.matching.services.matches_current).
        for model in ("circles.MemberCard", "circles.Membership", "ties.Tie"):
            for signal in (post_save, post_delete):
                signal.connect(
                    _on_match_input_changed, sender=model, dispatch_uid=f"matching-refresh-{model}"
                )


def _on_member_joined(sender: object, membership: object, **kwargs: object) -> None:
    """A newcomer (sent after the join's commit): the growth suggestions run on the background worker, so
    their failure can never fail the join."""
    from kindred.core.tasks import enqueue_on_commit

    from .tasks import growth_suggest

    enqueue_on_commit(growth_suggest, membership.pk)  # type: ignore[attr-defined]


def _on_match_input_changed(sender: object, instance: object, raw: bool = False, **kwargs: object) -> None:
    """After the change commits (nothing in the writer's transaction): queue the circle's recompute."""
    if raw:  # loaddata
        return
    from django.db import transaction

    circle_id: int | None = getattr(instance, "circle_id", None)
    membership_id: int | None = getattr(instance, "membership_id", None)
    if circle_id is None and membership_id is None:
        return

    def queue() -> None:
        from .services import matches_refresh_soon

        circle = circle_id or (_circle_of(membership_id) if membership_id is not None else None)
        if circle:
            matches_refresh_soon(circle=circle)

    transaction.on_commit(queue, robust=True)


def _circle_of(membership_id: int) -> int | None:
    from kindred.circles.models import Membership

    found: int | None = (
        Membership.objects.filter(pk=membership_id).values_list("circle_id", flat=True).first()
    )
    return found
