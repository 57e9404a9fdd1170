"""Compile every locale/*/LC_MESSAGES/*.po under a directory into .mo, without GNU gettext.

The fallback `make messages` uses when `msgfmt` is not installed. It writes the GNU .mo format that
Python's gettext (and so Django) reads: contexts (msgctxt), plurals, multi-line strings, C escapes;
fuzzy and untranslated entries are left out, as msgfmt does.
"""

from __future__ import annotations

import ast
import struct
import sys
from pathlib import Path

MAGIC = 0x950412DE
SKIP_DIRS = {".venv", "node_modules", ".git"}


def _unquote(line: str) -> str:
    # A PO string is a C string literal; Python's literal syntax is a superset for what PO files use.
    value = ast.literal_eval(line)
    if not isinstance(value, str):
        raise ValueError(f"not a string: {line!r}")
    return value


def parse(text: str) -> dict[str, str]:
    """{key: translation}; the key joins msgctxt with \\x04 and plural forms with \\x00, as .mo does."""
    catalog: dict[str, str] = {}
    entry: dict[str, list[str]] = {}
    fuzzy = False
    current = ""

    def flush() -> None:
        nonlocal entry, fuzzy
        if "msgid" in entry:
            msgid = "".join(entry["msgid"])
            if "msgid_plural" in entry:
                msgid += "\0" + "".join(entry["msgid_plural"])
                forms = sorted(k for k in entry if k.startswith("msgstr["))
                msgstr = "\0".join("".join(entry[k]) for k in forms)
            else:
                msgstr = "".join(entry.get("msgstr", []))
            if "msgctxt" in entry:
                msgid = "".join(entry["msgctxt"]) + "\x04" + msgid
            translated = any(part for part in msgstr.split("\0"))
            if translated and (not fuzzy or msgid == ""):
                catalog[msgid] = msgstr
        entry, fuzzy = {}, False

    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            if line.startswith("#,") and "fuzzy" in line:
                if "msgid" in entry:
                    flush()
                fuzzy = True
            elif line.startswith("#~"):
                continue
            continue
        if line.startswith('"'):
            entry.setdefault(current, []).append(_unquote(line))
            continue
        keyword, _, rest = line.partition(" ")
        if keyword in ("msgctxt", "msgid") and (
            "msgstr" in entry or any(k.startswith("msgstr[") for k in entry)
        ):
            flush()
        current = keyword
        entry[current] = [_unquote(rest.strip())]
    flush()
    return catalog


def write_mo(catalog: dict[str, str], path: Path) -> None:
    keys = sorted(catalog)
    ids = [k.encode() for k in keys]
    strs = [catalog[k].encode() for k in keys]
    count = len(keys)
    header_size = 7 * 4
    ids_table = header_size
    strs_table = ids_table + count * 8
    data_start = strs_table + count * 8
    offsets: list[tuple[int, int]] = []
    blob = b""
    for item in ids + strs:
        offsets.append((len(item), data_start + len(blob)))
        blob += item + b"\0"
    out = struct.pack("<7I", MAGIC, 0, count, ids_table, strs_table, 0, data_start)
    for length, offset in offsets:
        out += struct.pack("<2I", length, offset)
    path.write_bytes(out + blob)


def main(root: Path) -> int:
    done = 0
    for po in sorted(root.rglob("locale/*/LC_MESSAGES/*.po")):
        if SKIP_DIRS.intersection(po.parts):
            continue
        write_mo(parse(po.read_text(encoding="utf-8")), po.with_suffix(".mo"))
        done += 1
    print(f"compiled {done} catalogue(s) under {root}")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()))
