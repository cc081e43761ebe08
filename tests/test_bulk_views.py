"""Bulk filing pages: the round picker, the template download and the upload page."""

from __future__ import annotations

from io import BytesIO

import sqlalchemy as sa
from openpyxl import load_workbook

from models import Nomination, NominationState, Role, RoundPhase
from tests.test_nomination_import import COLLECTIVE, HEADER, INDIVIDUAL, count, filing, xlsx

__all__ = ["filing"]  # the fixture, shared with the service tests

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def upload(client, data: bytes, round_code: str = "CDS2025", name: str = "ho_so.xlsx", **extra):
    return client.post(
        f"/nominations/bulk/?round={round_code}",
        data={"file": (BytesIO(data), name), **extra},
        content_type="multipart/form-data",
    )


def test_rounds_open_for_filing_are_offered(client, login_as, filing):
    login_as(Role.UNIT_CLERK, unit=filing.unit)
    html = client.get("/nominations/bulk/").get_data(as_text=True)
    assert "Ngày Chuyển đổi số quốc gia 10/10/2025" in html
    assert 'href="/nominations/bulk/?round=CDS2025"' in html
    filing.round.phase = RoundPhase.SETUP
    html = client.get("/nominations/bulk/").get_data(as_text=True)
    assert "Hiện không có đợt xét nào đang nhận hồ sơ." in html
    assert client.post("/nominations/bulk/").status_code == 404


def test_upload_page_offers_the_template_and_a_file_field(client, login_as, filing):
    login_as(Role.UNIT_HEAD, unit=filing.unit)
    html = client.get("/nominations/bulk/?round=CDS2025").get_data(as_text=True)
    assert 'href="/nominations/bulk/template.xlsx?round=CDS2025"' in html
    assert 'type="file"' in html and 'enctype="multipart/form-data"' in html
    assert "Sở Thông tin và Truyền thông" in html
    assert "<script>" not in html.split("</main>")[0]  # no inline script (CSP)
    assert " style=" not in html


def test_template_download(client, login_as, filing):
    login_as(Role.UNIT_CLERK, unit=filing.unit)
    response = client.get("/nominations/bulk/template.xlsx?round=CDS2025")
    assert (response.status_code, response.mimetype) == (200, XLSX)
    assert (
        response.headers["Content-Disposition"] == 'attachment; filename="mau_ho_so_CDS2025.xlsx"'
    )
    workbook = load_workbook(BytesIO(response.data))
    assert workbook.sheetnames == ["Hồ sơ", "Ví dụ", "Hướng dẫn"]
    sheet = workbook["Hồ sơ"]
    assert [cell.value for cell in sheet[1]] == HEADER
    rules = {str(rule.sqref): rule.formula1 for rule in sheet.data_validations.dataValidation}
    assert rules["A2:A20001"] == '"tập thể,cá nhân"'  # as far down as an import may go


def test_template_of_a_round_not_open_sends_back_with_a_message(client, login_as, filing, db):
    filing.round.phase = RoundPhase.REVIEWING
    db.session.commit()
    login_as(Role.UNIT_CLERK, unit=filing.unit)
    response = client.get("/nominations/bulk/template.xlsx?round=CDS2025")
    assert (response.status_code, response.location) == (302, "/nominations/bulk/?round=CDS2025")
    html = client.get(response.location).get_data(as_text=True)
    assert "Đợt xét CDS2025 không ở giai đoạn nhận hồ sơ nên không thể tạo hồ sơ từ tệp." in html
    assert 'type="file"' not in html
    before = count(db)
    assert upload(client, xlsx([COLLECTIVE])).status_code == 200
    assert count(db) == before == 0


def test_good_upload_creates_drafts_and_goes_to_the_list(client, login_as, filing, db):
    user = login_as(Role.UNIT_CLERK, unit=filing.unit)
    response = upload(client, xlsx([COLLECTIVE, INDIVIDUAL]))
    assert (response.status_code, response.location) == (302, "/nominations/?round=CDS2025")
    html = client.get(response.location).get_data(as_text=True)
    assert "Đã tạo 2 hồ sơ nháp." in html
    rows = db.session.execute(
        sa.select(Nomination.unit_id, Nomination.state, Nomination.created_by_id)
    ).all()
    assert rows == [(filing.unit.id, NominationState.DRAFT, user.id)] * 2


def test_duplicates_are_announced(client, login_as, filing, db):
    login_as(Role.UNIT_CLERK, unit=filing.unit)
    response = upload(client, xlsx([INDIVIDUAL, INDIVIDUAL]))
    html = client.get(response.location).get_data(as_text=True)
    assert "Đã tạo 2 hồ sơ nháp." in html
    assert "1 hồ sơ có thể trùng với hồ sơ đã có (cùng người hoặc cùng tập thể)" in html


def test_bad_upload_shows_row_errors_and_saves_nothing(client, login_as, filing, db):
    login_as(Role.UNIT_CLERK, unit=filing.unit)
    bad = dict(INDIVIDUAL, doi_tuong="<script>alert(1)</script>")
    response = upload(client, xlsx([COLLECTIVE, INDIVIDUAL, bad]))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Tệp có 1 lỗi nên không có hồ sơ nào được lưu." in html
    assert '<td class="text-nowrap">4</td>' in html
    assert "Cột doi_tuong: “&lt;script&gt;alert(1)&lt;/script&gt;” không hợp lệ." in html
    assert "<script>alert(1)" not in html
    assert count(db) == 0


def test_file_level_error_is_shown_for_the_whole_file(client, login_as, filing, db):
    login_as(Role.UNIT_CLERK, unit=filing.unit)
    html = upload(client, b"PK\x03\x04 not really").get_data(as_text=True)
    assert '<td class="text-nowrap">Cả tệp</td>' in html
    assert "Tệp không phải là tệp Excel .xlsx hợp lệ hoặc đã bị hỏng." in html


def test_other_file_types_and_missing_files_are_refused(client, login_as, filing, db):
    login_as(Role.UNIT_CLERK, unit=filing.unit)
    html = upload(client, b"a,b", name="ho_so.csv").get_data(as_text=True)
    assert "Chỉ nhận tệp Excel .xlsx (dùng mẫu tải về)." in html
    html = client.post("/nominations/bulk/?round=CDS2025", data={}).get_data(as_text=True)
    assert "Hãy chọn tệp Excel cần nhập." in html
    assert count(db) == 0


def test_files_only_for_the_users_own_unit(client, login_as, filing, make_unit, db):
    other = make_unit("Sở Y tế", code="SYT")
    login_as(Role.UNIT_HEAD, unit=filing.unit)
    upload(client, xlsx([COLLECTIVE]), unit_id=str(other.id))
    response = client.post(
        f"/nominations/bulk/?round=CDS2025&unit_id={other.id}",
        data={"file": (BytesIO(xlsx([INDIVIDUAL])), "a.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    assert db.session.scalars(sa.select(Nomination.unit_id)).all() == [filing.unit.id] * 2


def test_unknown_round_and_users_without_a_unit(client, login_as, filing, db):
    user = login_as(Role.UNIT_CLERK, unit=filing.unit)
    assert client.get("/nominations/bulk/?round=KHONGCO").status_code == 404
    assert client.get("/nominations/bulk/template.xlsx").status_code == 404
    user.unit_id = None
    db.session.commit()
    assert client.get("/nominations/bulk/?round=CDS2025").status_code == 403
    assert client.get("/nominations/bulk/template.xlsx?round=CDS2025").status_code == 403
