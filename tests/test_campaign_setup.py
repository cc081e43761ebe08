"""Campaign set-up services: validation, copies, delete and phase rules (``awards/campaign_setup.py``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask import Flask

from awards import campaign_setup as setup
from awards.extensions import db as _db
from models import (
    AppliesTo,
    AuditEvent,
    AwardForm,
    Campaign,
    Criterion,
    CriterionGroup,
    Role,
    Round,
    RoundPhase,
)

# --------------------------------------------------------------------------- a small campaign factory


@dataclass
class SetupWorld:
    campaign: Campaign
    round: Round
    groups: dict[str, CriterionGroup] = field(default_factory=dict)
    criteria: dict[str, Criterion] = field(default_factory=dict)
    forms: dict[str, AwardForm] = field(default_factory=dict)


# (group code, applies to, [(criterion code, max points)]): two groups per kind, 100 points each.
GROUPS = [
    ("TT1", AppliesTo.COLLECTIVE, [("1.1", "40"), ("1.2", "20")]),
    ("TT2", AppliesTo.COLLECTIVE, [("2.1", "40")]),
    ("CN1", AppliesTo.INDIVIDUAL, [("3.1", "50")]),
    ("CN2", AppliesTo.INDIVIDUAL, [("4.1", "30"), ("4.2", "20")]),
]


def build_campaign(code: str = "CDS-2024-2025", *, round_code: str | None = None) -> SetupWorld:
    """A complete, valid campaign: 4 groups, 6 criteria, 2 award forms, 1 round in ``setup``."""
    campaign = setup.create_campaign(
        setup.CampaignData(
            code=code,
            name="Chuyển đổi số trên địa bàn tỉnh Bắc Ninh giai đoạn 2024 – 2025",
            period_start=date(2024, 1, 1),
            period_end=date(2025, 12, 31),
            plan_reference="Kế hoạch số 123/KH-UBND ngày 15/3/2024",
            organiser="UBND tỉnh Bắc Ninh",
            standing_body="Sở Nội vụ",
            issuing_body="ỦY BAN NHÂN DÂN TỈNH BẮC NINH",
            legal_basis="Căn cứ Luật Thi đua, khen thưởng ngày 15/6/2022;\n"
            "Căn cứ Nghị định số 152/2025/NĐ-CP;",
        )
    )
    world = SetupWorld(
        campaign=campaign,
        round=setup.create_round(
            campaign,
            setup.RoundData(
                code=round_code or f"{code}-R2025",
                name="Ngày Chuyển đổi số 10/10/2025",
                nomination_opens=date(2025, 8, 1),
                nomination_closes=date(2025, 9, 30),
                review_deadline=date(2025, 10, 5),
                ceremony_date=date(2025, 10, 10),
                disclosure_days=10,
            ),
        ),
    )
    for position, (group_code, applies_to, criteria) in enumerate(GROUPS):
        group = setup.create_criterion_group(
            campaign,
            setup.GroupData(
                code=group_code,
                title=f"Nhóm {group_code}",
                applies_to=applies_to,
                position=position,
            ),
        )
        world.groups[group_code] = group
        for n, (criterion_code, points) in enumerate(criteria):
            world.criteria[criterion_code] = setup.create_criterion(
                campaign,
                setup.CriterionData(
                    group_id=group.id,
                    code=criterion_code,
                    title=f"Tiêu chí {criterion_code}",
                    max_points=Decimal(points),
                    applies_to=applies_to,
                    position=n,
                ),
            )
    world.forms["BK"] = setup.create_award_form(
        campaign,
        setup.AwardFormData(
            code="BK",
            name="Bằng khen của Chủ tịch UBND tỉnh",
            certificate_title="BẰNG KHEN",
            awarding_title="CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH BẮC NINH",
            min_score=Decimal(80),
            cash_multiple_collective=Decimal("3.0"),
            cash_multiple_individual=Decimal("1.5"),
            signer_prefix="KT.",
            signer_title="PHÓ CHỦ TỊCH",
            signer_name="Nguyễn Văn Thử",
        ),
    )
    world.forms["GK"] = setup.create_award_form(
        campaign,
        setup.AwardFormData(
            code="GK",
            name="Giấy khen của Giám đốc Sở Nội vụ",
            certificate_title="GIẤY KHEN",
            awarding_title="GIÁM ĐỐC SỞ NỘI VỤ TỈNH BẮC NINH",
            for_individuals=False,
            min_score=Decimal(65),
            position=1,
        ),
    )
    _db.session.commit()
    return world


@pytest.fixture(autouse=True)
def request_context(app: Flask) -> Iterator[None]:
    # Messages are translated for the current request's locale (app.select_locale needs a request).
    # A fresh application context: the session-wide one keeps ``g`` (and the last request's user).
    with app.app_context(), app.test_request_context():
        yield


@pytest.fixture()
def world(db: object) -> SetupWorld:
    return build_campaign()


def _copy_events() -> list[AuditEvent]:
    return list(_db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "copy")))


# --------------------------------------------------------------------------- validation


def test_complete_setup_has_no_problems(world: SetupWorld) -> None:
    assert setup.validate_setup(world.campaign) == []
    assert setup.points_by_kind(world.campaign) == {
        setup.RecipientKind.COLLECTIVE: Decimal(100),
        setup.RecipientKind.INDIVIDUAL: Decimal(100),
    }
    assert [g.max_points for g in world.campaign.criterion_groups] == [
        Decimal(60),
        Decimal(40),
        Decimal(50),
        Decimal(50),
    ]


def test_points_must_add_up_for_each_kind(world: SetupWorld) -> None:
    world.criteria["4.2"].max_points = Decimal("15")

    problems = setup.validate_setup(world.campaign)

    assert problems == [
        "Tổng điểm tối đa của các tiêu chí áp dụng cho cá nhân là 95, chưa bằng tổng điểm của "
        "phong trào (100). Hãy điều chỉnh điểm tối đa các tiêu chí."
    ]


def test_criteria_for_both_kinds_count_for_each(world: SetupWorld) -> None:
    world.criteria["1.2"].applies_to = AppliesTo.BOTH
    world.groups["TT1"].applies_to = AppliesTo.BOTH

    problems = setup.validate_setup(world.campaign)

    assert setup.points_by_kind(world.campaign)[setup.RecipientKind.INDIVIDUAL] == Decimal(120)
    assert len(problems) == 1
    assert "cá nhân là 120" in problems[0]


def test_kind_without_award_form_is_not_checked(world: SetupWorld) -> None:
    world.forms["BK"].for_individuals = False
    world.criteria["4.2"].max_points = Decimal("15")

    assert setup.open_kinds(world.campaign) == [setup.RecipientKind.COLLECTIVE]
    assert setup.validate_setup(world.campaign) == []


def test_weights_must_be_positive(world: SetupWorld) -> None:
    with _db.session.no_autoflush:  # the database itself refuses such weights
        world.criteria["1.1"].weight = Decimal(0)
        world.criteria["3.1"].weight = Decimal(-1)

        problems = setup.validate_setup(world.campaign)

    assert problems == [
        "Tiêu chí 1.1 có trọng số không dương; trọng số phải lớn hơn 0.",
        "Tiêu chí 3.1 có trọng số không dương; trọng số phải lớn hơn 0.",
    ]


def test_criterion_must_sit_in_a_group_of_its_kind(world: SetupWorld) -> None:
    world.groups["TT2"].applies_to = AppliesTo.INDIVIDUAL

    problems = setup.validate_setup(world.campaign)

    assert problems == [
        "Tiêu chí 2.1 áp dụng cho tập thể nhưng nằm trong nhóm TT2 chỉ dành cho cá nhân. "
        "Hãy chuyển tiêu chí sang nhóm phù hợp."
    ]


def test_at_least_one_award_form_and_min_score_within_total(world: SetupWorld) -> None:
    world.forms["GK"].min_score = Decimal("100.5")
    assert setup.validate_setup(world.campaign) == [
        "Hình thức GK yêu cầu tối thiểu 100,5 điểm, vượt tổng điểm 100."
    ]

    setup.delete_award_form(world.forms["BK"])
    setup.delete_award_form(world.forms["GK"])

    assert setup.validate_setup(world.campaign) == [
        "Phong trào chưa có hình thức khen thưởng nào. Hãy thêm ít nhất một hình thức."
    ]


def test_round_dates_out_of_order_are_reported(world: SetupWorld) -> None:
    # After the ceremony: no database constraint stops it.
    world.round.review_deadline = date(2025, 10, 20)

    assert setup.validate_setup(world.campaign) == [
        "Đợt xét CDS-2024-2025-R2025: các mốc thời gian chưa đúng thứ tự (mở nhận hồ sơ ≤ hạn nộp "
        "hồ sơ ≤ hạn chấm điểm ≤ ngày trao thưởng)."
    ]


@pytest.mark.parametrize(
    ("opens", "closes", "review", "ceremony"),
    [
        (date(2025, 9, 1), date(2025, 8, 1), None, date(2025, 10, 10)),
        (date(2025, 8, 1), date(2025, 9, 30), date(2025, 9, 1), date(2025, 10, 10)),
        (date(2025, 8, 1), date(2025, 9, 30), date(2025, 10, 11), date(2025, 10, 10)),
        (date(2025, 8, 1), date(2025, 9, 30), None, date(2025, 9, 29)),
    ],
)
def test_round_services_refuse_dates_out_of_order(
    world: SetupWorld, opens: date, closes: date, review: date | None, ceremony: date
) -> None:
    data = setup.RoundData(
        code="R-NEW",
        name="Đợt mới",
        nomination_opens=opens,
        nomination_closes=closes,
        review_deadline=review,
        ceremony_date=ceremony,
    )
    with pytest.raises(setup.SetupError, match="chưa đúng thứ tự"):
        setup.create_round(world.campaign, data)
    with pytest.raises(setup.SetupError, match="chưa đúng thứ tự"):
        setup.update_round(world.round, data)
    assert _db.session.scalar(sa.select(sa.func.count(Round.id))) == 1


def test_codes_are_unique_where_they_must_be(world: SetupWorld) -> None:
    other = build_campaign("KHAC", round_code="KHAC-R1")
    group = setup.GroupData(code="TT1", title="Trùng mã")
    criterion = setup.CriterionData(
        group_id=world.groups["TT1"].id,
        code="1.1",
        title="Trùng mã",
        max_points=Decimal(5),
        applies_to=AppliesTo.COLLECTIVE,
    )
    award_form = setup.AwardFormData(
        code="BK", name="Trùng mã", certificate_title="BẰNG KHEN", awarding_title="X"
    )

    with pytest.raises(setup.SetupError, match="Mã phong trào KHAC đã được dùng"):
        setup.update_campaign(
            world.campaign,
            setup.CampaignData(
                code="KHAC",
                name="x",
                period_start=date(2024, 1, 1),
                period_end=date(2024, 12, 31),
            ),
        )
    with pytest.raises(setup.SetupError, match="Mã đợt xét KHAC-R1 đã được dùng"):
        setup.update_round(
            world.round,
            setup.RoundData(
                code="KHAC-R1",
                name="x",
                nomination_opens=date(2025, 8, 1),
                nomination_closes=date(2025, 9, 30),
                ceremony_date=date(2025, 10, 10),
            ),
        )
    with pytest.raises(setup.SetupError, match="Mã nhóm tiêu chí TT1"):
        setup.create_criterion_group(world.campaign, group)
    with pytest.raises(setup.SetupError, match="Mã nhóm tiêu chí TT1"):
        setup.update_criterion_group(world.groups["TT2"], group)
    with pytest.raises(setup.SetupError, match=r"Mã tiêu chí 1\.1"):
        setup.create_criterion(world.campaign, criterion)
    with pytest.raises(setup.SetupError, match=r"Mã tiêu chí 1\.1"):
        setup.update_criterion(world.criteria["1.2"], criterion)
    with pytest.raises(setup.SetupError, match="Mã hình thức khen thưởng BK"):
        setup.create_award_form(world.campaign, award_form)
    with pytest.raises(setup.SetupError, match="Mã hình thức khen thưởng BK"):
        setup.update_award_form(world.forms["GK"], award_form)

    # Within another campaign the same codes are fine (the other campaign already uses them).
    assert {g.code for g in other.campaign.criterion_groups} == set(world.groups)
    # Saving an object under its own code is not a clash.
    setup.update_criterion_group(
        world.groups["TT1"],
        setup.GroupData(code="TT1", title="Đổi tên", applies_to=AppliesTo.COLLECTIVE),
    )
    assert world.groups["TT1"].title == "Đổi tên"


def test_services_refuse_values_the_database_would_reject(world: SetupWorld) -> None:
    base = dict(code="N", name="x", period_start=date(2024, 1, 1), period_end=date(2024, 12, 31))
    with pytest.raises(setup.SetupError, match="Ngày kết thúc"):
        setup.create_campaign(setup.CampaignData(**{**base, "period_end": date(2023, 1, 1)}))
    with pytest.raises(setup.SetupError, match="Tổng điểm"):
        setup.create_campaign(setup.CampaignData(**base, total_points=Decimal(0)))
    with pytest.raises(setup.SetupError, match="phiếu chấm"):
        setup.create_campaign(setup.CampaignData(**base, min_reviews=0))

    criterion = dict(
        group_id=world.groups["TT1"].id, code="9.9", title="x", applies_to=AppliesTo.BOTH
    )
    with pytest.raises(setup.SetupError, match="Điểm tối đa"):
        setup.create_criterion(
            world.campaign, setup.CriterionData(**criterion, max_points=Decimal(0))
        )
    with pytest.raises(setup.SetupError, match="Trọng số"):
        setup.create_criterion(
            world.campaign,
            setup.CriterionData(**criterion, max_points=Decimal(1), weight=Decimal(0)),
        )
    with pytest.raises(setup.SetupError, match="Chỉ tiêu"):
        setup.create_criterion(
            world.campaign,
            setup.CriterionData(**criterion, max_points=Decimal(1), target_value=Decimal(0)),
        )
    other = build_campaign("KHAC", round_code="KHAC-R1")
    with pytest.raises(setup.SetupError, match="không thuộc phong trào"):
        setup.create_criterion(
            world.campaign,
            setup.CriterionData(
                **{**criterion, "group_id": other.groups["TT1"].id}, max_points=Decimal(1)
            ),
        )

    form = dict(code="X", name="x", certificate_title="x", awarding_title="x")
    with pytest.raises(setup.SetupError, match="ít nhất một đối tượng"):
        setup.create_award_form(
            world.campaign,
            setup.AwardFormData(**form, for_collectives=False, for_individuals=False),
        )
    with pytest.raises(setup.SetupError, match="Tỷ lệ phiếu"):
        setup.create_award_form(
            world.campaign, setup.AwardFormData(**form, ballot_threshold=Decimal(101))
        )
    with pytest.raises(setup.SetupError, match="không được âm"):
        setup.create_award_form(world.campaign, setup.AwardFormData(**form, quota_total=-1))
    with pytest.raises(setup.SetupError, match="Số ngày công khai"):
        setup.create_round(
            world.campaign,
            setup.RoundData(
                code="R-X",
                name="x",
                nomination_opens=date(2025, 8, 1),
                nomination_closes=date(2025, 9, 30),
                ceremony_date=date(2025, 10, 10),
                disclosure_days=0,
            ),
        )


# --------------------------------------------------------------------------- copies


def test_copy_campaign_copies_groups_criteria_and_forms(world: SetupWorld) -> None:
    source = world.campaign

    copy = setup.copy_campaign(
        source,
        code="CDS-2026-2027",
        name="Chuyển đổi số giai đoạn 2026 – 2027",
        period_start=date(2026, 1, 1),
        period_end=date(2027, 12, 31),
    )
    _db.session.commit()

    assert copy.id != source.id
    assert (copy.code, copy.period_start, copy.period_end) == (
        "CDS-2026-2027",
        date(2026, 1, 1),
        date(2027, 12, 31),
    )
    for name in (
        "legal_basis",
        "plan_reference",
        "organiser",
        "standing_body",
        "issuing_body",
        "aggregation",
        "min_reviews",
        "total_points",
        "comment_margin",
    ):
        assert getattr(copy, name) == getattr(source, name), name
    assert copy.rounds == []

    def groups(c: Campaign) -> list[tuple]:
        return [(g.code, g.title, g.applies_to, g.position) for g in c.criterion_groups]

    def criteria(c: Campaign) -> list[tuple]:
        return [
            (x.group.code, x.code, x.title, x.max_points, x.weight, x.applies_to, x.target_value)
            for x in c.criteria
        ]

    def forms(c: Campaign) -> list[dict]:
        return [setup._columns(f) for f in c.award_forms]

    assert groups(copy) == groups(source)
    assert criteria(copy) == criteria(source)
    assert forms(copy) == forms(source)
    assert not {g.id for g in copy.criterion_groups} & {g.id for g in source.criterion_groups}
    assert not {c.id for c in copy.criteria} & {c.id for c in source.criteria}
    assert not {f.id for f in copy.award_forms} & {f.id for f in source.award_forms}
    assert all(c.group.campaign_id == copy.id for c in copy.criteria)
    assert setup.validate_setup(copy) == setup.validate_setup(source) == []

    events = _copy_events()
    assert [(e.object_type, e.object_id) for e in events] == [("campaigns", str(copy.id))]
    assert json.loads(events[0].before) == {"source_code": source.code, "source_id": source.id}


def test_copy_keeps_the_problems_of_its_source(world: SetupWorld) -> None:
    world.criteria["1.1"].max_points = Decimal(35)
    _db.session.commit()

    copy = setup.copy_campaign(
        world.campaign,
        code="C2",
        name="x",
        period_start=date(2026, 1, 1),
        period_end=date(2026, 12, 31),
    )

    assert setup.validate_setup(copy) == setup.validate_setup(world.campaign)
    assert len(setup.validate_setup(copy)) == 1


def test_copy_campaign_refuses_taken_code_and_bad_period(world: SetupWorld) -> None:
    with pytest.raises(setup.SetupError, match="đã được dùng"):
        setup.copy_campaign(
            world.campaign,
            code=world.campaign.code,
            name="x",
            period_start=date(2026, 1, 1),
            period_end=date(2026, 12, 31),
        )
    with pytest.raises(setup.SetupError, match="Ngày kết thúc"):
        setup.copy_campaign(
            world.campaign,
            code="NEW",
            name="x",
            period_start=date(2026, 1, 1),
            period_end=date(2025, 1, 1),
        )
    assert _db.session.scalar(sa.select(sa.func.count(Campaign.id))) == 1


def test_copy_round_shifts_dates_into_another_campaign(world: SetupWorld) -> None:
    setup.set_round_phase(world.round, RoundPhase.NOMINATING)
    target = setup.copy_campaign(
        world.campaign,
        code="C2",
        name="x",
        period_start=date(2026, 1, 1),
        period_end=date(2027, 12, 31),
    )

    copy = setup.copy_round(world.round, campaign=target, code="R2026", name="Ngày CĐS 2026")
    _db.session.commit()

    assert copy.id != world.round.id
    assert copy.campaign_id == target.id
    assert (
        copy.nomination_opens,
        copy.nomination_closes,
        copy.review_deadline,
        copy.ceremony_date,
    ) == (
        date(2026, 8, 1),
        date(2026, 9, 30),
        date(2026, 10, 5),
        date(2026, 10, 10),
    )
    assert copy.phase is RoundPhase.SETUP
    assert copy.disclosure_days == 10
    events = [e for e in _copy_events() if e.object_type == "rounds"]
    assert [json.loads(e.before) for e in events] == [
        {"source_code": world.round.code, "source_id": world.round.id}
    ]


def test_copy_round_is_safe_on_29_february(world: SetupWorld) -> None:
    world.round.nomination_opens = date(2024, 2, 29)
    world.round.nomination_closes = date(2024, 2, 29)
    world.round.review_deadline = None
    world.round.ceremony_date = date(2024, 3, 1)

    one = setup.copy_round(world.round, campaign=world.campaign, code="R-1Y", name="x")
    four = setup.copy_round(
        world.round, campaign=world.campaign, code="R-4Y", name="x", shift_years=4
    )

    assert (
        one.nomination_opens,
        one.nomination_closes,
        one.review_deadline,
        one.ceremony_date,
    ) == (
        date(2025, 2, 28),
        date(2025, 2, 28),
        None,
        date(2025, 3, 1),
    )
    assert four.nomination_opens == date(2028, 2, 29)
    with pytest.raises(setup.SetupError, match="đã được dùng"):
        setup.copy_round(world.round, campaign=world.campaign, code="R-1Y", name="x")


def test_year_suggestions_for_copies() -> None:
    assert (
        setup.shift_years_in_text("Ngày Chuyển đổi số 10/10/2024", 1)
        == "Ngày Chuyển đổi số 10/10/2025"
    )
    assert setup.shift_years_in_text("CDS2024-2025 (12024)", 2) == "CDS2026-2027 (12024)"
    assert setup.shift_date(date(2024, 2, 29), -1) == date(2023, 2, 28)


# --------------------------------------------------------------------------- delete and phase rules


def test_delete_allowed_in_setup_and_refused_after(world: SetupWorld) -> None:
    setup.delete_criterion(world.criteria["4.2"])
    _db.session.commit()
    assert "4.2" not in {c.code for c in world.campaign.criteria}
    world.criteria["4.1"].max_points = Decimal(50)
    setup.set_round_phase(world.round, RoundPhase.NOMINATING)
    _db.session.commit()

    for delete, obj in (
        (setup.delete_criterion, world.criteria["1.1"]),
        (setup.delete_criterion_group, world.groups["TT1"]),
        (setup.delete_award_form, world.forms["GK"]),
    ):
        with pytest.raises(setup.SetupError, match="rời giai đoạn Chuẩn bị"):
            delete(obj)
    assert sorted(c.code for c in world.campaign.criteria) == ["1.1", "1.2", "2.1", "3.1", "4.1"]
    assert len(world.campaign.award_forms) == 2


def test_group_with_criteria_cannot_be_deleted(world: SetupWorld) -> None:
    with pytest.raises(setup.SetupError, match="Nhóm TT2 còn 1 tiêu chí"):
        setup.delete_criterion_group(world.groups["TT2"])

    setup.delete_criterion(world.criteria["2.1"])
    setup.delete_criterion_group(world.groups["TT2"])
    _db.session.commit()

    assert [g.code for g in world.campaign.criterion_groups] == ["TT1", "CN1", "CN2"]


def test_leaving_setup_is_refused_while_problems_remain(world: SetupWorld) -> None:
    world.criteria["1.1"].max_points = Decimal(10)
    _db.session.commit()

    with pytest.raises(setup.SetupError, match="còn 1 vấn đề"):
        setup.set_round_phase(world.round, RoundPhase.NOMINATING)
    assert world.round.phase is RoundPhase.SETUP

    world.criteria["1.1"].max_points = Decimal(40)
    setup.set_round_phase(world.round, RoundPhase.NOMINATING)
    assert world.round.phase is RoundPhase.NOMINATING

    # Later moves are not re-validated here; the workflow issue owns them.
    world.criteria["1.1"].max_points = Decimal(10)
    setup.set_round_phase(world.round, RoundPhase.REVIEWING)
    assert world.round.phase is RoundPhase.REVIEWING


def test_phase_rules(world: SetupWorld) -> None:
    with pytest.raises(setup.SetupError, match="đã ở giai đoạn"):
        setup.set_round_phase(world.round, RoundPhase.SETUP)
    world.round.disclosure_days = None
    world.round.phase = RoundPhase.COUNCIL
    with pytest.raises(setup.SetupError, match="không có thời gian công khai"):
        setup.set_round_phase(world.round, RoundPhase.DISCLOSURE)
    setup.set_round_phase(world.round, RoundPhase.APPROVING)  # disclosure is optional: skipped
    world.round.phase = RoundPhase.SETUP

    data = setup.RoundData(
        code="R-NEW",
        name="x",
        nomination_opens=date(2026, 8, 1),
        nomination_closes=date(2026, 9, 30),
        ceremony_date=date(2026, 10, 10),
        phase=RoundPhase.NOMINATING,
    )
    world.criteria["1.1"].max_points = Decimal(10)
    with pytest.raises(setup.SetupError, match="vấn đề"):
        setup.create_round(world.campaign, data)
    with pytest.raises(setup.SetupError, match="vấn đề"):
        setup.update_round(world.round, data)
    world.criteria["1.1"].max_points = Decimal(40)
    created = setup.create_round(world.campaign, data)
    assert created.phase is RoundPhase.NOMINATING


@pytest.mark.parametrize(
    ("current", "target", "allowed"),
    [
        (RoundPhase.SETUP, RoundPhase.NOMINATING, True),
        (RoundPhase.NOMINATING, RoundPhase.REVIEWING, True),
        (RoundPhase.REVIEWING, RoundPhase.NOMINATING, True),  # late dossiers
        (RoundPhase.NOMINATING, RoundPhase.SETUP, True),  # no nomination filed yet
        (RoundPhase.REVIEWING, RoundPhase.SETUP, False),
        (RoundPhase.SETUP, RoundPhase.DECIDED, False),
        (RoundPhase.NOMINATING, RoundPhase.COUNCIL, False),
        (RoundPhase.COUNCIL, RoundPhase.APPROVING, True),
        (RoundPhase.DECIDED, RoundPhase.APPROVING, False),
    ],
)
def test_rounds_move_one_phase_at_a_time(world: SetupWorld, current, target, allowed) -> None:
    world.round.phase = current
    _db.session.flush()
    assert setup.phase_move_allowed(world.round, target) is allowed
    if not allowed:
        with pytest.raises(setup.SetupError, match="Không thể chuyển đợt xét"):
            setup.set_round_phase(world.round, target)
        assert world.round.phase is current


def test_a_round_with_nominations_cannot_go_back_to_setup_and_freezes_the_setup(db) -> None:
    from tests import factories

    filing = factories.make_filing()
    unit = factories.make_unit()
    head = factories.make_user(Role.UNIT_HEAD, unit=unit)
    factories.make_nomination(filing, unit, head)
    assert setup.phase_move_allowed(filing.round, RoundPhase.SETUP) is False
    filing.round.phase = RoundPhase.SETUP  # even if it were forced back …
    assert setup.is_setup_frozen(filing.campaign) is True  # … criteria in use stay undeletable
    with pytest.raises(setup.SetupError):
        setup.delete_award_form(filing.form)


def test_what_scores_rest_on_cannot_change_once_in_use(db) -> None:
    """Wording and guidance stay editable; max points, weights, kinds and the award form's recipient
    kinds are frozen once a nomination exists (a lower max would strand filed self-scores)."""
    import dataclasses

    from tests import factories

    filing = factories.make_filing()
    unit = factories.make_unit()
    head = factories.make_user(Role.UNIT_HEAD, unit=unit)
    factories.make_nomination(filing, unit, head)
    criterion = next(iter(filing.criteria.values()))
    current = setup.CriterionData(
        group_id=criterion.group_id,
        code=criterion.code,
        title=criterion.title,
        max_points=criterion.max_points,
        applies_to=criterion.applies_to,
        guidance=criterion.guidance,
        weight=criterion.weight,
        target_value=criterion.target_value,
        target_unit=criterion.target_unit,
        evidence_required=criterion.evidence_required,
        position=criterion.position,
    )

    setup.update_criterion(
        criterion, dataclasses.replace(current, guidance="Chấm theo minh chứng.")
    )
    assert criterion.guidance == "Chấm theo minh chứng."
    with pytest.raises(setup.SetupError, match="không thể đổi"):
        setup.update_criterion(criterion, dataclasses.replace(current, max_points=Decimal(1)))
    assert criterion.max_points == current.max_points

    form = filing.form
    form_data = setup.AwardFormData(
        code=form.code,
        name=form.name,
        certificate_title=form.certificate_title,
        awarding_title=form.awarding_title,
        for_collectives=form.for_collectives,
        for_individuals=form.for_individuals,
        quota_total=form.quota_total,
    )
    setup.update_award_form(form, dataclasses.replace(form_data, quota_total=12))
    assert form.quota_total == 12
    with pytest.raises(setup.SetupError, match="không thể đổi"):
        setup.update_award_form(
            form, dataclasses.replace(form_data, for_collectives=not form.for_collectives)
        )
