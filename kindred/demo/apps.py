from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The seeded demo circle 新文娱产业群 and the `kindred demo` command. No models of its own."""

    name = "kindred.demo"
    label = "demo"
    verbose_name = _("Demo")
