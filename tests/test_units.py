"""Units: the tree services (unit tests) and one integration test per view."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from flask import g

from awards import unit_tree
from awards.unit_tree import UnitError
from models import AuditEvent, Role, Unit, UnitKind

YESTERDAY = date.today() - timedelta(days=1)


def _clear_g() -> None:
    """Empty ``g``, as each served request starts (tests/conftest.py)."""
    for name in list(g):
        g.pop(name)


@pytest.fixture(autouse=True)
def request_context(app):
    """Services build their messages in the user's language, which the app reads from the request."""
    with app.test_request_context():
        _clear_g()
        yield
        _clear_g()  # the app context, and its ``g``, outlives this test: leave nothing behind


@pytest.fixture()
def tree(db, make_unit):
    """TINH ─┬─ SNV
    └─ TS ─┬─ DB (Phường Đình Bảng)
           └─ DK (Phường Đồng Kỵ)"""
    tinh = make_unit("Tỉnh Bắc Ninh", code="TINH", kind=UnitKind.PROVINCE)
    snv = make_unit("Sở Nội vụ", code="SNV", parent=tinh)
    ts = make_unit("Thành phố Từ Sơn", code="TS", kind=UnitKind.DISTRICT, parent=tinh)
    dinh_bang = make_unit("Phường Đình Bảng", code="DB", kind=UnitKind.COMMUNE, parent=ts)
    dong_ky = make_unit("Phường Đồng Kỵ", code="DK", kind=UnitKind.COMMUNE, parent=ts)
    db.session.commit()
    return {"TINH": tinh, "SNV": snv, "TS": ts, "DB": dinh_bang, "DK": dong_ky}


def codes(rows):
    return [(row.code, row.depth) for row in rows]


# --------------------------------------------------------------------------- services


def test_create_unit_normalises_and_places_under_parent(tree, db):
    unit = unit_tree.create_unit(
        code=" snv.tccb ",
        name="Phòng Tổ chức cán bộ",
        kind=UnitKind.OTHER,
        parent=tree["SNV"],
        valid_from=date(2024, 1, 1),
    )
    assert (unit.code, unit.parent_id, unit.valid_from) == (
        "SNV.TCCB",
        tree["SNV"].id,
        date(2024, 1, 1),
    )
    assert unit.search_name == "phong to chuc can bo"
    created = db.session.scalars(
        sa.select(AuditEvent).where(
            AuditEvent.object_type == "units", AuditEvent.action == "create"
        )
    ).all()
    assert str(unit.id) in {event.object_id for event in created}


@pytest.mark.parametrize(
    ("code", "name", "message"),
    [
        ("SNV", "Trùng mã", "đã được dùng"),
        ("-X", "Mã sai", "chỉ được gồm"),
        ("A" * 33, "Mã dài", "dài quá 32"),
        ("NEW", "=HYPERLINK(1)", "không được bắt đầu"),
        ("NEW", "", "Thiếu tên"),
    ],
)
def test_create_unit_refuses_bad_input(tree, db, code, name, message):
    with pytest.raises(UnitError, match=message):
        unit_tree.create_unit(code=code, name=name, kind=UnitKind.OTHER)
    assert db.session.scalar(sa.select(sa.func.count(Unit.id))) == 5


def test_create_unit_refuses_retired_parent(tree):
    unit_tree.retire_unit(tree["SNV"], YESTERDAY)
    with pytest.raises(UnitError, match="Đơn vị cấp trên SNV ngừng hoạt động"):
        unit_tree.create_unit(code="NEW", name="Mới", kind=UnitKind.OTHER, parent=tree["SNV"])


def test_update_unit_changes_fields(tree, db):
    unit = tree["SNV"]
    unit_tree.update_unit(
        unit, code="snv2", name="Sở Nội vụ tỉnh", kind=UnitKind.OTHER, valid_from=date(2019, 5, 1)
    )
    db.session.commit()
    db.session.expire_all()
    assert (unit.code, unit.name, unit.search_name, unit.kind, unit.valid_from) == (
        "SNV2",
        "Sở Nội vụ tỉnh",
        "so noi vu tinh",
        UnitKind.OTHER,
        date(2019, 5, 1),
    )


def test_update_unit_refuses_taken_code_and_start_after_end(tree):
    with pytest.raises(UnitError, match="đã được dùng"):
        unit_tree.update_unit(
            tree["SNV"],
            code="TS",
            name="Sở Nội vụ",
            kind=UnitKind.OTHER,
            valid_from=date(2020, 1, 1),
        )
    unit_tree.retire_unit(tree["SNV"], date(2023, 12, 31))
    with pytest.raises(UnitError, match="31/12/2023"):
        unit_tree.update_unit(
            tree["SNV"],
            code="SNV",
            name="Sở Nội vụ",
            kind=UnitKind.OTHER,
            valid_from=date(2024, 1, 1),
        )


def test_move_unit_moves_subtree(tree, db):
    unit_tree.move_unit(tree["TS"], tree["SNV"])
    db.session.commit()
    assert codes(unit_tree.tree_rows()) == [
        ("TINH", 0),
        ("SNV", 1),
        ("TS", 2),
        ("DB", 3),
        ("DK", 3),
    ]
    unit_tree.move_unit(tree["TS"], None)
    assert tree["TS"].parent_id is None


@pytest.mark.parametrize("target", ["TS", "DB"])
def test_move_unit_refuses_cycles(tree, target):
    with pytest.raises(UnitError, match="chính nó hoặc vào một đơn vị trực thuộc"):
        unit_tree.move_unit(tree["TS"], tree[target])
    assert tree["TS"].parent_id == tree["TINH"].id


def test_move_unit_refuses_a_parent_that_ends_first(tree):
    unit_tree.retire_unit(tree["SNV"], YESTERDAY)
    with pytest.raises(UnitError, match="ngừng hoạt động không muộn hơn"):
        unit_tree.move_unit(tree["DB"], tree["SNV"])


def test_retire_unit_sets_end_date(tree, db):
    unit_tree.retire_unit(tree["DB"], YESTERDAY)
    db.session.commit()
    assert tree["DB"].valid_to == YESTERDAY
    assert tree["DB"].is_retired is True
    assert db.session.get(Unit, tree["DB"].id) is not None  # never deleted


def test_retire_unit_refuses_active_children(tree):
    unit_tree.retire_unit(tree["DB"], date(2024, 6, 30))
    with pytest.raises(UnitError) as caught:
        unit_tree.retire_unit(tree["TS"], date(2024, 12, 31))
    message = str(caught.value)
    assert "DK — Phường Đồng Kỵ" in message
    assert "Đình Bảng" not in message  # retired before that day
    assert "Hãy chuyển hoặc cho ngừng hoạt động các đơn vị đó trước." in message
    assert tree["TS"].valid_to is None
    unit_tree.retire_unit(tree["DK"], date(2024, 12, 31))
    unit_tree.retire_unit(tree["TS"], date(2024, 12, 31))
    assert tree["TS"].valid_to == date(2024, 12, 31)


def test_retire_unit_refuses_date_before_start(tree):
    with pytest.raises(UnitError, match="01/01/2020"):
        unit_tree.retire_unit(tree["SNV"], date(2019, 12, 31))


def test_reactivate_unit(tree):
    unit_tree.retire_unit(tree["DB"], YESTERDAY)
    unit_tree.retire_unit(tree["DK"], YESTERDAY)
    unit_tree.retire_unit(tree["TS"], YESTERDAY)
    with pytest.raises(UnitError, match="khôi phục đơn vị cấp trên"):
        unit_tree.reactivate_unit(tree["DB"])
    unit_tree.reactivate_unit(tree["TS"])
    unit_tree.reactivate_unit(tree["DB"])
    assert (tree["TS"].valid_to, tree["DB"].valid_to) == (None, None)
    with pytest.raises(UnitError, match="đang hoạt động"):
        unit_tree.reactivate_unit(tree["DB"])


def test_descendant_ids_and_ancestors(tree):
    assert unit_tree.descendant_ids(tree["TINH"].id) == {
        tree[c].id for c in ("SNV", "TS", "DB", "DK")
    }
    assert unit_tree.descendant_ids(tree["DB"].id) == set()
    assert unit_tree.ancestors(tree["DB"]) == [tree["TINH"], tree["TS"]]
    assert unit_tree.ancestors(tree["TINH"]) == []


def test_tree_rows_depth_first_with_siblings_by_code(db, make_unit):
    # Codes chosen so that a naive sort of code paths would interleave subtrees.
    a = make_unit("A", code="A")
    make_unit("AB", code="AB")
    a1 = make_unit("A-1", code="A-1", parent=a)
    make_unit("A.2", code="A.2", parent=a)
    make_unit("A-1-X", code="A-1-X", parent=a1)
    make_unit("Z", code="Z", parent=a)
    assert codes(unit_tree.tree_rows()) == [
        ("A", 0),
        ("A-1", 1),
        ("A-1-X", 2),
        ("A.2", 1),
        ("Z", 1),
        ("AB", 0),
    ]


def test_tree_rows_siblings_by_kind_then_code(db, make_unit):
    root = make_unit("Tỉnh", code="T", kind=UnitKind.PROVINCE)
    make_unit("VNPT", code="A-VNPT", kind=UnitKind.ENTERPRISE, parent=root)
    make_unit("Huyện", code="B-H", kind=UnitKind.DISTRICT, parent=root)
    make_unit("Sở", code="Z-SO", kind=UnitKind.PROVINCIAL_BODY, parent=root)
    assert [row.code for row in unit_tree.tree_rows()] == ["T", "Z-SO", "B-H", "A-VNPT"]


def test_tree_rows_is_one_query_for_many_units(db, app, make_unit):
    root = make_unit("Tỉnh", code="ROOT")
    for district in range(10):
        parent = make_unit(f"Huyện {district}", code=f"H{district}", parent=root)
        for commune in range(20):
            make_unit(f"Xã {district}-{commune}", code=f"H{district}X{commune:02d}", parent=parent)
    db.session.commit()
    statements = []

    def count(connection, cursor, statement, *args):
        if not statement.startswith("BEGIN"):
            statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        rows = unit_tree.tree_rows()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    assert len(rows) == 211
    assert len(statements) == 1
    assert codes(rows[:3]) == [("ROOT", 0), ("H0", 1), ("H0X00", 2)]
    assert codes(rows[-1:]) == [("H9X19", 2)]


def test_tree_rows_hide_retired_unless_asked(tree):
    unit_tree.retire_unit(tree["DB"], YESTERDAY)
    unit_tree.retire_unit(tree["DK"], date.today())  # still in force today
    assert [row.code for row in unit_tree.tree_rows()] == ["TINH", "SNV", "TS", "DK"]
    assert [row.code for row in unit_tree.tree_rows(include_retired=True)] == [
        "TINH",
        "SNV",
        "TS",
        "DB",
        "DK",
    ]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("dinh bang", ["DB"]),
        ("ĐÌNH BẢNG", ["DB"]),
        ("phuong", ["DB", "DK"]),
        ("db", ["DB"]),
        ("%", []),
        ("_", []),
    ],
)
def test_search_accent_insensitive(tree, query, expected):
    rows = unit_tree.fetch_rows(unit_tree.search_statement(query))
    assert [row.code for row in rows] == expected
    assert all(row.parent_name == "Thành phố Từ Sơn" for row in rows)


def test_search_nguyen_finds_nguyen_with_accents(db, make_unit):
    make_unit("Trường THPT Nguyễn Văn Cừ", code="NVC")
    make_unit("Trường THPT Lý Thái Tổ", code="LTT")
    rows = unit_tree.fetch_rows(unit_tree.search_statement("nguyen"))
    assert [row.name for row in rows] == ["Trường THPT Nguyễn Văn Cừ"]


def test_search_by_kind_and_retired(tree):
    unit_tree.retire_unit(tree["DK"], YESTERDAY)
    stmt = unit_tree.search_statement(kind=UnitKind.COMMUNE)
    assert [row.code for row in unit_tree.fetch_rows(stmt)] == ["DB"]
    stmt = unit_tree.search_statement(kind=UnitKind.COMMUNE, include_retired=True)
    assert [row.code for row in unit_tree.fetch_rows(stmt)] == ["DB", "DK"]
    assert unit_tree.count_rows(stmt) == 2
    assert [row.code for row in unit_tree.fetch_rows(stmt, limit=1, offset=1)] == ["DK"]


# --------------------------------------------------------------------------- views


def test_index_shows_tree_with_indentation(client, login_as, tree):
    login_as(Role.BOARD)
    html = client.get("/admin/units/").get_data(as_text=True)
    positions = [
        html.index(name)
        for name in ("Tỉnh Bắc Ninh", "Sở Nội vụ", "Thành phố Từ Sơn", "Phường Đình Bảng")
    ]
    assert positions == sorted(positions)
    assert html.count('class="tree-indent-2"') == 2
    assert html.count('class="tree-indent-1"') == 2
    assert "Cây đơn vị: 5 đơn vị." in html
    assert "Thêm đơn vị" not in html  # the board reads, the administrator writes
    assert "Xuất Excel" in html


def test_index_search_shows_flat_matches_with_parent(client, login_as, tree):
    login_as(Role.ADMIN)
    html = client.get("/admin/units/", query_string={"q": "dinh bang"}).get_data(as_text=True)
    assert "Phường Đình Bảng" in html
    assert "Phường Đồng Kỵ" not in html
    assert "<td>Thành phố Từ Sơn</td>" in html
    assert "Tìm thấy 1 đơn vị." in html
    assert "tree-indent" not in html
    assert "Thêm đơn vị" in html


def test_index_filters_kind_and_shows_retired_on_request(client, login_as, tree, db):
    unit_tree.retire_unit(tree["DK"], YESTERDAY)
    db.session.commit()
    login_as(Role.ADMIN)
    html = client.get("/admin/units/", query_string={"kind": "commune"}).get_data(as_text=True)
    assert ("Phường Đình Bảng" in html, "Phường Đồng Kỵ" in html) == (True, False)
    html = client.get("/admin/units/", query_string={"kind": "commune", "retired": "y"}).get_data(
        as_text=True
    )
    assert ("Phường Đồng Kỵ" in html, "Đã ngừng hoạt động" in html) == (True, True)


def test_detail_shows_path_children_and_actions(client, login_as, tree):
    login_as(Role.ADMIN)
    html = client.get(f"/admin/units/{tree['TS'].id}").get_data(as_text=True)
    assert "Tỉnh Bắc Ninh</a></li>" in html
    assert "Phường Đình Bảng" in html and "Phường Đồng Kỵ" in html
    assert f"/admin/units/{tree['TS'].id}/retire" in html
    assert client.get("/admin/units/999999").status_code == 404


def test_create_view(client, login_as, tree, db):
    login_as(Role.ADMIN)
    response = client.post(
        "/admin/units/new",
        data={
            "code": "ts-vp",
            "name": "Văn phòng HĐND và UBND thành phố",
            "kind": "other",
            "parent_id": str(tree["TS"].id),
            "valid_from": "2021-03-01",
        },
    )
    unit = db.session.scalar(sa.select(Unit).where(Unit.code == "TS-VP"))
    assert response.headers["Location"] == f"/admin/units/{unit.id}"
    assert (unit.parent_id, unit.valid_from) == (tree["TS"].id, date(2021, 3, 1))
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Đã thêm đơn vị TS-VP — Văn phòng HĐND và UBND thành phố." in html


def test_create_view_reports_taken_code(client, login_as, tree, db):
    login_as(Role.ADMIN)
    html = client.post(
        "/admin/units/new",
        data={
            "code": "SNV",
            "name": "Khác",
            "kind": "other",
            "parent_id": "0",
            "valid_from": "2021-03-01",
        },
    ).get_data(as_text=True)
    assert "Mã đơn vị “SNV” đã được dùng cho đơn vị khác." in html
    assert db.session.scalar(sa.select(sa.func.count(Unit.id))) == 5


def test_edit_view(client, login_as, tree, db):
    login_as(Role.ADMIN)
    form = client.get(f"/admin/units/{tree['SNV'].id}/edit").get_data(as_text=True)
    assert 'value="Sở Nội vụ"' in form
    response = client.post(
        f"/admin/units/{tree['SNV'].id}/edit",
        data={
            "code": "SNV",
            "name": "Sở Nội vụ tỉnh Bắc Ninh",
            "kind": "provincial_body",
            "valid_from": "2020-01-01",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Unit, tree["SNV"].id).name == "Sở Nội vụ tỉnh Bắc Ninh"


def test_move_view(client, login_as, tree, db):
    login_as(Role.ADMIN)
    page = client.get(f"/admin/units/{tree['TS'].id}/move").get_data(as_text=True)
    assert f'value="{tree["DB"].id}"' not in page  # its own descendants are not offered
    assert f'value="{tree["SNV"].id}"' in page
    refused = client.post(f"/admin/units/{tree['TS'].id}/move", data={"parent_id": tree["DB"].id})
    assert refused.status_code == 200
    response = client.post(f"/admin/units/{tree['TS'].id}/move", data={"parent_id": tree["SNV"].id})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Unit, tree["TS"].id).parent_id == tree["SNV"].id
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Đã chuyển đơn vị TS sang Sở Nội vụ." in html


def test_retire_view_refuses_active_children_then_retires(client, login_as, tree, db):
    login_as(Role.ADMIN)
    html = client.post(
        f"/admin/units/{tree['TS'].id}/retire", data={"valid_to": "2025-06-30"}
    ).get_data(as_text=True)
    assert "Hãy chuyển hoặc cho ngừng hoạt động các đơn vị đó trước." in html
    db.session.expire_all()
    assert db.session.get(Unit, tree["TS"].id).valid_to is None
    response = client.post(f"/admin/units/{tree['DB'].id}/retire", data={"valid_to": "2025-06-30"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Unit, tree["DB"].id).valid_to == date(2025, 6, 30)
    assert "còn hiệu lực đến hết ngày 30/06/2025" in client.get(
        response.headers["Location"]
    ).get_data(as_text=True)


def test_reactivate_view(client, login_as, tree, db):
    unit_tree.retire_unit(tree["DB"], YESTERDAY)
    db.session.commit()
    login_as(Role.ADMIN)
    response = client.post(f"/admin/units/{tree['DB'].id}/reactivate")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Unit, tree["DB"].id).valid_to is None
    again = client.post(f"/admin/units/{tree['DB'].id}/reactivate", follow_redirects=True)
    assert "Đơn vị DB đang hoạt động." in again.get_data(as_text=True)


def test_board_cannot_change_units(client, login_as, tree, db):
    login_as(Role.BOARD)
    response = client.post(f"/admin/units/{tree['DB'].id}/retire", data={"valid_to": "2025-06-30"})
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(Unit, tree["DB"].id).valid_to is None
