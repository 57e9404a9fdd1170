"""The organizer's exports: CSV (UTF-8 with a BOM) and XLSX parsed back with the library, Chinese intact,
formulas neutralized, contacts and deal amounts only where the organizer may see them; 404 for members."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

import pytest
from django.test import Client
from openpyxl import load_workbook

from kindred.circles.models import Membership
from kindred.core.models import AuditEvent
from kindred.portability.exports import Table, safe_cell, to_csv, to_xlsx

from .scene import FORMULA, PRIVATE_FEN, Scene, build

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene(origin: Membership, make_member: Callable[..., Membership]) -> Scene:
    return build(origin, make_member)


def _csv(body: bytes) -> list[list[str]]:
    assert body.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def _xlsx(body: bytes) -> list[list[object]]:
    sheet = load_workbook(io.BytesIO(body)).active
    assert sheet is not None
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_formula_guard_and_chinese() -> None:
    for bad in ("=1+1", "+86 138", "-2", "@SUM(A1)", "\t=1"):
        assert safe_cell(bad) == "'" + bad
    assert safe_cell("新文娱") == "新文娱" and safe_cell(3) == 3
    table = Table(title="测试", header=["名字"], rows=[["老周"], [FORMULA]])
    assert _csv(to_csv(table)) == [["名字"], ["老周"], ["'" + FORMULA]]
    rows = _xlsx(to_xlsx(table))
    assert rows == [["名字"], ["老周"], ["'" + FORMULA]]


def test_directory_export_as_the_organizer_sees_it(scene: Scene) -> None:
    client = Client()
    client.force_login(scene.organizer.user)
    before = AuditEvent.objects.count()
    response = client.get(f"/api/v1/circles/{scene.organizer.circle.slug}/exports/directory?format=csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = _csv(response.content)
    header, body = rows[0], rows[1:]
    by_name = {row[header.index("姓名")]: row for row in body}
    assert {"老周", "爱丽丝", "鲍勃", "卡罗尔"} <= set(by_name)
    alice = by_name["爱丽丝"]
    assert alice[header.index("公司")] == "'" + FORMULA  # an injected formula stays text
    assert alice[header.index("微信")] == "wx_alice_circle"  # visible to the circle
    assert alice[header.index("电话")] == ""  # visible to nobody but her
    assert alice[header.index("私人备注")] == "靠谱的合作伙伴"
    assert alice[header.index("提供标签")] == "版权 +86 发行"  # a cell that starts safely is kept as it is
    assert AuditEvent.objects.count() == before + 1  # the download is audited

    xlsx = client.get(f"/api/v1/circles/{scene.organizer.circle.slug}/exports/directory?format=xlsx")
    assert xlsx.status_code == 200 and "spreadsheetml" in xlsx["Content-Type"]
    sheet = _xlsx(xlsx.content)
    assert sheet[0] == header
    assert [str(c) if c is not None else "" for c in sheet[1]][:6] == body[0][:6]


def test_deals_export_hides_private_amounts_from_a_non_party(scene: Scene) -> None:
    client = Client()
    client.force_login(scene.organizer.user)
    response = client.get(f"/c/{scene.organizer.circle.slug}/exports/deals.csv")
    assert response.status_code == 200
    rows = _csv(response.content)
    assert rows[1][rows[0].index("标题")] == "短剧联合出品"
    assert rows[1][rows[0].index("金额（元）")] == ""  # the organizer is no party; the amount is private
    assert str(PRIVATE_FEN // 100) not in response.content.decode("utf-8-sig")


def test_attendance_export(scene: Scene) -> None:
    client = Client()
    client.force_login(scene.organizer.user)
    response = client.get(f"/c/{scene.organizer.circle.slug}/exports/attendance.xlsx")
    assert response.status_code == 200
    rows = _xlsx(response.content)
    titles = {row[1] for row in rows[1:]}
    assert "'-1 饭局 @北京" in titles  # guarded, Chinese intact
    assert "小范围茶叙" not in titles  # by invitation, and the organizer is not invited
    page = client.get(f"/c/{scene.organizer.circle.slug}/exports/")
    assert page.status_code == 200 and "attendance.xlsx" in page.content.decode()


def test_members_and_bad_input_get_404(scene: Scene) -> None:
    member = Client()
    member.force_login(scene.alice.user)
    slug = scene.organizer.circle.slug
    before = AuditEvent.objects.count()
    assert member.get(f"/api/v1/circles/{slug}/exports/directory").status_code == 404
    assert member.get(f"/c/{slug}/exports/deals.csv").status_code == 404
    organizer = Client()
    organizer.force_login(scene.organizer.user)
    assert organizer.get(f"/c/{slug}/exports/secrets.csv").status_code == 404
    assert organizer.get(f"/c/{slug}/exports/deals.pdf").status_code == 404
    assert organizer.get(f"/api/v1/circles/{slug}/exports/secrets").status_code == 422
    assert organizer.get(f"/api/v1/circles/{slug}/exports/deals?format=pdf").status_code == 422
    assert AuditEvent.objects.count() == before
