from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "kindred.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        # Every app declares its notification kinds in its own notices.py (kindred/notifications/kinds.py).
        autodiscover_modules("notices")
        from kindred.core import events

        from . import receivers

        events.member_removed.connect(receivers.member_removed, dispatch_uid="notifications-member-removed")
