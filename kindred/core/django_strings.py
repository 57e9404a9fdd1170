"""Django's own messages that its zh_Hans catalogue does not translate (yet), translated in core's catalogue.

Django 5.2 changed the msgid of the password-length message ("%(min_length)d" became "%d"), and its Chinese
catalogue still carries only the old one: the message showed in English on Chinese pages. The strings are
marked here, exactly as Django spells them, so `makemessages` keeps them in kindred/core/locale. A test
(kindred/core/tests/test_django_catalogue.py) checks every message of the Django catalogues we use, so the
next such gap is found when Django is upgraded.
"""

from __future__ import annotations

from django.utils.translation import gettext_noop, ngettext_lazy

PASSWORD_TOO_SHORT = ngettext_lazy(
    "This password is too short. It must contain at least %d character.",
    "This password is too short. It must contain at least %d characters.",
    "min_length",
)
INVALID_MODEL_CHOICE = gettext_noop("%(model)s instance with %(field)s %(value)r is not a valid choice.")
