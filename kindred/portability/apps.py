from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortabilityConfig(AppConfig):
    name = "kindred.portability"
    label = "portability"
    verbose_name = _("Data that can leave")
