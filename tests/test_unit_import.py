"""Units from and to Excel: the import service, the CLI command, the template, export and the upload page,
and the generic reader/writer of exports/excel.py."""

from __future__ import annotations

import zipfile
from datetime import date, datetime
from io import BytesIO

import pytest
import sqlalchemy as sa
from flask import g
from openpyxl import Workbook, load_workbook

from awards.unit_import import COLUMNS, RowError, import_units
from exports.excel import (
    NotAWorkbookError,
    SheetData,
    TooManyRowsError,
    WorkbookTooLargeError,
    read_sheet,
    write_workbook,
)
from models import AuditEvent, Role, Unit, UnitKind

GOOD_ROWS = [
    # the district comes before its province, whose row comes later: parents may be anywhere
    ("TS", "Thành phố Từ Sơn", "Cấp huyện", "TINH", date(2020, 1, 1), None),
    ("DB", "Phường Đình Bảng", "cap xa", "TS", "01/01/2021", None),
    ("TINH", "Tỉnh Bắc Ninh", "province", None, None, None),
    ("SNV", "Sở Nội vụ", "CƠ QUAN CẤP TỈNH", "TINH", datetime(2019, 5, 1), date(2025, 6, 30)),
]


def xlsx(rows, header=COLUMNS) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def unit_count(db) -> int:
    return db.session.scalar(sa.select(sa.func.count(Unit.id)))


def _clear_g() -> None:
    """Empty ``g``, as each served request starts (tests/conftest.py)."""
    for name in list(g):
        g.pop(name)


@pytest.fixture(autouse=True)
def request_context(app, request):
    """Messages are built in the user's language, which the app reads from the request. CLI tests run
    as an operator does: without one."""
    if "runner" in request.fixturenames:
        yield
        return
    with app.test_request_context():
        _clear_g()
        yield
        _clear_g()  # the app context, and its ``g``, outlives this test: leave nothing behind


# --------------------------------------------------------------------------- the service


def test_good_file_creates_the_tree(db):
    result = import_units(xlsx(GOOD_ROWS))
    assert (result.ok, result.errors, result.created, result.updated) == (True, [], 4, 0)
    db.session.commit()
    units = {unit.code: unit for unit in db.session.scalars(sa.select(Unit))}
    assert {code: (u.parent.code if u.parent else None) for code, u in units.items()} == {
        "TINH": None,
        "TS": "TINH",
        "DB": "TS",
        "SNV": "TINH",
    }
    assert (units["DB"].kind, units["DB"].valid_from, units["DB"].search_name) == (
        UnitKind.COMMUNE,
        date(2021, 1, 1),
        "phuong dinh bang",
    )
    assert (units["SNV"].valid_from, units["SNV"].valid_to) == (date(2019, 5, 1), date(2025, 6, 30))
    assert units["TINH"].valid_from == date(2000, 1, 1)
    assert (
        db.session.scalar(sa.select(AuditEvent.after).where(AuditEvent.action == "import"))
        == '{"created":4,"updated":0}'
    )


def test_reimport_updates_existing_codes(db, make_unit):
    province = make_unit("Tỉnh cũ", code="TINH", kind=UnitKind.PROVINCE)
    make_unit("Sở cũ", code="SNV", parent=province)
    db.session.commit()
    result = import_units(xlsx(GOOD_ROWS))
    assert (result.ok, result.created, result.updated) == (True, 2, 2)
    db.session.commit()
    db.session.expire_all()
    province = db.session.scalar(sa.select(Unit).where(Unit.code == "TINH"))
    assert (province.name, province.search_name, province.valid_from) == (
        "Tỉnh Bắc Ninh",
        "tinh bac ninh",
        date(2020, 1, 1),  # an empty hieu_luc_tu keeps the date already stored
    )
    again = import_units(xlsx([("DB", "Phường Đình Bảng mới", "commune", "TINH", None, None)]))
    assert (again.ok, again.created, again.updated) == (True, 0, 1)
    db.session.expire_all()
    moved = db.session.scalar(sa.select(Unit).where(Unit.code == "DB"))
    assert (moved.name, moved.parent.code) == ("Phường Đình Bảng mới", "TINH")


def test_parent_may_already_exist_and_optional_columns_may_be_left_out(db, make_unit):
    make_unit("Tỉnh", code="TINH", kind=UnitKind.PROVINCE)
    db.session.commit()
    result = import_units(
        xlsx([("yp", "Huyện Yên Phong", "Cấp huyện", "tinh")], header=COLUMNS[:4])
    )
    assert (result.ok, result.created) == (True, 1)
    unit = db.session.scalar(sa.select(Unit).where(Unit.code == "YP"))
    assert (unit.parent.code, unit.valid_to) == ("TINH", None)


def errors_of(data: bytes) -> list[tuple[int, str]]:
    result = import_units(data)
    assert result.ok is False
    assert (result.created, result.updated) == (0, 0)
    return [(error.row, error.message) for error in result.errors]


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (
            ("X1", "Đơn vị", "other", None, "abc", None),
            "Cột hieu_luc_tu: “abc” không phải là ngày hợp lệ",
        ),
        (
            ("X1", "Đơn vị", "other", None, 45000, None),
            "Cột hieu_luc_tu: “45000” không phải là ngày",
        ),
        (("X1", True, "other", None, None, None), "Cột ten_don_vi: phải là văn bản."),
        (("X1", "Đơn vị", "trường học", None, None, None), "Loại đơn vị “trường học” không hợp lệ"),
        (("X1", "", "other", None, None, None), "Thiếu tên đơn vị."),
        (("X1", "Đ" * 256, "other", None, None, None), "Tên đơn vị dài quá 255 ký tự."),
        (("X" * 33, "Đơn vị", "other", None, None, None), "Mã đơn vị dài quá 32 ký tự."),
        (("X Y", "Đơn vị", "other", None, None, None), "chỉ được gồm chữ in hoa không dấu"),
        ((None, "Đơn vị", "other", None, None, None), "Thiếu mã đơn vị."),
        (("X1", "Đơn vị", None, None, None, None), "Thiếu loại đơn vị"),
        (
            ("X1", "Đơn vị", "other", "KHONGCO", None, None),
            "Không tìm thấy đơn vị cấp trên có mã “KHONGCO”",
        ),
        (("X1", "Đơn vị", "other", "X1", None, None), "Vòng lặp đơn vị cấp trên: X1 → X1."),
        (
            ("X1", "Đơn vị", "other", None, date(2024, 1, 1), date(2023, 1, 1)),
            "Hiệu lực đến (01/01/2023) không được trước hiệu lực từ (01/01/2024).",
        ),
    ],
)
def test_bad_row_is_reported_and_nothing_saved(db, row, expected):
    good = ("OK1", "Đơn vị tốt", "other", None, None, None)
    errors = errors_of(xlsx([good, row]))
    assert len(errors) == 1
    assert errors[0][0] == 3
    assert expected in errors[0][1]
    assert unit_count(db) == 0


@pytest.mark.parametrize("text", ['=HYPERLINK("http://x","a")', "+1", "-2+3", "@SUM(A1)", " =1+1"])
def test_formula_cell_is_refused(db, text):
    errors = errors_of(xlsx([("X1", text, "other", None, None, None)]))
    assert len(errors) == 1
    assert errors[0][0] == 2
    assert "Cột ten_don_vi: nội dung bắt đầu bằng" in errors[0][1]
    assert "có thể là công thức nên bị từ chối" in errors[0][1]
    assert unit_count(db) == 0


def test_every_error_is_reported(db, make_unit):
    make_unit("Đã có", code="CO")
    db.session.commit()
    rows = [
        ("A", "Đơn vị A", "other", "B", None, None),
        ("B", "Đơn vị B", "other", "A", None, None),  # A ↔ B: a cycle
        ("A", "Đơn vị A lần hai", "other", None, None, None),  # duplicate of row 2
        ("C", "=1+1", "other", "CO", "ngày mai", None),  # two errors in one row
        (None, None, None, None, None, None),  # blank rows are skipped
        ("D", "Đơn vị D", "other", "CO", None, None),  # a good row is not saved either
    ]
    errors = errors_of(xlsx(rows))
    assert [row for row, _ in errors] == [2, 3, 4, 5, 5]
    assert "Vòng lặp đơn vị cấp trên: A → B → A." in errors[0][1]
    assert "Vòng lặp đơn vị cấp trên: B → A → B." in errors[1][1]
    assert errors[2][1] == "Mã đơn vị “A” trùng với dòng 2 trong tệp."
    assert unit_count(db) == 1


def test_a_unit_may_not_outlive_its_parent(db, make_unit):
    parent = make_unit("Huyện", code="H")
    make_unit("Xã", code="X", parent=parent)
    db.session.commit()
    errors = errors_of(xlsx([("H", "Huyện", "district", None, None, date(2025, 6, 30))]))
    assert errors == [
        (
            2,
            "Đơn vị trực thuộc X vẫn hoạt động sau ngày 30/06/2025. Hãy chuyển hoặc cho ngừng hoạt "
            "động đơn vị đó trước (có thể thêm dòng cho nó vào tệp).",
        )
    ]
    errors = errors_of(
        xlsx(
            [
                ("H", "Huyện", "district", None, None, date(2025, 6, 30)),
                ("X", "Xã", "commune", "H", None, None),
            ]
        )
    )
    assert errors[0][0] == 3 and "Đơn vị cấp trên H ngừng hoạt động từ 30/06/2025" in errors[0][1]
    result = import_units(
        xlsx(
            [
                ("H", "Huyện", "district", None, None, date(2025, 6, 30)),
                ("X", "Xã", "commune", "H", None, date(2025, 6, 30)),
            ]
        )
    )
    assert (result.ok, result.updated) == (True, 2)


def test_header_problems(db):
    assert errors_of(xlsx([("X", "Y")], header=("ma_don_vi", "ten"))) == [
        (
            1,
            "Cột “ten” không được hỗ trợ. Các cột hợp lệ: ma_don_vi, ten_don_vi, loai, "
            "ma_don_vi_cap_tren, hieu_luc_tu, hieu_luc_den.",
        ),
        (1, "Thiếu cột bắt buộc: ten_don_vi, loai. Hãy dùng dòng tiêu đề của mẫu tải về."),
    ]
    header = ("Ma_Don_Vi", "ten_don_vi", "loai", "loai")
    assert errors_of(xlsx([], header=header)) == [(1, "Cột “loai” xuất hiện hai lần.")]
    assert errors_of(xlsx([])) == [(2, "Tệp không có dòng dữ liệu nào.")]


def _bomb() -> bytes:
    """A real workbook plus a member of 60 MB of zeros: ~60 KB on disk, over the 50 MB default."""
    buffer = BytesIO(xlsx(GOOD_ROWS))
    with zipfile.ZipFile(buffer, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/media/zeros.bin", bytes(60 * 1024 * 1024))
    return buffer.getvalue()


def test_zip_bomb_is_refused_before_parsing(db):
    data = _bomb()
    assert len(data) < 200_000
    errors = errors_of(data)
    assert len(errors) == 1
    assert errors[0][0] == 0
    assert "vượt giới hạn 50 MB (có thể là tệp nén độc hại)" in errors[0][1]
    assert unit_count(db) == 0


def test_limits_come_from_config(app, db):
    data = xlsx(GOOD_ROWS)
    old = dict(app.config)
    try:
        app.config["IMPORT_MAX_UNCOMPRESSED_BYTES"] = 1000
        assert "vượt giới hạn" in errors_of(data)[0][1]
        app.config["IMPORT_MAX_UNCOMPRESSED_BYTES"] = old["IMPORT_MAX_UNCOMPRESSED_BYTES"]
        app.config["IMPORT_MAX_ROWS"] = 3
        assert errors_of(data) == [
            (0, "Tệp có quá nhiều dòng (tối đa 3 dòng dữ liệu). Hãy chia thành nhiều tệp.")
        ]
    finally:
        app.config.update(old)
    assert unit_count(db) == 0


@pytest.mark.parametrize(
    "data",
    [b"not a zip at all", b"PK\x03\x04broken", b""],
    ids=["text", "truncated", "empty"],
)
def test_not_a_workbook_is_refused(db, data):
    assert errors_of(data) == [
        (
            0,
            "Tệp không phải là tệp Excel .xlsx hợp lệ hoặc đã bị hỏng. Hãy dùng mẫu tải về và lưu "
            "dưới dạng Excel Workbook (.xlsx).",
        )
    ]


def test_zip_that_is_not_a_workbook_is_refused(db):
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "xin chào")
    assert errors_of(buffer.getvalue())[0][0] == 0
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:  # the right names, garbage inside
        archive.writestr("[Content_Types].xml", "<nope")
        archive.writestr("xl/workbook.xml", "<nope")
    assert errors_of(buffer.getvalue())[0][0] == 0


# --------------------------------------------------------------------------- the CLI


def test_cli_import_good_file(runner, db, tmp_path):
    path = tmp_path / "don_vi.xlsx"
    path.write_bytes(xlsx(GOOD_ROWS))
    result = runner.invoke(args=["import-units", str(path)])
    assert result.exit_code == 0, result.output
    assert "Đã nhập 4 đơn vị mới, cập nhật 0 đơn vị." in result.output
    assert unit_count(db) == 4
    actor = db.session.scalar(sa.select(AuditEvent.actor_name).where(AuditEvent.action == "import"))
    assert actor == "cli:import-units"


def test_cli_import_bad_file_saves_nothing(runner, db, tmp_path):
    path = tmp_path / "loi.xlsx"
    path.write_bytes(xlsx([*GOOD_ROWS, ("TS", "Trùng", "other", None, None, None)]))
    result = runner.invoke(args=["import-units", str(path)])
    assert result.exit_code == 1
    assert "Dòng 6: Mã đơn vị “TS” trùng với dòng 2 trong tệp." in result.output
    assert "Không có đơn vị nào được lưu vì tệp có lỗi." in result.output
    assert unit_count(db) == 0


# --------------------------------------------------------------------------- views


def test_template_download(client, login_as, db):
    login_as(Role.ADMIN)
    response = client.get("/admin/units/template.xlsx")
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "mau_nhap_don_vi.xlsx" in response.headers["Content-Disposition"]
    workbook = load_workbook(BytesIO(response.data))
    units, guide = workbook.worksheets
    assert [cell.value for cell in units[1]] == list(COLUMNS)
    assert [cell.value for cell in units[2]][:4] == ["SNV", "Sở Nội vụ", "Cơ quan cấp tỉnh", "TINH"]
    guide_text = [cell.value for row in guide.iter_rows() for cell in row if cell.value]
    for expected in (*COLUMNS, "Cơ quan cấp tỉnh", "Cấp xã", "Doanh nghiệp", "province"):
        assert expected in guide_text


def test_export_then_import_round_trip(client, login_as, db, make_unit):
    province = make_unit("Tỉnh Bắc Ninh", code="TINH", kind=UnitKind.PROVINCE)
    district = make_unit("Thành phố Từ Sơn", code="TS", kind=UnitKind.DISTRICT, parent=province)
    retired = make_unit("Phường cũ", code="PC", kind=UnitKind.COMMUNE, parent=district)
    retired.valid_to = date(2024, 12, 31)
    db.session.commit()
    login_as(Role.BOARD)
    response = client.get("/admin/units/export.xlsx")
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(BytesIO(response.data)).worksheets[0]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == list(COLUMNS)
    assert rows[1:] == [
        ["TINH", "Tỉnh Bắc Ninh", "Tỉnh", None, datetime(2020, 1, 1), None],
        ["TS", "Thành phố Từ Sơn", "Cấp huyện", "TINH", datetime(2020, 1, 1), None],
        ["PC", "Phường cũ", "Cấp xã", "TS", datetime(2020, 1, 1), datetime(2024, 12, 31)],
    ]
    before = {
        u.code: (u.name, u.kind, u.parent_id, u.valid_from, u.valid_to)
        for u in db.session.scalars(sa.select(Unit))
    }
    result = import_units(response.data)
    assert (result.ok, result.errors, result.created, result.updated) == (True, [], 0, 3)
    db.session.commit()
    db.session.expire_all()
    after = {
        u.code: (u.name, u.kind, u.parent_id, u.valid_from, u.valid_to)
        for u in db.session.scalars(sa.select(Unit))
    }
    assert after == before


def test_upload_page_reports_errors_and_saves_nothing(client, login_as, db):
    login_as(Role.ADMIN)
    page = client.get("/admin/units/import").get_data(as_text=True)
    assert 'type="file"' in page and "/admin/units/template.xlsx" in page
    bad = xlsx([*GOOD_ROWS, ("XX", "=cmd|' /C calc'!A0", "other", None, None, None)])
    response = client.post(
        "/admin/units/import",
        data={"file": (BytesIO(bad), "don_vi.xlsx")},
        content_type="multipart/form-data",
    )
    html = response.get_data(as_text=True)
    assert "Tệp có 1 lỗi nên không có đơn vị nào được lưu." in html
    assert '<td class="text-nowrap">6</td>' in html
    assert "có thể là công thức nên bị từ chối" in html
    assert unit_count(db) == 0


def test_upload_page_imports_good_file(client, login_as, db):
    login_as(Role.ADMIN)
    response = client.post(
        "/admin/units/import",
        data={"file": (BytesIO(xlsx(GOOD_ROWS)), "don_vi.xlsx")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "Đã nhập 4 đơn vị mới và cập nhật 0 đơn vị." in response.get_data(as_text=True)
    assert unit_count(db) == 4


def test_upload_page_refuses_other_file_types(client, login_as, db):
    login_as(Role.ADMIN)
    response = client.post(
        "/admin/units/import",
        data={"file": (BytesIO(b"a,b"), "don_vi.csv")},
        content_type="multipart/form-data",
    )
    assert "Chỉ nhận tệp Excel .xlsx" in response.get_data(as_text=True)
    assert unit_count(db) == 0


# --------------------------------------------------------------------------- exports/excel.py


def test_writer_never_writes_user_text_as_formula():
    hostile = ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", '=HYPERLINK("http://x")']
    data = write_workbook(
        [SheetData(title="Dữ liệu", header=["cot"], rows=[[text] for text in hostile])]
    )
    with zipfile.ZipFile(BytesIO(data)) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml
    sheet = load_workbook(BytesIO(data)).worksheets[0]
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    # XML turns a carriage return into a line feed; what matters is that the text stays text.
    assert [cell.value for cell in cells] == [text.replace("\r", "\n") for text in hostile]
    assert {cell.data_type for cell in cells} == {"s"}
    assert all(cell.quotePrefix for cell in cells)


def test_writer_keeps_plain_values():
    data = write_workbook(
        [
            SheetData(
                title="A",
                header=["a", "b", "c"],
                rows=[["Nguyễn", 7020000, date(2025, 10, 10)]],
                widths=(10, 10),
            )
        ]
    )
    sheet = load_workbook(BytesIO(data)).worksheets[0]
    assert [cell.value for cell in sheet[2]] == ["Nguyễn", 7020000, datetime(2025, 10, 10)]
    assert sheet["C2"].number_format == "dd/mm/yyyy"
    assert sheet["A1"].font.bold is True


def test_reader_returns_excel_row_numbers_and_stops_at_the_row_limit():
    data = xlsx([("A",), (None,), ("C",)], header=(" ma ",))
    headers, rows = read_sheet(data, max_uncompressed=10**7, max_rows=10)
    assert (headers, list(rows)) == (["ma"], [(2, ("A",)), (3, (None,)), (4, ("C",))])
    with pytest.raises(TooManyRowsError):
        headers, rows = read_sheet(data, max_uncompressed=10**7, max_rows=2)
        list(rows)


def test_reader_refuses_bombs_and_non_workbooks():
    with pytest.raises(WorkbookTooLargeError) as caught:
        read_sheet(_bomb(), max_uncompressed=50 * 1024 * 1024, max_rows=10)
    assert caught.value.declared > 60 * 1024 * 1024
    with pytest.raises(NotAWorkbookError):
        read_sheet(b"\x00" * 100, max_uncompressed=10**7, max_rows=10)


def test_row_error_is_plain_data():
    assert RowError(3, "x") == RowError(3, "x")
