"""Every catalogue is complete: Chinese is the default language, so an untranslated string is a bug."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = sorted(ROOT.glob("**/locale/zh_Hans/LC_MESSAGES/django.po"))
# A fuzzy flag may be followed by the previous msgid ("#| msgid ..."), which makemessages writes.
ENTRY = re.compile(r'^(#, fuzzy.*\n(?:#\|.*\n)*)?msgid ((?:".*"\n)+)msgstr ((?:".*"\n)+)', re.MULTILINE)


def _entries(path: Path) -> list[tuple[bool, str, str]]:
    text = path.read_text(encoding="utf-8")
    out = []
    for m in ENTRY.finditer(text):
        msgid = "".join(line[1:-1] for line in m.group(2).splitlines())
        msgstr = "".join(line[1:-1] for line in m.group(3).splitlines())
        out.append((bool(m.group(1)), msgid, msgstr))
    return out


def test_there_are_catalogues() -> None:
    assert len(CATALOGUES) >= 2, CATALOGUES


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_catalogue_is_complete(path: Path) -> None:
    entries = _entries(path)
    assert entries, f"{path} has no entries"
    fuzzy = [mid for is_fuzzy, mid, _ in entries[1:] if is_fuzzy]
    empty = [mid for _, mid, mstr in entries[1:] if not mstr]
    assert not fuzzy, f"fuzzy entries in {path}: {fuzzy[:10]}"
    assert not empty, f"untranslated entries in {path}: {empty[:10]}"


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_catalogue_compiles(path: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        ["msgfmt", "--check-format", "-o", str(tmp_path / "django.mo"), str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_chinese_is_the_default_and_english_is_one_switch_away(db: None) -> None:
    with translation.override("zh-hans"):
        assert gettext("Sign in") == "登录"
    with translation.override("en"):
        assert gettext("Sign in") == "Sign in"
    client = Client()
    body = client.get("/accounts/login/").content.decode()
    assert "同类" in body
    client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    assert "Kindred" in client.get("/accounts/login/").content.decode()
