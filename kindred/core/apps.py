from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "kindred.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from .audit import audit_modules_load

        audit_modules_load()  # every app's audit actions, registered before the first audit row
