"""The nomination list in Excel: the page's export (same scope and filters as the list), the command
``flask export nominations --round CODE --out FILE.xlsx``, and the row builder on plain records."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from io import BytesIO
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook

from awards import clock, nomination_lists
from awards.extensions import db as _db
from exports.nominations import header, nomination_rows
from models import AuditEvent, Nomination, NominationState, RecipientKind, Role, Sex
from tests.conftest import login
from tests.factories import (
    IN_WINDOW,
    Filing,
    bring_to,
    make_filing,
    make_nomination,
    make_submission,
    make_unit,
    make_user,
)

FORMULAS = ['=HYPERLINK("http://evil.example","Bấm vào")', "+84 912", "-1+2", "@SUM(A1:A2)"]


@pytest.fixture()
def filing(db: object, monkeypatch: pytest.MonkeyPatch) -> Filing:
    monkeypatch.setattr(clock, "today", lambda: IN_WINDOW)
    return make_filing()


def _sheet(data: bytes):  # type: ignore[no-untyped-def]
    workbook = load_workbook(BytesIO(data))
    return workbook.worksheets[0]


def _column(sheet, title: str) -> list[object]:  # type: ignore[no-untyped-def]
    titles = [cell.value for cell in sheet[1]]
    index = titles.index(title)
    return [row[index].value for row in sheet.iter_rows(min_row=2)]


def _setup(filing: Filing) -> dict[str, object]:
    unit = make_unit("Sở Thông tin và Truyền thông")
    other = make_unit("Sở Y tế")
    clerk = make_user(Role.UNIT_CLERK, unit=unit)
    other_clerk = make_user(Role.UNIT_CLERK, unit=other)
    other_head = make_user(Role.UNIT_HEAD, unit=other)
    made = [
        make_nomination(filing, unit, clerk, name=name, kind=RecipientKind.INDIVIDUAL)
        for name in FORMULAS
    ]
    made.append(make_nomination(filing, unit, clerk, name="Phòng Chuyển đổi số"))
    theirs = make_nomination(filing, other, other_clerk, name="Trung tâm Kiểm soát bệnh tật")
    make_submission(filing, other, other_head, [theirs])
    bring_to(theirs, NominationState.SUBMITTED, head=other_head, board=filing.board)
    _db.session.commit()
    return {"unit": unit, "other": other, "clerk": clerk, "mine": made, "theirs": theirs}


def test_board_export_applies_the_filters_and_keeps_text_literal(
    client: FlaskClient, filing: Filing
) -> None:
    world = _setup(filing)
    assert login(client, filing.board.username).status_code == 302

    response = client.get(f"/nominations/export.xlsx?kind=individual&round={filing.round.code}")

    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="ho_so_de_nghi_20250915.xlsx"'
    )
    sheet = _sheet(response.data)
    assert [cell.value for cell in sheet[1]] == header()
    names = _column(sheet, "Tên tập thể / Họ và tên")
    assert sorted(names) == sorted(FORMULAS)
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            assert cell.data_type != "f", cell.value
    assert _column(sheet, "STT") == [1, 2, 3, 4]
    assert set(_column(sheet, "Đối tượng")) == {"Cá nhân"}
    assert set(_column(sheet, "Giới tính")) == {"Nữ"}
    assert set(_column(sheet, "Ngày sinh")) == {datetime(1985, 5, 20)}
    assert set(_column(sheet, "Trạng thái")) == {"Đang soạn"}
    assert set(_column(sheet, "Điểm tự chấm")) == {50}  # 20 + 15 + 15: half of each maximum

    everything = _sheet(client.get("/nominations/export.xlsx?sort=name&order=asc").data)
    assert len(_column(everything, "STT")) == 6
    submitted = _sheet(client.get(f"/nominations/export.xlsx?unit={world['other'].id}").data)
    assert _column(submitted, "Tên tập thể / Họ và tên") == ["Trung tâm Kiểm soát bệnh tật"]
    assert _column(submitted, "Trạng thái") == ["Đã trình"]
    assert _column(submitted, "Số người") == [25]
    assert _column(submitted, "Tỷ lệ nữ (%)") == [60]
    assert _column(submitted, "Đơn vị đề nghị") == ["Sở Y tế"]

    event = _db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "export").order_by(AuditEvent.id)
    ).first()
    assert event.object_type == "nominations"
    assert event.actor_id == filing.board.id
    assert '"rows":4' in event.after and '"kind":"individual"' in event.after


def test_clerk_exports_own_unit_only(client: FlaskClient, filing: Filing) -> None:
    world = _setup(filing)
    assert login(client, world["clerk"].username).status_code == 302

    sheet = _sheet(client.get(f"/nominations/export.xlsx?unit={world['other'].id}").data)

    assert len(_column(sheet, "STT")) == 5
    assert "Trung tâm Kiểm soát bệnh tật" not in _column(sheet, "Tên tập thể / Họ và tên")


def test_export_command_writes_the_round(
    runner, app: Flask, filing: Filing, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    _setup(filing)
    make_filing()  # another round: none of its rows
    _db.session.commit()
    out = tmp_path / "ho_so.xlsx"

    result = runner.invoke(
        args=["export", "nominations", "--round", filing.round.code, "--out", str(out)]
    )

    assert result.exit_code == 0, result.output
    assert result.output.strip() == (
        f"Đã xuất 6 dòng (nominations) của đợt xét {filing.round.code} ra tệp {out}."
    )
    sheet = _sheet(out.read_bytes())
    assert _column(sheet, "Đơn vị đề nghị") == ["Sở Thông tin và Truyền thông"] * 5 + ["Sở Y tế"]
    assert sorted(_column(sheet, "Tên tập thể / Họ và tên"))[:4] == sorted(FORMULAS)
    event = _db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "export")).one()
    assert (event.actor_name, event.object_type) == ("cli:export", "nominations")


def test_export_command_refuses_an_unknown_round(runner, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "x.xlsx"

    result = runner.invoke(args=["export", "nominations", "--round", "KHONG-CO", "--out", str(out)])

    assert result.exit_code == 1
    assert "Không tìm thấy đợt xét có mã “KHONG-CO”." in result.output
    assert not out.exists()


def test_export_command_refuses_an_unknown_kind(runner, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(args=["export", "honours", "--round", "X", "--out", str(tmp_path / "x")])

    assert result.exit_code == 2
    assert "nominations" in result.output


def test_export_command_reports_an_unwritable_file(  # type: ignore[no-untyped-def]
    runner, filing: Filing, tmp_path: Path
) -> None:
    _db.session.commit()
    out = tmp_path / "missing-folder" / "x.xlsx"

    result = runner.invoke(
        args=["export", "nominations", "--round", filing.round.code, "--out", str(out)]
    )

    assert result.exit_code == 1
    assert "Không ghi được tệp" in result.output
    assert (
        _db.session.scalar(
            sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.action == "export")
        )
        == 0
    )


def test_rows_from_plain_records(app: Flask) -> None:
    record = {
        "reference": "CDS2025-000007",
        "round_code": "CDS2025",
        "unit_name": "Sở Y tế",
        "kind": RecipientKind.INDIVIDUAL,
        "nominee_name": "=1+1",
        "nominee_unit_name": None,
        "headcount": None,
        "women_share": None,
        "sex": Sex.MALE,
        "date_of_birth": date(1979, 3, 2),
        "position": "Phó Chi cục trưởng",
        "staff_category": "leader",
        "workplace": "Chi cục",
        "citizen_id": None,
        "award_form_name": "Bằng khen của Chủ tịch UBND tỉnh",
        "citation": "Đã có thành tích xuất sắc",
        "self_total": Decimal("87.50"),
        "state": "in_review",
        # 20:30 UTC on 30/9 is already 1/10 in Hà Nội.
        "submitted_at": datetime(2025, 9, 30, 20, 30),
        "updated_at": None,
    }
    with app.test_request_context():
        (row,) = list(nomination_rows([record]))
    assert row[0] == 1
    assert row[4] == "Cá nhân"
    assert row[5] == "=1+1"
    assert row[9] == "Nam"
    assert row[12] == "Lãnh đạo, quản lý"
    assert row[14] == ""
    assert row[17] == 87.5
    assert row[18] == "Đang chấm điểm"
    assert row[19] == date(2025, 10, 1)
    assert row[20] is None
    assert len(row) == len(header())


def test_export_streams_plain_rows_and_loads_no_objects(app: Flask, filing: Filing) -> None:
    """Rows go from the cursor to the sheet one batch at a time, as plain dicts: a long list never
    fills the session with ORM objects."""
    unit = make_unit()
    clerk = make_user(Role.UNIT_CLERK, unit=unit)
    template = make_nomination(filing, unit, clerk)
    columns = {
        c.key: getattr(template, c.key)
        for c in sa.inspect(Nomination).column_attrs
        if c.key not in ("id", "reference")
    }
    rows = [
        {**columns, "nominee_name": f"Cán bộ {n}", "search_name": f"can bo {n}"}
        for n in range(1, 1200)
    ]
    round_id, round_code = filing.round.id, filing.round.code
    _db.session.execute(sa.insert(Nomination), rows)
    _db.session.commit()
    _db.session.expunge_all()
    filters = nomination_lists.ListFilters(round_id=round_id)
    stmt = nomination_lists.export_statement(filters, sa.true())

    records = nomination_lists.export_records(stmt, batch=100)

    assert isinstance(records, Iterator)
    first = next(records)
    assert isinstance(first, dict) and first["round_code"] == round_code
    assert sum(1 for _ in records) == 1199
    assert len(_db.session.identity_map) == 0
    with app.test_request_context():
        data, count = nomination_lists.export_workbook(filters, sa.true())
    assert count == 1200
    assert len(_column(_sheet(data), "STT")) == 1200
    assert len(_db.session.identity_map) == 0
