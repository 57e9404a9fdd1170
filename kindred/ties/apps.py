from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TiesConfig(AppConfig):
    name = "kindred.ties"
    label = "ties"
    verbose_name = _("Ties")

    def ready(self) -> None:
        from kindred.circles.selectors import tie_neighbors_provide

        from .selectors import tie_neighbors

        tie_neighbors_provide(tie_neighbors)
