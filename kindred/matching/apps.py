from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MatchingConfig(AppConfig):
    name = "kindred.matching"
    label = "matching"
    verbose_name = _("Matching")

    def ready(self) -> None:
        from kindred.core.events import member_joined

        member_joined.connect(_on_member_joined, dispatch_uid="matching-growth-on-join")


def _on_member_joined(sender: object, membership: object, **kwargs: object) -> None:
    """A newcomer: suggest the reviewers' own contacts whose business overlaps theirs."""
    from .services import growth_suggest_on_join

    growth_suggest_on_join(membership=membership)  # type: ignore[arg-type]
