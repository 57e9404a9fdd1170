"""Address-book files → contact rows, with an error per bad row. Pure Python (vobject, csv), no Django.

- vCard 3.0 and 4.0, as iPhone/Android, Google Contacts and Outlook export them (several cards in one file).
- CSV as Google Contacts exports it ("First Name"/"Name", "E-mail 1 - Value", "Phone 1 - Value",
  "Organization Name"/"Organization 1 - Name" …) and as Outlook does ("First Name", "Last Name",
  "Company", "Job Title", "E-mail Address", "Mobile Phone", "Business City" …). UTF-8 (with or without
  BOM), else GB18030 (a Chinese Outlook's export).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

import vobject

NAME_MAX = 128
FIELD_MAX = 128
CITY_MAX = 64
NOTE_MAX = 2000
PHONE_MAX = 32
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE_RE = re.compile(r"^\+?[0-9 ()\-]{5,32}$")


@dataclass
class ContactRow:
    name: str
    email: str = ""
    phone: str = ""
    company: str = ""
    title: str = ""
    city: str = ""
    note: str = ""


@dataclass(frozen=True)
class RowError:
    row: int  # 1-based: the card's number in a vCard file, the line's number in a CSV file
    message: str  # English; the service translates the known ones by code
    code: str


@dataclass
class Parsed:
    source: str
    rows: list[ContactRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def phone_key(value: str) -> str:
    """A phone number as it is compared: digits only, without China's country code (+86, 0086, 86) in
    front of a mobile number, so "+86 138-0013-8000" and "13800138000" are the same. '' for no number."""
    digits = re.sub(r"\D", "", value or "")
    for prefix in ("0086", "86"):
        rest = digits[len(prefix) :]
        if digits.startswith(prefix) and len(rest) == 11 and rest.startswith("1"):
            return rest
    return digits if len(digits) >= 5 else ""


def email_key(value: str) -> str:
    return (value or "").strip().lower()


def _clean(value: object, limit: int) -> str:
    return " ".join(str(value or "").replace("\x00", "").split())[:limit]


def _check(row: ContactRow, number: int, errors: list[RowError]) -> ContactRow | None:
    if not row.name:
        row.name = row.email or row.phone
    if not row.name:
        errors.append(RowError(number, "no name, email or phone", "empty"))
        return None
    if row.email and not EMAIL_RE.match(row.email):
        errors.append(RowError(number, f"not an email address: {row.email}", "bad_email"))
        return None
    if row.phone and not PHONE_RE.match(row.phone):
        errors.append(RowError(number, f"not a phone number: {row.phone}", "bad_phone"))
        return None
    return row


def decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnicodeDecodeError("utf-8", data, 0, 1, "neither UTF-8 nor GB18030")


def sniff(filename: str, text: str) -> str:
    if filename.lower().endswith((".vcf", ".vcard")) or text.lstrip().upper().startswith("BEGIN:VCARD"):
        return "vcard"
    return "csv"


def parse(filename: str, data: bytes) -> Parsed:
    try:
        text = decode(data)
    except UnicodeDecodeError:
        return Parsed(
            "unknown", errors=[RowError(0, "the file is neither UTF-8 nor GB18030 text", "encoding")]
        )
    source = sniff(filename, text)
    return parse_vcard(text) if source == "vcard" else parse_csv(text)


# --- vCard ---------------------------------------------------------------------------------------------


def _first(card: vobject.base.Component, name: str) -> str:
    items = card.contents.get(name) or []
    return str(items[0].value) if items else ""


def _vcard_row(card: vobject.base.Component) -> ContactRow:
    name = _first(card, "fn")
    if not name and "n" in card.contents:
        n = card.n.value
        name = f"{n.family}{n.given}" if _is_cjk(f"{n.family}{n.given}") else f"{n.given} {n.family}"
    org = card.contents.get("org") or []
    company = ""
    if org:
        value = org[0].value
        company = " ".join(value) if isinstance(value, list) else str(value)
    city = ""
    for adr in card.contents.get("adr") or []:
        city = getattr(adr.value, "city", "") or ""
        if city:
            break
    note = " ".join(
        [str(x.value) for x in card.contents.get("note") or []]
        + [" ".join(x.value) for x in card.contents.get("categories") or [] if isinstance(x.value, list)]
    )
    phone = _first(card, "tel")
    if phone.lower().startswith("tel:"):  # vCard 4.0 writes TEL;VALUE=uri:tel:+86…
        phone = phone[4:]
    return ContactRow(
        name=_clean(name, NAME_MAX),
        email=_clean(_first(card, "email"), FIELD_MAX).lower(),
        phone=_clean(phone, PHONE_MAX),
        company=_clean(company, FIELD_MAX),
        title=_clean(_first(card, "title"), FIELD_MAX),
        city=_clean(city, CITY_MAX),
        note=_clean(note, NOTE_MAX),
    )


def _is_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def _split_cards(text: str) -> list[str]:
    """Each BEGIN:VCARD … END:VCARD block on its own, so one broken card does not hide the others."""
    blocks: list[str] = []
    current: list[str] | None = None
    for line in text.splitlines():
        upper = line.strip().upper()
        if upper == "BEGIN:VCARD":
            if current is not None:
                blocks.append("\n".join(current))  # unterminated: reported by the parser
            current = [line]
        elif current is not None:
            current.append(line)
            if upper == "END:VCARD":
                blocks.append("\n".join(current))
                current = None
        elif line.strip():
            blocks.append(line)  # text outside any card
    if current is not None:
        blocks.append("\n".join(current))
    return blocks


def parse_vcard(text: str) -> Parsed:
    out = Parsed("vcard")
    blocks = _split_cards(text)
    if not blocks:
        out.errors.append(RowError(0, "no vCard in the file", "empty_file"))
    for number, block in enumerate(blocks, start=1):
        try:
            card = vobject.readOne(block + "\n", validate=False)
            if card.name.upper() != "VCARD":
                raise ValueError(card.name)
            row = _vcard_row(card)
        except Exception as exc:
            out.errors.append(RowError(number, f"not a readable vCard ({type(exc).__name__})", "bad_vcard"))
            continue
        checked = _check(row, number, out.errors)
        if checked is not None:
            out.rows.append(checked)
    return out


# --- CSV -----------------------------------------------------------------------------------------------

# Header → field, for Google (old and new) and Outlook exports, English and Chinese Outlook.
CSV_COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("Name", "Display Name", "姓名", "显示名称"),
    "first": ("First Name", "Given Name", "名"),
    "middle": ("Middle Name", "Additional Name", "中间名"),
    "last": ("Last Name", "Family Name", "姓"),
    "email": ("E-mail 1 - Value", "E-mail Address", "Email Address", "电子邮件地址", "Email"),
    "phone": (
        "Phone 1 - Value",
        "Mobile Phone",
        "Business Phone",
        "Home Phone",
        "Primary Phone",
        "移动电话",
        "商务电话",
        "Phone",
    ),
    "company": ("Organization Name", "Organization 1 - Name", "Company", "公司"),
    "title": ("Organization Title", "Organization 1 - Title", "Job Title", "职务"),
    "city": ("Address 1 - City", "Business City", "Home City", "商务地址 市/县", "City"),
    "note": ("Notes", "Note", "备注", "Labels", "Group Membership", "Categories"),
}


def parse_csv(text: str) -> Parsed:
    out = Parsed("csv")
    try:
        reader = csv.reader(io.StringIO(text), strict=True)
        header = next(reader, None)
        if not header:
            out.errors.append(RowError(1, "the file has no header line", "no_header"))
            return out
        names = [h.strip() for h in header]
        columns = {key: [names.index(h) for h in heads if h in names] for key, heads in CSV_COLUMNS.items()}
        if not (columns["name"] or columns["first"] or columns["last"] or columns["email"]):
            out.errors.append(RowError(1, "no name or email column: not a contacts export", "no_header"))
            return out
        for values in reader:
            number = reader.line_num
            if not any(v.strip() for v in values):
                continue
            if len(values) > len(names) and any(v.strip() for v in values[len(names) :]):
                out.errors.append(RowError(number, "more fields than the header has", "bad_row"))
                continue

            def get(key: str, values: list[str] = values) -> str:
                parts = [values[i].strip() for i in columns[key] if i < len(values) and values[i].strip()]
                if key == "note":
                    return " ".join(parts)
                return parts[0] if parts else ""

            name = get("name")
            if not name:
                given, middle, family = get("first"), get("middle"), get("last")
                if _is_cjk(family + given):
                    name = f"{family}{given}"
                else:
                    name = " ".join(p for p in (given, middle, family) if p)
            phone = get("phone").split(" ::: ")[0]  # Google joins several numbers with " ::: "
            email = get("email").split(" ::: ")[0].lower()
            row = ContactRow(
                name=_clean(name, NAME_MAX),
                email=_clean(email, FIELD_MAX),
                phone=_clean(phone, PHONE_MAX),
                company=_clean(get("company"), FIELD_MAX),
                title=_clean(get("title"), FIELD_MAX),
                city=_clean(get("city"), CITY_MAX),
                note=_clean(get("note").replace("* myContacts", ""), NOTE_MAX),
            )
            checked = _check(row, number, out.errors)
            if checked is not None:
                out.rows.append(checked)
    except csv.Error as exc:
        out.errors.append(RowError(reader.line_num, f"broken CSV: {exc}", "bad_csv"))
    return out
