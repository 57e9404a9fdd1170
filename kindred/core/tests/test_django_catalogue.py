"""Django's own messages show in Chinese on Chinese pages: every message of the Django catalogues we use
has a zh-Hans translation once ours are merged in (Django 5.2's zh_Hans catalogue lacks a few new msgids,
e.g. the password-length message, which Chinese pages showed in English)."""

from __future__ import annotations

import re
from pathlib import Path

import django
import pytest
from django.utils import translation
from django.utils.translation import trans_real

DJANGO = Path(django.__file__).resolve().parent
# The catalogues of the Django parts whose messages reach our pages (forms, auth, humanize).
USED = ["conf", "contrib/auth", "contrib/humanize", "contrib/contenttypes"]
BLOCK = re.compile(
    r'^(?:msgctxt ((?:".*"\n)+))?msgid ((?:".*"\n)+)(?:msgid_plural ((?:".*"\n)+))?msgstr', re.MULTILINE
)

ESCAPE = re.compile(r"\\(.)")
ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}


def _text(lines: str | None) -> str:
    if lines is None:
        return ""
    raw = "".join(line[1:-1] for line in lines.splitlines())
    return ESCAPE.sub(lambda m: ESCAPES[m.group(1)], raw)


def _keys(part: str) -> list[str | tuple[str, int]]:
    po = DJANGO / part / "locale" / "en" / "LC_MESSAGES" / "django.po"
    keys: list[str | tuple[str, int]] = []
    for m in BLOCK.finditer(po.read_text(encoding="utf-8")):
        context, msgid, plural = _text(m.group(1)), _text(m.group(2)), m.group(3)
        if not msgid:
            continue
        key = f"{context}\x04{msgid}" if context else msgid
        keys.append((key, 0) if plural else key)
    return keys


@pytest.mark.parametrize("part", USED)
def test_every_django_message_we_use_has_a_chinese_translation(part: str) -> None:
    keys = _keys(part)
    assert len(keys) > 5
    catalogue = trans_real.translation("zh-hans")._catalog  # type: ignore[attr-defined]
    missing = [key for key in keys if key not in catalogue]
    assert not missing, missing


def test_the_password_length_message_is_chinese() -> None:
    from django.contrib.auth.password_validation import MinimumLengthValidator

    with translation.override("zh-hans"):
        assert "密码" in MinimumLengthValidator(min_length=8).get_error_message()
    with translation.override("en"):
        assert "too short" in MinimumLengthValidator(min_length=8).get_error_message()
