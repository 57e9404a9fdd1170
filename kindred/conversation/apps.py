from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConversationConfig(AppConfig):
    name = "kindred.conversation"
    label = "conversation"
    verbose_name = _("Conversation")

    def ready(self) -> None:
        # The circle's events (kindred.core.events) become cards in its stream, each posted once.
        from . import receivers

        receivers.connect()
