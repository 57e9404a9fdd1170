"""Importing real-world vCard and CSV exports (and broken ones: nothing half-imported); privacy."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from kindred.core.services import ServiceError
from kindred.invitations.models import Nomination
from kindred.matching import selectors, services
from kindred.matching.models import Contact

pytestmark = pytest.mark.django_db

VCARD_IPHONE_30 = """BEGIN:VCARD\r
VERSION:3.0\r
PRODID:-//Apple Inc.//iPhone OS 17.0//EN\r
N:宋;知行;;;\r
FN:宋知行\r
ORG:知行科技;\r
TITLE:CTO\r
EMAIL;type=INTERNET;type=WORK;type=pref:song@example.com\r
TEL;type=CELL;type=VOICE;type=pref:+86 138 0000 1111\r
NOTE:小程序开发 技术团队\r
END:VCARD\r
BEGIN:VCARD\r
VERSION:3.0\r
N:Chen;Anna;;;\r
FN:Anna Chen\r
ORG:Bright Ideas Design\r
TITLE:PPT designer\r
EMAIL;type=INTERNET:anna@example.com\r
END:VCARD\r
"""

VCARD_ANDROID_40 = """BEGIN:VCARD
VERSION:4.0
FN:方小雨
N:方;小雨;;;
ORG:一页设计
TITLE:PPT设计师
TEL;VALUE=uri;TYPE=cell:tel:+86-139-0000-2222
EMAIL:fang@example.com
ADR;TYPE=work:;;文三路;杭州;;;中国
END:VCARD
"""

GOOGLE_CSV = (
    "First Name,Middle Name,Last Name,Organization Name,Organization Title,E-mail 1 - Label,E-mail 1 - Value,"
    "Phone 1 - Label,Phone 1 - Value,Notes,Labels\n"
    "小雨,,方,一页设计,PPT设计师,Work,fang@example.com,Mobile,+86 139 0000 2222,做路演BP,* myContacts\n"
    "Wei,,Li,Li Studio,Film producer,Work,li@example.com ::: li2@example.com,,,,* myContacts\n"
)

OUTLOOK_CSV = (
    '"First Name","Middle Name","Last Name","Company","Job Title","E-mail Address","Mobile Phone","Business City","Notes"\n'
    '"知行","","宋","知行科技","CTO","song@example.com","13800001111","杭州","小程序开发"\n'
)


def _import(user: Any, name: str, text: str, encoding: str = "utf-8") -> services.ImportResult:
    return services.contacts_import(owner=user, filename=name, data=text.encode(encoding))


def test_iphone_vcard_30_and_android_vcard_40(make_user: Any) -> None:
    user = make_user()
    assert _import(user, "contacts.vcf", VCARD_IPHONE_30).created == 2
    assert _import(user, "android.vcf", VCARD_ANDROID_40).created == 1
    song = Contact.objects.get(owner=user, name="宋知行")
    assert (song.company, song.title, song.email, song.phone) == (
        "知行科技",
        "CTO",
        "song@example.com",
        "+86 138 0000 1111",
    )
    fang = Contact.objects.get(owner=user, name="方小雨")
    assert (fang.phone, fang.city) == ("+86-139-0000-2222", "杭州")
    assert _import(user, "contacts.vcf", VCARD_IPHONE_30).duplicates == 2  # importing again adds nothing


def test_google_and_outlook_csv_including_gb18030(make_user: Any) -> None:
    user = make_user()
    assert _import(user, "google.csv", GOOGLE_CSV).created == 2
    fang = Contact.objects.get(owner=user, email="fang@example.com")
    assert fang.name == "方小雨" and fang.note == "做路演BP"
    assert Contact.objects.get(owner=user, name="Wei Li").email == "li@example.com"
    other = make_user()
    assert _import(other, "outlook.csv", OUTLOOK_CSV, "gb18030").created == 1
    assert Contact.objects.get(owner=other).name == "宋知行"


@pytest.mark.parametrize(
    ("name", "text", "rows"),
    [
        (
            "bad.vcf",
            VCARD_ANDROID_40 + "BEGIN:VCARD\nVERSION:3.0\nFN:坏卡\nEMAIL:not-an-email\nEND:VCARD\n",
            [2],
        ),
        ("bad.vcf", "BEGIN:VCARD\nVERSION:3.0\nFN;;;broken\n\x01garbage\n", [1]),
        ("bad.csv", GOOGLE_CSV + ',,,,,,,,,"unterminated\n', [4]),
        ("bad.csv", GOOGLE_CSV + "Zhang,,San,X,Y,Work,zhang@@example,,,,\n", [4]),
        ("bad.csv", "foo,bar\n1,2\n", [1]),
    ],
)
def test_malformed_files_import_nothing_and_say_which_rows(
    make_user: Any, name: str, text: str, rows: list[int]
) -> None:
    user = make_user()
    with pytest.raises(services.ImportRefused) as exc:
        _import(user, name, text)
    assert [e.row for e in exc.value.errors] == rows
    assert not Contact.objects.filter(owner=user).exists()


def test_empty_and_binary_files_are_refused(make_user: Any) -> None:
    user = make_user()
    with pytest.raises(ServiceError):
        services.contacts_import(owner=user, filename="x.csv", data=b"")
    with pytest.raises(services.ImportRefused):
        services.contacts_import(owner=user, filename="x.csv", data=b"\xff\xfe\x00\x81" * 10)
    assert not Contact.objects.exists()


def test_api_import_is_private_and_suggestions_lead_to_a_nomination(
    trio: dict[str, Any], origin: Any
) -> None:
    organizer = Client()
    organizer.force_login(origin.user)
    upload = SimpleUploadedFile("contacts.vcf", VCARD_IPHONE_30.encode())
    res = organizer.post("/api/v1/contacts/import", {"file": upload})
    assert res.status_code == 201 and res.json()["created"] == 2
    bad = organizer.post("/api/v1/contacts/import", {"file": SimpleUploadedFile("b.csv", b"foo,bar\n1,2\n")})
    assert bad.status_code == 400 and bad.json()["errors"][0]["row"] == 1
    collector = trio["a"]
    url = f"/api/v1/circles/xinwenyu/members/{collector.pk}/invite-suggestions"
    suggestions = organizer.get(url).json()
    assert suggestions[0]["name"] == "宋知行" and suggestions[0]["reason_terms"]
    member = Client()
    member.force_login(trio["b"].user)
    assert member.get(url).json() == []  # someone else's contacts are never theirs
    assert "song@example.com" not in member.get("/c/xinwenyu/contacts/").content.decode()
    page = organizer.post(
        f"/c/xinwenyu/contacts/{suggestions[0]['contact_id']}/nominate/", {"member_id": collector.pk}
    )
    assert page.status_code == 302
    nomination = Nomination.objects.get(email="song@example.com")
    assert "沈砚秋" in nomination.reason
    assert all(
        s.contact.name != "宋知行" for s in selectors.invite_suggestions(owner=origin.user, member=collector)
    )
    foreign = member.post(
        f"/c/xinwenyu/contacts/{suggestions[0]['contact_id']}/nominate/", {"member_id": collector.pk}
    )
    assert foreign.status_code == 404


def test_import_says_which_contacts_are_members_and_suggests_ties(make_member: Any) -> None:
    """Issue 8, item 18: contacts already in the circle are named after an import, matched only on the
    email or phone their card shows the importer (phones compared without +86 and separators), and one
    click on the ties app's form declares a tie."""
    from urllib.parse import urlencode

    from kindred.ties.models import Tie
    from tests.forms import form_fields

    me = make_member("importer", display_name="导入人")
    by_phone = make_member("byphone", display_name="宋知行", phone="13800001111", phone_visibility="circle")
    by_email = make_member(
        "byemail", display_name="方小雨", email="fang@example.com", email_visibility="circle"
    )
    hidden = make_member(  # shown to ties only, and the importer is not one: no match
        "hidden", display_name="李伟", email="li@example.com", email_visibility="ties"
    )
    client = Client()
    client.force_login(me.user)
    upload = SimpleUploadedFile("c.csv", GOOGLE_CSV.replace("fang@", "FANG@").encode())
    res = client.post("/c/xinwenyu/contacts/", {"file": upload})
    assert res.status_code == 302
    _import(me.user, "c.vcf", VCARD_IPHONE_30)  # 宋知行: +86 138 0000 1111
    page = client.get("/c/xinwenyu/contacts/").content.decode()
    known = {k.member.pk: k for k in selectors.contacts_in_circle(membership=me)}
    assert set(known) == {by_phone.pk, by_email.pk}
    assert known[by_phone.pk].matched_on == "phone" and known[by_email.pk].matched_on == "email"
    assert hidden.pk not in known and "李伟</a>" not in page
    assert "已经在圈子里" in page and f"/c/xinwenyu/members/{by_phone.pk}/" in page
    # One click on the suggested tie: the ties app's own form, submitted as rendered.
    fields = form_fields(page, "/c/xinwenyu/ties/declare/")
    other = int(dict(fields)["member_id"])
    assert other in known
    res = client.post(
        "/c/xinwenyu/ties/declare/", urlencode(fields), content_type="application/x-www-form-urlencoded"
    )
    assert res.status_code == 302 and res["Location"] == "/c/xinwenyu/contacts/"
    tie = Tie.objects.get(declared_by=me)
    assert {tie.member_low_id, tie.member_high_id} == {me.pk, other} and tie.status == "pending"
    after = {k.member.pk: k.tie for k in selectors.contacts_in_circle(membership=me)}
    assert after[other] == selectors.TIE_ASKED and list(after.values()).count(selectors.TIE_NONE) == 1
