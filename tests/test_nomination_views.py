"""Nomination pages (``awards/nomination_views.py``): the list, the form (new, edit, preview, stale
version), the detail page and the workflow buttons. Who reaches each route is declared in
``tests/access_rules/nominations.py``; here: what each page does, and that scope holds (404)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from html import unescape

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm.exc import StaleDataError

from awards import clock, nomination_views, nominations
from awards.extensions import db as _db
from models import (
    Criterion,
    Nomination,
    NominationEvent,
    NominationState,
    RecipientKind,
    Role,
    RoundPhase,
    Sex,
    StaffCategory,
    Unit,
    UnitKind,
    User,
)
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

XSS = "<script>alert(1)</script>"


@dataclass
class Scene:
    filing: Filing
    unit: Unit
    child: Unit
    clerk: User
    head: User
    other_unit: Unit
    other_clerk: User
    other_head: User
    board: User
    approver: User
    reviewer: User

    def criterion(self, code: str) -> Criterion:
        return self.filing.criteria[code]

    @property
    def code(self) -> str:
        return self.filing.round.code


@pytest.fixture()
def scene(db: object, monkeypatch: pytest.MonkeyPatch) -> Scene:
    monkeypatch.setattr(clock, "today", lambda: IN_WINDOW)
    filing = make_filing()
    unit = make_unit("Sở Thông tin và Truyền thông")
    child = Unit(
        code=f"{unit.code}-CDS",
        name="Trung tâm Công nghệ thông tin và Truyền thông",
        kind=UnitKind.OTHER,
        parent=unit,
    )
    _db.session.add(child)
    other_unit = make_unit("Ủy ban nhân dân huyện Gia Bình", kind=UnitKind.DISTRICT)
    built = Scene(
        filing=filing,
        unit=unit,
        child=child,
        clerk=make_user(Role.UNIT_CLERK, unit=unit),
        head=make_user(Role.UNIT_HEAD, unit=unit),
        other_unit=other_unit,
        other_clerk=make_user(Role.UNIT_CLERK, unit=other_unit),
        other_head=make_user(Role.UNIT_HEAD, unit=other_unit),
        board=filing.board,
        approver=make_user(Role.APPROVER),
        reviewer=make_user(Role.REVIEWER),
    )
    _db.session.commit()
    return built


def _as(client: FlaskClient, user: User) -> FlaskClient:
    response = login(client, user.username)
    assert response.status_code == 302
    return client


def _text(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True)


def _count() -> int:
    return _db.session.scalar(sa.select(sa.func.count()).select_from(Nomination))


def _only() -> Nomination:
    _db.session.expire_all()
    return _db.session.scalars(sa.select(Nomination)).one()


def _collective_post(scene: Scene, **changes: str) -> dict[str, str]:
    data = {
        "nominee_name": "Phòng Chuyển đổi số",
        "nominee_unit_id": str(scene.child.id),
        "headcount": "18",
        "women_share": "72,5",
        "award_form_id": str(scene.filing.form.id),
        "citation": "Đã có thành tích xuất sắc trong phong trào thi đua “Chuyển đổi số”",
        "report_profile": "Phòng có 18 công chức.\r\nChức năng: tham mưu về chuyển đổi số.",
        "report_achievements": "Tỷ lệ hồ sơ trực tuyến toàn trình đạt 92%.",
        "report_measures": "Số hóa kết quả giải quyết thủ tục hành chính.",
        f"score_{scene.criterion('1.1').id}": "35,5",
        f"value_{scene.criterion('1.2').id}": "92",
        f"score_{scene.criterion('1.2').id}": "",
        f"score_{scene.criterion('1.3').id}": "20",
        "past_awards-0-year": "2023",
        "past_awards-0-award": "Giấy khen của Giám đốc Sở Nội vụ",
        "past_awards-0-decision_number": "125/QĐ-SNV ngày 05/10/2023",
        "past_awards-1-year": "",
        "past_awards-1-award": "",
        "past_awards-1-decision_number": "",
        "submit": "Lưu hồ sơ",
    }
    data.update(changes)
    return data


def _individual_post(scene: Scene, **changes: str) -> dict[str, str]:
    data = {
        "nominee_name": "Nguyễn Thị Phượng",
        "sex": "female",
        "date_of_birth": "12/04/1986",
        "citizen_id": "027186000123",
        "position": "Trưởng phòng Chuyển đổi số",
        "staff_category": "leader",
        "workplace": "Phòng Chuyển đổi số, Sở Thông tin và Truyền thông",
        "award_form_id": str(scene.filing.form.id),
        "citation": "Đã có thành tích xuất sắc trong phong trào thi đua “Chuyển đổi số”",
        "report_profile": "Sinh năm 1986, quê quán Bắc Ninh; kỹ sư công nghệ thông tin.",
        "report_achievements": "Chủ trì xây dựng kho dữ liệu dùng chung của tỉnh.",
        "report_measures": "Sáng kiến số hóa hồ sơ một cửa được công nhận cấp tỉnh.",
        f"score_{scene.criterion('1.1').id}": "30",
        f"score_{scene.criterion('1.3').id}": "25",
        f"value_{scene.criterion('2.1').id}": "4",
        f"score_{scene.criterion('2.1').id}": "20",
        "submit": "Lưu hồ sơ",
    }
    data.update(changes)
    return data


def _new_url(scene: Scene, kind: str) -> str:
    return f"/nominations/new?round={scene.code}&kind={kind}"


# --------------------------------------------------------------------------- new nominations


def test_chooser_lists_the_rounds_open_for_filing(client: FlaskClient, scene: Scene) -> None:
    closed = make_filing(phase=RoundPhase.SETUP)
    _db.session.commit()

    page = _text(_as(client, scene.clerk).get("/nominations/new"))

    assert f"/nominations/new?round={scene.code}&amp;kind=collective" in page
    assert f"/nominations/new?round={scene.code}&amp;kind=individual" in page
    assert closed.round.code not in page


def test_form_offers_the_criteria_award_forms_and_subtree_of_the_kind(
    client: FlaskClient, scene: Scene
) -> None:
    collective = _text(_as(client, scene.clerk).get(_new_url(scene, "collective")))
    individual = _text(client.get(_new_url(scene, "individual")))

    for code in ("1.1", "1.2", "1.3"):
        assert f'name="score_{scene.criterion(code).id}"' in collective
    assert f'name="score_{scene.criterion("2.1").id}"' not in collective
    assert f'name="value_{scene.criterion("1.2").id}"' in collective
    assert f'name="value_{scene.criterion("1.1").id}"' not in collective
    assert f'name="score_{scene.criterion("2.1").id}"' in individual
    assert "I. Đặc điểm, tình hình" in collective and "I. Sơ lược lý lịch" in individual
    assert 'name="headcount"' in collective and 'name="headcount"' not in individual
    assert 'name="citizen_id"' in individual and 'name="past_awards-2-year"' in individual
    # The collective's parent: the filing unit and its subtree, nothing else.
    select = collective.split('name="nominee_unit_id"')[1].split("</select>")[0]
    assert set(re.findall(r'<option[^>]*value="(\d+)"', select)) == {
        "0",
        str(scene.unit.id),
        str(scene.child.id),
    }
    assert f'value="{scene.child.id}"' in collective
    assert f'value="{scene.other_unit.id}"' not in collective
    assert 'src="/static/js/nominations.js"' in collective


def test_clerk_creates_a_collective_draft(client: FlaskClient, scene: Scene) -> None:
    response = _as(client, scene.clerk).post(
        _new_url(scene, "collective"), data=_collective_post(scene)
    )

    nomination = _only()
    assert response.status_code == 302
    assert response.headers["Location"] == f"/nominations/{nomination.id}"
    assert nomination.state is NominationState.DRAFT
    assert (nomination.unit_id, nomination.created_by_id) == (scene.unit.id, scene.clerk.id)
    assert nomination.kind is RecipientKind.COLLECTIVE
    assert nomination.nominee_name == "Phòng Chuyển đổi số"
    assert nomination.nominee_unit_id == scene.child.id
    assert (nomination.headcount, nomination.women_share) == (18, Decimal("72.5"))
    assert nomination.report_profile == (
        "Phòng có 18 công chức.\nChức năng: tham mưu về chuyển đổi số."
    )
    scores = {s.criterion.code: (s.points, s.reported_value) for s in nomination.self_scores}
    # 1.2: no points typed, a figure of 92% against a target of 100%: the suggested 27.5 of 30.
    assert scores == {
        "1.1": (Decimal("35.5"), None),
        "1.2": (Decimal("27.5"), Decimal(92)),
        "1.3": (Decimal(20), None),
    }
    assert [(p.year, p.form, p.decision_number) for p in nomination.past_awards] == [
        (2023, "Giấy khen của Giám đốc Sở Nội vụ", "125/QĐ-SNV ngày 05/10/2023")
    ]
    page = _text(client.get(response.headers["Location"]))
    assert f"Đã lưu hồ sơ {nomination.reference} (đang soạn)" in page
    assert "Trung tâm Công nghệ thông tin và Truyền thông" in page
    assert "72,5%" in page
    assert "83" in page  # 35.5 + 27.5 + 20


def test_clerk_creates_an_individual_draft(client: FlaskClient, scene: Scene) -> None:
    response = _as(client, scene.clerk).post(
        _new_url(scene, "individual"), data=_individual_post(scene)
    )

    assert response.status_code == 302
    nomination = _only()
    assert nomination.kind is RecipientKind.INDIVIDUAL
    assert (nomination.sex, nomination.date_of_birth) == (Sex.FEMALE, date(1986, 4, 12))
    assert nomination.staff_category is StaffCategory.LEADER
    assert nomination.citizen_id == "027186000123"
    assert nomination.headcount is None
    assert nomination.past_awards == []
    page = _text(client.get(response.headers["Location"]))
    assert "Nguyễn Thị Phượng" in page
    assert "12/04/1986" in page
    assert "I. Sơ lược lý lịch" in page
    assert "Lãnh đạo, quản lý" in page


def test_form_errors_keep_the_input_and_save_nothing(client: FlaskClient, scene: Scene) -> None:
    response = _as(client, scene.clerk).post(
        _new_url(scene, "collective"),
        data=_collective_post(
            scene,
            nominee_name="Phòng Số hóa",
            headcount="0",
            women_share="120",
            **{
                f"score_{scene.criterion('1.1').id}": "10,3",
                "past_awards-1-award": "Bằng khen",
            },
        ),
    )

    page = _text(response)
    assert response.status_code == 200
    assert _count() == 0
    assert "Số người phải lớn hơn 0." in page
    assert "Tỷ lệ nữ phải từ 0 đến 100%." in page
    assert "Điểm chấm theo bước 0,5." in page
    assert "Nhập năm được khen thưởng." in page
    assert 'value="Phòng Số hóa"' in page


def test_service_refusal_is_shown_on_its_field(client: FlaskClient, scene: Scene) -> None:
    response = _as(client, scene.clerk).post(
        _new_url(scene, "individual"), data=_individual_post(scene, date_of_birth="2015-01-01")
    )

    page = _text(response)
    assert response.status_code == 200
    assert _count() == 0
    field = page.split('name="date_of_birth"')[1][:600]
    assert "Ngày sinh không hợp lệ (tuổi phải từ 16 đến 90)." in field


def test_preview_shows_suggested_points_and_saves_nothing(
    client: FlaskClient, scene: Scene
) -> None:
    response = _as(client, scene.clerk).post(
        _new_url(scene, "collective"),
        data=_collective_post(
            scene,
            submit="",
            preview="Tính điểm gợi ý",
            **{f"value_{scene.criterion('1.2').id}": "45"},
        ),
    )

    page = _text(response)
    assert response.status_code == 200
    assert _count() == 0
    suggested = re.search(rf'<output id="suggest-{scene.criterion("1.2").id}"[^>]*>([^<]*)<', page)
    assert suggested and suggested.group(1) == "13,5"  # 30 × 45 / 100 = 13.5


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/nominations/new?round=KHONG-CO&kind=collective", 404),
        ("/nominations/new?round={code}&kind=household", 404),
        ("/nominations/new?round={code}", 404),
    ],
)
def test_bad_new_links(client: FlaskClient, scene: Scene, url: str, status: int) -> None:
    response = _as(client, scene.clerk).get(url.format(code=scene.code))
    assert response.status_code == status


def test_round_not_open_sends_back_to_the_chooser(client: FlaskClient, scene: Scene) -> None:
    scene.filing.round.phase = RoundPhase.REVIEWING
    _db.session.commit()

    response = _as(client, scene.clerk).post(
        _new_url(scene, "collective"), data=_collective_post(scene)
    )

    assert response.status_code == 302
    assert response.headers["Location"] == "/nominations/new"
    assert _count() == 0
    assert "không ở giai đoạn nhận hồ sơ đề nghị" in _text(client.get("/nominations/new"))


def test_late_drafting_is_allowed_with_a_warning(
    client: FlaskClient, scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(clock, "today", lambda: date(2025, 10, 3))

    page = _text(_as(client, scene.clerk).get(_new_url(scene, "collective")))

    assert "Đã hết hạn nộp hồ sơ của đợt xét." in page


def test_unit_role_without_unit_and_province_roles_cannot_file(
    client: FlaskClient, scene: Scene
) -> None:
    stray = make_user(Role.UNIT_CLERK)
    _db.session.commit()
    assert _as(client, stray).get(_new_url(scene, "collective")).status_code == 403
    client.post("/logout")
    assert _as(client, scene.board).get(_new_url(scene, "collective")).status_code == 403


# --------------------------------------------------------------------------- edit


def _draft(scene: Scene, **kwargs: object) -> Nomination:
    nomination = make_nomination(scene.filing, scene.unit, scene.clerk, **kwargs)
    _db.session.commit()
    return nomination


def test_edit_shows_the_stored_values_and_saves(client: FlaskClient, scene: Scene) -> None:
    nomination = _draft(scene, kind=RecipientKind.INDIVIDUAL, name="Trần Thị Mai")
    version = nomination.version

    page = _text(_as(client, scene.head).get(f"/nominations/{nomination.id}/edit"))
    assert 'value="Trần Thị Mai"' in page
    assert f'name="version" type="hidden" value="{version}"' in page
    assert 'value="20/05/1985"' in page or 'value="1985-05-20"' in page

    response = client.post(
        f"/nominations/{nomination.id}/edit",
        data=_individual_post(scene, nominee_name="Trần Thị Mai Anh", version=str(version)),
    )

    assert response.status_code == 302
    stored = _only()
    assert stored.nominee_name == "Trần Thị Mai Anh"
    assert stored.version > version
    assert "Đã lưu hồ sơ" in _text(client.get(response.headers["Location"]))


def test_stale_form_is_refused_with_409_and_the_input_kept(
    client: FlaskClient, scene: Scene
) -> None:
    nomination = _draft(scene, name="Phòng Số hóa")
    stale = nomination.version
    nominations.update_nomination(
        nomination,
        nominations.NominationData(
            kind=RecipientKind.COLLECTIVE,
            award_form_id=scene.filing.form.id,
            nominee_name="Phòng Số hóa (đồng nghiệp sửa)",
            headcount=9,
        ),
        version=stale,
    )
    _db.session.commit()

    response = _as(client, scene.clerk).post(
        f"/nominations/{nomination.id}/edit",
        data=_collective_post(scene, nominee_name="Bản của tôi", version=str(stale)),
    )

    page = _text(response)
    assert response.status_code == 409
    assert "Hồ sơ đã được người khác thay đổi trong lúc bạn sửa." in page
    assert 'value="Bản của tôi"' in page
    stored = _only()
    assert (stored.nominee_name, stored.headcount) == ("Phòng Số hóa (đồng nghiệp sửa)", 9)


def test_concurrent_save_detected_by_the_database_is_a_409(
    client: FlaskClient, scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    nomination = _draft(scene, name="Phòng Số hóa")

    def race(*args: object, **kwargs: object) -> None:
        raise StaleDataError("UPDATE statement on table 'nominations' expected to update 1 row")

    monkeypatch.setattr(nominations, "update_nomination", race)
    response = _as(client, scene.clerk).post(
        f"/nominations/{nomination.id}/edit",
        data=_collective_post(scene, version=str(nomination.version)),
    )

    assert response.status_code == 409
    assert _only().nominee_name == "Phòng Số hóa"


def test_submitted_nomination_is_not_editable(client: FlaskClient, scene: Scene) -> None:
    nomination = _draft(scene)
    make_submission(scene.filing, scene.unit, scene.head, [nomination])
    bring_to(nomination, NominationState.SUBMITTED, head=scene.head, board=scene.board)
    _db.session.commit()

    response = _as(client, scene.clerk).get(f"/nominations/{nomination.id}/edit")

    assert response.status_code == 302
    assert response.headers["Location"] == f"/nominations/{nomination.id}"
    assert "không sửa được" in _text(client.get(response.headers["Location"]))


# --------------------------------------------------------------------------- scope


def test_another_units_people_get_404_and_see_nothing(client: FlaskClient, scene: Scene) -> None:
    nomination = _draft(scene, name="Phòng Bí mật")
    for user in (scene.other_clerk, scene.other_head):
        _as(client, user)
        assert client.get(f"/nominations/{nomination.id}").status_code == 404
        assert client.get(f"/nominations/{nomination.id}/edit").status_code == 404
        assert client.post(f"/nominations/{nomination.id}/edit", data={}).status_code == 404
        assert client.post(f"/nominations/{nomination.id}/action/withdraw").status_code == 404
        listing = _text(client.get("/nominations/?q=bi+mat"))
        assert "Phòng Bí mật" not in listing
        assert "Tìm thấy 0 hồ sơ." in listing
        assert client.get("/nominations/999999").status_code == 404
        client.post("/logout")
    assert _only().state is NominationState.DRAFT


def test_reviewer_reaches_no_nomination_page(client: FlaskClient, scene: Scene) -> None:
    nomination = _draft(scene)
    _as(client, scene.reviewer)
    assert client.get("/nominations/").status_code == 403
    assert client.get(f"/nominations/{nomination.id}").status_code == 403


# --------------------------------------------------------------------------- the list


def _file_several(scene: Scene) -> dict[str, Nomination]:
    made = {
        "phuong": make_nomination(
            scene.filing,
            scene.unit,
            scene.clerk,
            kind=RecipientKind.INDIVIDUAL,
            name="Nguyễn Thị Phượng",
        ),
        "team": make_nomination(scene.filing, scene.unit, scene.clerk, name="Tổ Một cửa điện tử"),
        "gia_binh": make_nomination(
            scene.filing, scene.other_unit, scene.other_clerk, name="Văn phòng HĐND và UBND"
        ),
    }
    make_submission(scene.filing, scene.other_unit, scene.other_head, [made["gia_binh"]])
    bring_to(made["gia_binh"], NominationState.SUBMITTED, head=scene.other_head, board=scene.board)
    _db.session.commit()
    return made


def _names(page: str) -> set[str]:
    return {unescape(n) for n in re.findall(r'href="/nominations/\d+">([^<]+)</a>', page)}


def test_board_sees_every_unit_and_filters(client: FlaskClient, scene: Scene) -> None:
    _file_several(scene)
    _as(client, scene.board)

    everything = _text(client.get("/nominations/"))
    assert _names(everything) == {
        "Nguyễn Thị Phượng",
        "Tổ Một cửa điện tử",
        "Văn phòng HĐND và UBND",
    }
    assert "Ủy ban nhân dân huyện Gia Bình" in everything  # the unit column, for the province
    assert 'name="unit"' in everything

    def names(query: str) -> set[str]:
        return _names(_text(client.get(f"/nominations/?{query}")))

    assert names(f"unit={scene.other_unit.id}") == {"Văn phòng HĐND và UBND"}
    assert names("state=submitted") == {"Văn phòng HĐND và UBND"}
    assert names("kind=individual") == {"Nguyễn Thị Phượng"}
    assert names(f"round={scene.code}&award_form={scene.filing.form.id}") == _names(everything)
    assert names("round=KHONG-CO") == _names(everything)  # not a choice: ignored, and said so
    assert names("q=nguyen+thi") == {"Nguyễn Thị Phượng"}
    assert names("q=MỘT+CỬA") == {"Tổ Một cửa điện tử"}
    assert names("q=%25") == set()


def test_clerk_sees_own_unit_only_with_badges_and_sorting(
    client: FlaskClient, scene: Scene
) -> None:
    _file_several(scene)
    _as(client, scene.clerk)

    page = _text(client.get("/nominations/?sort=name&order=asc"))

    assert _names(page) == {"Nguyễn Thị Phượng", "Tổ Một cửa điện tử"}
    assert page.index("Nguyễn Thị Phượng") < page.index("Tổ Một cửa điện tử")
    assert 'name="unit"' not in page  # no unit filter for a unit's own people
    assert '<span class="badge text-bg-secondary">Đang soạn</span>' in page
    assert 'href="/nominations/export.xlsx?sort=name&amp;order=asc"' in page
    # The unit filter of a province role is ignored for a unit's people.
    forced = _text(client.get(f"/nominations/?unit={scene.other_unit.id}"))
    assert _names(forced) == {"Nguyễn Thị Phượng", "Tổ Một cửa điện tử"}
    descending = _text(client.get("/nominations/?sort=name&order=desc"))
    assert descending.index("Tổ Một cửa điện tử") < descending.index("Nguyễn Thị Phượng")
    assert "Lập hồ sơ mới" in page


def test_list_pages(client: FlaskClient, scene: Scene, monkeypatch: pytest.MonkeyPatch) -> None:
    _file_several(scene)
    monkeypatch.setattr(nomination_views, "PER_PAGE", 2)
    _as(client, scene.board)

    first = _text(client.get("/nominations/?sort=name&order=asc"))
    second = _text(client.get("/nominations/?sort=name&order=asc&page=2"))

    assert _names(first) == {"Nguyễn Thị Phượng", "Tổ Một cửa điện tử"}
    assert _names(second) == {"Văn phòng HĐND và UBND"}
    assert "page=2" in first and "Tìm thấy 3 hồ sơ." in first
    assert client.get("/nominations/?page=9").status_code == 200  # an empty page past the end


def test_list_does_not_query_per_row(client: FlaskClient, scene: Scene) -> None:
    _file_several(scene)
    _as(client, scene.board)
    statements: list[str] = []

    def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    sa.event.listen(_db.engine, "before_cursor_execute", count)
    try:
        client.get("/nominations/")
        few = len(statements)
        for n in range(6):
            make_nomination(scene.filing, scene.unit, scene.clerk, name=f"Tổ công tác số {n}")
        _db.session.commit()
        statements.clear()
        client.get("/nominations/")
    finally:
        sa.event.remove(_db.engine, "before_cursor_execute", count)
    assert len(statements) == few


# --------------------------------------------------------------------------- user text is never HTML


def test_script_in_every_text_field_is_shown_escaped(client: FlaskClient, scene: Scene) -> None:
    text_fields = ("nominee_name", "citation", "report_profile", "report_achievements")
    collective = _collective_post(
        scene,
        **{name: f"{XSS} {name}" for name in (*text_fields, "report_measures")},
        **{"past_awards-0-award": f"{XSS} award", "past_awards-0-decision_number": f"{XSS} qd"},
    )
    _as(client, scene.clerk).post(_new_url(scene, "collective"), data=collective)
    individual = _individual_post(
        scene, **{name: f"{XSS} {name}" for name in (*text_fields, "position", "workplace")}
    )
    client.post(_new_url(scene, "individual"), data=individual)
    ids = _db.session.scalars(sa.select(Nomination.id).order_by(Nomination.id)).all()
    assert len(ids) == 2

    pages = [_text(client.get(f"/nominations/{n}")) for n in ids]
    pages.append(_text(client.get("/nominations/")))
    client.post("/logout")
    pages.append(_text(_as(client, scene.board).get("/nominations/")))
    for page in pages:
        assert "<script>alert(1)</script>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    detail = pages[0] + pages[1]
    for name in (*text_fields, "report_measures", "award", "qd", "position", "workplace"):
        assert f"&lt;script&gt;alert(1)&lt;/script&gt; {name}" in detail, name


# --------------------------------------------------------------------------- detail and actions


def test_detail_shows_scores_missing_items_and_duplicates(
    client: FlaskClient, scene: Scene
) -> None:
    first = make_nomination(scene.filing, scene.other_unit, scene.other_clerk, name="Tổ Số hóa")
    incomplete = nominations.create_nomination(
        scene.filing.round,
        scene.unit,
        scene.clerk,
        nominations.NominationData(
            kind=RecipientKind.COLLECTIVE,
            award_form_id=scene.filing.form.id,
            nominee_name="Tổ Số hóa",
            headcount=5,
            scores=[nominations.ScoreInput(scene.criterion("1.2").id, Decimal(15), Decimal(50))],
        ),
    )
    _db.session.commit()

    page = _text(_as(client, scene.clerk).get(f"/nominations/{incomplete.id}"))

    assert "Hồ sơ còn thiếu trước khi trình:" in page
    assert "Chưa tự chấm điểm tiêu chí 1.1." in page
    assert "Có thể trùng hồ sơ khác." in page
    assert first.reference not in page  # another unit's dossier is not named to this unit
    assert "Tổng điểm tự chấm" in page
    assert "Sửa hồ sơ" in page
    client.post("/logout")
    board_page = _text(_as(client, scene.board).get(f"/nominations/{incomplete.id}"))
    assert first.reference in board_page
    assert "Sửa hồ sơ" not in board_page


def test_board_returns_with_a_reason_shown_in_the_history(
    client: FlaskClient, scene: Scene
) -> None:
    nomination = _draft(scene)
    make_submission(scene.filing, scene.unit, scene.head, [nomination])
    bring_to(nomination, NominationState.SUBMITTED, head=scene.head, board=scene.board)
    _db.session.commit()
    reason = "Báo cáo thành tích chưa có số liệu so sánh với năm 2024.\nĐề nghị bổ sung."

    _as(client, scene.board)
    page = _text(client.get(f"/nominations/{nomination.id}"))
    assert f'action="/nominations/{nomination.id}/action/return"' in page
    assert f'action="/nominations/{nomination.id}/action/accept"' in page
    assert "/action/submit" not in page

    refused = client.post(f"/nominations/{nomination.id}/action/return", data={"reason": " "})
    assert refused.status_code == 302
    assert "Vui lòng nêu lý do." in _text(client.get(refused.headers["Location"]))
    assert _only().state is NominationState.SUBMITTED

    response = client.post(
        f"/nominations/{nomination.id}/action/return", data={"reason": f"{reason} {XSS}"}
    )
    assert response.status_code == 302
    assert _only().state is NominationState.RETURNED
    client.post("/logout")

    history = _text(_as(client, scene.clerk).get(f"/nominations/{nomination.id}"))
    assert "Trả lại" in history
    assert "Báo cáo thành tích chưa có số liệu so sánh với năm 2024.\nĐề nghị bổ sung." in history
    assert "&lt;script&gt;" in history and XSS not in history
    assert "Bị trả lại" in history
    event = _db.session.scalars(
        sa.select(NominationEvent).where(NominationEvent.action == "return")
    ).one()
    assert (event.actor_id, event.reason) == (scene.board.id, f"{reason} {XSS}")

    reopened = client.post(f"/nominations/{nomination.id}/action/reopen")
    assert reopened.status_code == 302
    assert _only().state is NominationState.DRAFT
    assert "Đã mở lại hồ sơ" in _text(client.get(reopened.headers["Location"]))


def test_actions_refused_by_role_or_state(client: FlaskClient, scene: Scene) -> None:
    nomination = _draft(scene)
    _as(client, scene.clerk)
    assert client.post(f"/nominations/{nomination.id}/action/withdraw").status_code == 403
    assert client.post(f"/nominations/{nomination.id}/action/submit").status_code == 404
    assert client.post(f"/nominations/{nomination.id}/action/explode").status_code == 404
    client.post("/logout")

    _as(client, scene.board)
    assert client.post(f"/nominations/{nomination.id}/action/accept").status_code == 302
    assert _only().state is NominationState.DRAFT
    too_long = client.post(
        f"/nominations/{nomination.id}/action/return", data={"reason": "x" * 2001}
    )
    assert "Tối đa 2000 ký tự." in _text(client.get(too_long.headers["Location"]))
    client.post("/logout")

    _as(client, scene.head)
    response = client.post(f"/nominations/{nomination.id}/action/withdraw")
    assert response.status_code == 302
    assert _only().state is NominationState.WITHDRAWN
    assert f"Đã rút hồ sơ {nomination.reference}." in _text(
        client.get(response.headers["Location"])
    )


def test_edit_refused_by_the_service_shows_the_message(client: FlaskClient, scene: Scene) -> None:
    nomination = _draft(scene, kind=RecipientKind.INDIVIDUAL, name="Trần Thị Mai")

    response = _as(client, scene.clerk).post(
        f"/nominations/{nomination.id}/edit",
        data=_individual_post(
            scene,
            date_of_birth="1900-01-01",
            version=str(nomination.version),
            **{"past_awards-0-year": "2020", "past_awards-0-award": ""},
        ),
    )

    page = _text(response)
    assert response.status_code == 200
    assert "Nhập hình thức khen thưởng." in page
    assert _only().nominee_name == "Trần Thị Mai"


def test_kind_without_award_form_is_sent_back(client: FlaskClient, scene: Scene) -> None:
    scene.filing.form.for_individuals = False
    _db.session.commit()

    response = _as(client, scene.clerk).get(_new_url(scene, "individual"))

    assert response.status_code == 302
    assert response.headers["Location"] == "/nominations/new"
    assert "không có hình thức khen thưởng dành cho đối tượng này" in _text(
        client.get("/nominations/new")
    )


def test_service_refusal_on_edit_goes_to_its_field(client: FlaskClient, scene: Scene) -> None:
    nomination = _draft(scene, kind=RecipientKind.INDIVIDUAL, name="Trần Thị Mai")

    response = _as(client, scene.clerk).post(
        f"/nominations/{nomination.id}/edit",
        data=_individual_post(scene, date_of_birth="2015-06-01", version=str(nomination.version)),
    )

    assert response.status_code == 200
    assert "Ngày sinh không hợp lệ (tuổi phải từ 16 đến 90)." in _text(response)
    assert _only().date_of_birth == date(1985, 5, 20)


def test_preview_on_edit_saves_nothing(client: FlaskClient, scene: Scene) -> None:
    nomination = _draft(scene, name="Phòng Số hóa")

    response = _as(client, scene.clerk).post(
        f"/nominations/{nomination.id}/edit",
        data=_collective_post(
            scene, nominee_name="Chưa lưu", submit="", preview="Tính điểm gợi ý", version="1"
        ),
    )

    assert response.status_code == 200
    assert 'value="Chưa lưu"' in _text(response)
    assert _only().nominee_name == "Phòng Số hóa"
