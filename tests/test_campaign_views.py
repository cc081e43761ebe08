"""Campaign set-up views (``awards/campaigns.py``): one integration test per view.

Who may reach each route is declared in ``tests/access_rules/campaigns.py`` and checked by the matrix.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from awards.extensions import db as _db
from models import (
    AppliesTo,
    AwardForm,
    AwardType,
    BallotBase,
    Campaign,
    Criterion,
    CriterionGroup,
    Role,
    Round,
    RoundPhase,
    User,
)
from tests.test_campaign_setup import SetupWorld, build_campaign

LoginAs = Callable[..., User]


@pytest.fixture()
def world(db: object) -> SetupWorld:
    return build_campaign()


@pytest.fixture()
def board(login_as: LoginAs) -> User:
    return login_as(Role.BOARD)


def _count(model: type) -> int:
    return _db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _text(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True)


CAMPAIGN_POST = {
    "code": "CDS-2026",
    "name": "Chuyển đổi số năm 2026",
    "plan_reference": "Kế hoạch số 45/KH-UBND ngày 02/01/2026",
    "organiser": "UBND tỉnh Bắc Ninh",
    "standing_body": "Sở Nội vụ",
    "issuing_body": "ỦY BAN NHÂN DÂN TỈNH BẮC NINH",
    "legal_basis": "Căn cứ Luật Thi đua, khen thưởng ngày 15/6/2022;\r\n\r\n"
    "  Căn cứ Nghị định số 152/2025/NĐ-CP;  ",
    "period_start": "2026-01-01",
    "period_end": "31/12/2026",
    "aggregation": "median",
    "min_reviews": "5",
    "total_points": "100",
    "comment_margin": "2,5",
}

ROUND_POST = {
    "code": "CDS-10-10-2026",
    "name": "Ngày Chuyển đổi số 10/10/2026",
    "nomination_opens": "2026-08-01",
    "nomination_closes": "2026-09-30",
    "review_deadline": "2026-10-05",
    "ceremony_date": "2026-10-10",
    "disclosure_days": "",
    "phase": "setup",
}

AWARD_FORM_POST = {
    "code": "CSTD",
    "name": "Chiến sĩ thi đua tỉnh",
    "certificate_title": "BẰNG CHỨNG NHẬN",
    "awarding_title": "CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH BẮC NINH",
    "recipient_kinds": ["individual"],
    "award_type": "merit",
    "min_score": "90",
    "quota_total": "60",
    "quota_per_unit": "3",
    "ballot_threshold": "90",
    "ballot_base": "all_members",
    "cash_multiple_collective": "0",
    "cash_multiple_individual": "4,5",
    "signer_prefix": "TM.",
    "signer_title": "CHỦ TỊCH",
    "signer_name": "Trần Thị Thử",
    "position": "2",
}


# --------------------------------------------------------------------------- campaigns


def test_index_lists_campaigns_for_readers(
    client: FlaskClient, world: SetupWorld, login_as: LoginAs
) -> None:
    login_as(Role.APPROVER)

    page = _text(client.get("/campaigns/"))

    assert world.campaign.name in page
    assert f'href="/campaigns/{world.campaign.id}"' in page
    assert "01/01/2024 – 31/12/2025" in page
    assert "/campaigns/new" not in page  # approvers read, the board writes


def test_detail_shows_groups_totals_and_problems(
    client: FlaskClient, world: SetupWorld, board: User
) -> None:
    page = _text(client.get(f"/campaigns/{world.campaign.id}"))

    assert "Cấu hình hợp lệ" in page
    assert "TT1. Nhóm TT1" in page
    assert "Căn cứ Nghị định số 152/2025/NĐ-CP;" in page
    assert "Nguyễn Văn Thử" in page
    assert page.count('100<span class="fs-6 text-muted"> / 100</span>') == 2
    assert f"/campaigns/criteria/{world.criteria['1.1'].id}/delete" in page

    world.criteria["1.1"].max_points = Decimal("32.5")
    _db.session.commit()
    page = _text(client.get(f"/campaigns/{world.campaign.id}"))

    assert "Cấu hình chưa hoàn chỉnh" in page
    assert "áp dụng cho tập thể là 92,5, chưa bằng tổng điểm của phong trào (100)" in page
    assert "Còn thiếu 7,5 điểm." in page


def test_create_campaign(client: FlaskClient, board: User, db: object) -> None:
    response = client.post("/campaigns/new", data=CAMPAIGN_POST)

    campaign = _db.session.scalars(sa.select(Campaign)).one()
    assert response.status_code == 302
    assert response.headers["Location"] == f"/campaigns/{campaign.id}"
    assert (campaign.code, campaign.name, campaign.period_start, campaign.period_end) == (
        "CDS-2026",
        "Chuyển đổi số năm 2026",
        date(2026, 1, 1),
        date(2026, 12, 31),
    )
    assert campaign.legal_basis == (
        "Căn cứ Luật Thi đua, khen thưởng ngày 15/6/2022;\nCăn cứ Nghị định số 152/2025/NĐ-CP;"
    )
    assert campaign.legal_basis_lines == [
        "Căn cứ Luật Thi đua, khen thưởng ngày 15/6/2022;",
        "Căn cứ Nghị định số 152/2025/NĐ-CP;",
    ]
    assert (campaign.aggregation, campaign.min_reviews) == ("median", 5)
    assert (campaign.total_points, campaign.comment_margin) == (Decimal(100), Decimal("2.5"))


def test_create_campaign_bad_input_shows_vietnamese_errors(
    client: FlaskClient, world: SetupWorld, board: User
) -> None:
    response = client.post(
        "/campaigns/new",
        data={
            **CAMPAIGN_POST,
            "code": world.campaign.code,
            "name": "",
            "period_start": "2026-12-31",
            "period_end": "2026-01-01",
            "total_points": "abc",
            "min_reviews": "0",
        },
    )
    page = _text(response)

    assert response.status_code == 200
    assert "Mã phong trào này đã được dùng. Hãy chọn mã khác." in page
    assert "Vui lòng nhập mục này." in page
    assert "Ngày kết thúc phải sau hoặc trùng ngày bắt đầu." in page
    assert "Nhập một số, ví dụ 12,5." in page
    assert "Nhập một số từ 1 đến 50." in page
    assert "Chưa lưu: hãy sửa các mục được đánh dấu" in page
    assert _count(Campaign) == 1


def test_edit_campaign(client: FlaskClient, world: SetupWorld, board: User) -> None:
    form_page = _text(client.get(f"/campaigns/{world.campaign.id}/edit"))
    assert 'value="CDS-2024-2025"' in form_page
    assert 'value="100"' in form_page

    response = client.post(
        f"/campaigns/{world.campaign.id}/edit",
        data={**CAMPAIGN_POST, "code": world.campaign.code, "name": "Tên mới"},
    )

    assert response.status_code == 302
    _db.session.refresh(world.campaign)
    assert (world.campaign.code, world.campaign.name, world.campaign.min_reviews) == (
        "CDS-2024-2025",
        "Tên mới",
        5,
    )


def test_copy_campaign_via_the_ui(client: FlaskClient, world: SetupWorld, board: User) -> None:
    form_page = _text(client.get(f"/campaigns/{world.campaign.id}/copy"))
    assert 'value="CDS-2026-2027"' in form_page  # the next period of the same length
    assert 'value="2026-01-01"' in form_page

    response = client.post(
        f"/campaigns/{world.campaign.id}/copy",
        data={
            "code": "CDS-2026-2027",
            "name": "Chuyển đổi số giai đoạn 2026 – 2027",
            "period_start": "2026-01-01",
            "period_end": "2027-12-31",
        },
        follow_redirects=True,
    )

    copy = _db.session.scalars(sa.select(Campaign).where(Campaign.code == "CDS-2026-2027")).one()
    assert "Đã sao chép phong trào CDS-2024-2025 thành CDS-2026-2027" in _text(response)
    assert [g.code for g in copy.criterion_groups] == ["TT1", "TT2", "CN1", "CN2"]
    assert len(copy.criteria) == len(world.campaign.criteria) == 6
    assert [f.code for f in copy.award_forms] == ["BK", "GK"]
    assert copy.rounds == []


def test_copy_campaign_refuses_a_taken_code(
    client: FlaskClient, world: SetupWorld, board: User
) -> None:
    response = client.post(
        f"/campaigns/{world.campaign.id}/copy",
        data={
            "code": world.campaign.code,
            "name": "x",
            "period_start": "2026-01-01",
            "period_end": "2027-12-31",
        },
    )

    assert response.status_code == 200
    assert "Mã phong trào này đã được dùng" in _text(response)
    assert _count(Campaign) == 1


def test_missing_objects_are_404(client: FlaskClient, board: User, db: object) -> None:
    assert client.get("/campaigns/999").status_code == 404
    assert client.post("/campaigns/criteria/999/delete").status_code == 404


# --------------------------------------------------------------------------- rounds


def test_create_round(client: FlaskClient, world: SetupWorld, board: User) -> None:
    response = client.post(f"/campaigns/{world.campaign.id}/rounds/new", data=ROUND_POST)

    created = _db.session.scalars(sa.select(Round).where(Round.code == "CDS-10-10-2026")).one()
    assert response.headers["Location"] == f"/campaigns/{world.campaign.id}#rounds"
    assert (
        created.campaign_id,
        created.review_deadline,
        created.disclosure_days,
        created.phase,
    ) == (
        world.campaign.id,
        date(2026, 10, 5),
        None,
        RoundPhase.SETUP,
    )


def test_create_round_bad_dates_and_taken_code(
    client: FlaskClient, world: SetupWorld, board: User
) -> None:
    response = client.post(
        f"/campaigns/{world.campaign.id}/rounds/new",
        data={
            **ROUND_POST,
            "code": world.round.code,
            "nomination_closes": "2026-07-01",
            "review_deadline": "2026-10-20",
            "disclosure_days": "0",
        },
    )
    page = _text(response)

    assert response.status_code == 200
    assert "Mã đợt xét này đã được dùng. Hãy chọn mã khác." in page
    assert "Hạn nộp hồ sơ phải sau hoặc trùng ngày bắt đầu nhận hồ sơ." in page
    assert "Hạn chấm điểm phải trước hoặc trùng ngày trao thưởng." in page
    assert "Nhập một số từ 1 đến 60." in page
    assert _count(Round) == 1


def test_round_form_reports_a_refused_phase(
    client: FlaskClient, world: SetupWorld, board: User
) -> None:
    world.criteria["1.1"].max_points = Decimal(10)
    _db.session.commit()

    response = client.post(
        f"/campaigns/{world.campaign.id}/rounds/new", data={**ROUND_POST, "phase": "nominating"}
    )

    assert response.status_code == 200
    assert "Chưa thể chuyển đợt xét sang giai đoạn “Nhận hồ sơ đề nghị”" in _text(response)
    assert _count(Round) == 1


def test_edit_round(client: FlaskClient, world: SetupWorld, board: User) -> None:
    assert 'value="2025-10-10"' in _text(client.get(f"/campaigns/rounds/{world.round.id}/edit"))

    response = client.post(
        f"/campaigns/rounds/{world.round.id}/edit",
        data={**ROUND_POST, "code": world.round.code, "disclosure_days": "10"},
    )

    assert response.status_code == 302
    _db.session.refresh(world.round)
    assert (world.round.code, world.round.ceremony_date, world.round.disclosure_days) == (
        "CDS-2024-2025-R2025",
        date(2026, 10, 10),
        10,
    )


def test_round_phase_change(client: FlaskClient, world: SetupWorld, board: User) -> None:
    world.criteria["1.1"].max_points = Decimal(10)
    _db.session.commit()
    url = f"/campaigns/rounds/{world.round.id}/phase"

    refused = client.post(url, data={"phase": "nominating"}, follow_redirects=True)
    assert "cấu hình phong trào còn 1 vấn đề" in _text(refused)
    _db.session.refresh(world.round)
    assert world.round.phase is RoundPhase.SETUP

    bogus = client.post(url, data={"phase": "nowhere"}, follow_redirects=True)
    assert "Hãy chọn giai đoạn trong danh sách." in _text(bogus)

    world.criteria["1.1"].max_points = Decimal(40)
    _db.session.commit()
    accepted = client.post(url, data={"phase": "nominating"})
    assert accepted.headers["Location"] == f"/campaigns/{world.campaign.id}#rounds"
    _db.session.refresh(world.round)
    assert world.round.phase is RoundPhase.NOMINATING


def test_copy_round_via_the_ui(client: FlaskClient, world: SetupWorld, board: User) -> None:
    form_page = _text(client.get(f"/campaigns/rounds/{world.round.id}/copy"))
    assert 'value="CDS-2025-2026-R2026"' in form_page  # every year in the code moves on
    assert "Ngày Chuyển đổi số 10/10/2026" in form_page

    response = client.post(
        f"/campaigns/rounds/{world.round.id}/copy",
        data={
            "campaign_id": str(world.campaign.id),
            "code": "CDS-R2027",
            "name": "Ngày Chuyển đổi số 10/10/2027",
            "shift_years": "2",
        },
    )

    copy = _db.session.scalars(sa.select(Round).where(Round.code == "CDS-R2027")).one()
    assert response.status_code == 302
    assert (copy.nomination_opens, copy.ceremony_date, copy.phase) == (
        date(2027, 8, 1),
        date(2027, 10, 10),
        RoundPhase.SETUP,
    )


# --------------------------------------------------------------------------- criterion groups


def test_group_create_edit_delete(client: FlaskClient, world: SetupWorld, board: User) -> None:
    base = f"/campaigns/{world.campaign.id}"
    duplicate = client.post(f"{base}/groups/new", data={"code": "TT1", "title": "x"})
    assert "Phong trào đã có nhóm tiêu chí mang mã này." in _text(duplicate)

    created = client.post(
        f"{base}/groups/new", data={"code": "TT3", "title": "Sáng kiến", "applies_to": "collective"}
    )
    group = _db.session.scalars(sa.select(CriterionGroup).where(CriterionGroup.code == "TT3")).one()
    assert created.headers["Location"] == f"{base}#criteria"
    assert (group.title, group.applies_to, group.position) == ("Sáng kiến", AppliesTo.COLLECTIVE, 0)

    client.post(
        f"/campaigns/groups/{group.id}/edit",
        data={
            "code": "TT3",
            "title": "Sáng kiến, mô hình số",
            "applies_to": "both",
            "position": "7",
        },
    )
    _db.session.refresh(group)
    assert (group.title, group.applies_to, group.position) == (
        "Sáng kiến, mô hình số",
        AppliesTo.BOTH,
        7,
    )

    refused = client.post(
        f"/campaigns/groups/{world.groups['TT1'].id}/delete", follow_redirects=True
    )
    assert "Nhóm TT1 còn 2 tiêu chí" in _text(refused)
    deleted = client.post(f"/campaigns/groups/{group.id}/delete", follow_redirects=True)
    assert "Đã xóa nhóm tiêu chí TT3." in _text(deleted)
    assert _count(CriterionGroup) == 4


# --------------------------------------------------------------------------- criteria


def test_criterion_create_edit_delete(client: FlaskClient, world: SetupWorld, board: User) -> None:
    base = f"/campaigns/{world.campaign.id}"
    group_id = str(world.groups["CN2"].id)
    form_page = _text(client.get(f"{base}/criteria/new"))
    assert "TT1 — Nhóm TT1 (Tập thể)" in form_page

    response = client.post(
        f"{base}/criteria/new",
        data={
            "group_id": group_id,
            "code": "4.3",
            "title": "Giải thưởng cuộc thi",
            "guidance": "Mỗi giải 2,5 điểm",
            "max_points": "7,5",
            "weight": "1.25",
            "applies_to": "individual",
            "target_value": "3",
            "target_unit": "giải",
            "evidence_required": "y",
            "position": "",
        },
    )

    criterion = _db.session.scalars(sa.select(Criterion).where(Criterion.code == "4.3")).one()
    assert response.headers["Location"] == f"{base}#criteria"
    assert (criterion.group_id, criterion.max_points, criterion.weight) == (
        world.groups["CN2"].id,
        Decimal("7.5"),
        Decimal("1.25"),
    )
    assert (criterion.target_value, criterion.target_unit, criterion.evidence_required) == (
        Decimal(3),
        "giải",
        True,
    )

    edited = client.post(
        f"/campaigns/criteria/{criterion.id}/edit",
        data={
            "group_id": group_id,
            "code": "4.3",
            "title": "Giải thưởng",
            "max_points": "5",
            "weight": "1",
            "applies_to": "individual",
            "target_value": "",
            "target_unit": "",
        },
    )
    assert edited.status_code == 302
    _db.session.refresh(criterion)
    assert (
        criterion.title,
        criterion.max_points,
        criterion.target_value,
        criterion.evidence_required,
    ) == (
        "Giải thưởng",
        Decimal(5),
        None,
        False,
    )

    deleted = client.post(f"/campaigns/criteria/{criterion.id}/delete", follow_redirects=True)
    assert "Đã xóa tiêu chí 4.3." in _text(deleted)
    assert _count(Criterion) == 6


def test_criterion_bad_input_shows_field_errors(
    client: FlaskClient, world: SetupWorld, board: User
) -> None:
    response = client.post(
        f"/campaigns/{world.campaign.id}/criteria/new",
        data={
            "group_id": str(world.groups["TT1"].id),
            "code": "1.1",
            "title": "x",
            "max_points": "7.3",
            "weight": "0",
            "applies_to": "individual",
            "target_value": "NaN",
            "target_unit": "%",
        },
    )
    page = _text(response)

    assert response.status_code == 200
    assert "Phong trào đã có tiêu chí mang mã này." in page
    assert "Điểm tối đa phải là bội số của 0,5 (ví dụ 5 hoặc 7,5)." in page
    assert "Trọng số phải lớn hơn 0 và không quá 100." in page
    assert "Nhóm đã chọn chỉ dành cho Tập thể." in page
    assert "Nhập một số, ví dụ 12,5." in page
    assert "Chỉ nhập đơn vị tính khi tiêu chí có chỉ tiêu." in page
    assert _count(Criterion) == 6


# --------------------------------------------------------------------------- award forms


def test_award_form_create_edit_delete(client: FlaskClient, world: SetupWorld, board: User) -> None:
    base = f"/campaigns/{world.campaign.id}"
    response = client.post(f"{base}/award-forms/new", data=AWARD_FORM_POST)

    created = _db.session.scalars(sa.select(AwardForm).where(AwardForm.code == "CSTD")).one()
    assert response.headers["Location"] == f"{base}#award-forms"
    assert (created.for_collectives, created.for_individuals, created.award_type) == (
        False,
        True,
        AwardType.MERIT,
    )
    assert (created.min_score, created.quota_total, created.quota_per_unit) == (Decimal(90), 60, 3)
    assert (created.ballot_threshold, created.ballot_base) == (Decimal(90), BallotBase.ALL_MEMBERS)
    assert created.cash_multiple_individual == Decimal("4.5")
    assert (created.signer_prefix, created.signer_title, created.signer_name) == (
        "TM.",
        "CHỦ TỊCH",
        "Trần Thị Thử",
    )

    edit_page = _text(client.get(f"/campaigns/award-forms/{created.id}/edit"))
    assert '<input checked id="recipient_kinds-1"' in edit_page
    assert '<input id="recipient_kinds-0"' in edit_page
    client.post(
        f"/campaigns/award-forms/{created.id}/edit",
        data={
            **AWARD_FORM_POST,
            "recipient_kinds": ["collective", "individual"],
            "signer_prefix": "",
            "quota_total": "",
            "quota_per_unit": "",
        },
    )
    _db.session.refresh(created)
    assert (created.for_collectives, created.signer_prefix, created.quota_total) == (True, "", None)

    deleted = client.post(f"/campaigns/award-forms/{created.id}/delete", follow_redirects=True)
    assert "Đã xóa hình thức khen thưởng CSTD." in _text(deleted)
    assert _count(AwardForm) == 2


def test_award_form_bad_input_shows_field_errors(
    client: FlaskClient, world: SetupWorld, board: User
) -> None:
    response = client.post(
        f"/campaigns/{world.campaign.id}/award-forms/new",
        data={
            **AWARD_FORM_POST,
            "code": "BK",
            "recipient_kinds": [],
            "min_score": "120",
            "quota_per_unit": "61",
            "ballot_threshold": "0",
            "signer_prefix": "XX.",
        },
    )
    page = _text(response)

    assert response.status_code == 200
    assert "Phong trào đã có hình thức khen thưởng mang mã này." in page
    assert "Chọn ít nhất một đối tượng: tập thể hoặc cá nhân." in page
    assert "Điểm tối thiểu không được vượt tổng điểm của phong trào." in page
    assert "Chỉ tiêu mỗi đơn vị không được vượt tổng chỉ tiêu." in page
    assert "Nhập tỷ lệ lớn hơn 0 và không quá 100." in page
    assert "Hãy chọn một mục trong danh sách." in page
    assert _count(AwardForm) == 2


def test_deletes_are_refused_once_a_round_has_left_setup(
    client: FlaskClient, world: SetupWorld, board: User
) -> None:
    world.round.phase = RoundPhase.NOMINATING
    _db.session.commit()

    page = _text(client.get(f"/campaigns/{world.campaign.id}"))
    assert "/delete" not in page
    for url in (
        f"/campaigns/criteria/{world.criteria['1.1'].id}/delete",
        f"/campaigns/award-forms/{world.forms['GK'].id}/delete",
    ):
        response = client.post(url, follow_redirects=True)
        assert "Không thể xóa: phong trào đã có đợt xét rời giai đoạn Chuẩn bị" in _text(response)
    assert (_count(Criterion), _count(AwardForm)) == (6, 2)
