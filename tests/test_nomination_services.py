"""Nomination services (``awards/nominations.py``) and list queries (``awards/nomination_lists.py``):
drafting and editing per recipient kind, validation per field, the optimistic lock, duplicates, scope."""

from __future__ import annotations

import unicodedata
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from awards import nomination_lists, nominations
from awards.extensions import db as _db
from awards.nomination_lists import ListFilters
from awards.nominations import (
    NominationData,
    NominationError,
    PastAwardInput,
    ScoreInput,
    StaleNominationError,
)
from models import (
    AwardForm,
    Nomination,
    NominationState,
    PastAward,
    RecipientKind,
    Role,
    Round,
    RoundPhase,
    SelfScore,
    Sex,
    StaffCategory,
)
from tests.factories import (
    Filing,
    bring_to,
    complete_data,
    force_state,
    make_filing,
    make_nomination,
    make_unit,
    make_user,
)

C = RecipientKind.COLLECTIVE
I = RecipientKind.INDIVIDUAL  # noqa: E741


@pytest.fixture()
def filing(db: object) -> Filing:
    return make_filing()


@pytest.fixture()
def unit(filing: Filing):  # type: ignore[no-untyped-def]
    return make_unit("Sở Thông tin và Truyền thông")


@pytest.fixture()
def clerk(unit):  # type: ignore[no-untyped-def]
    return make_user(Role.UNIT_CLERK, unit=unit)


def _nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def _individual(filing: Filing, **changes: object) -> NominationData:
    return replace(complete_data(filing, I), **changes)


def _collective(filing: Filing, **changes: object) -> NominationData:
    return replace(complete_data(filing, C), **changes)


# --------------------------------------------------------------------------- create


def test_create_collective_stores_nfc_trimmed_text_scores_and_history(filing, unit, clerk) -> None:
    measurable = filing.criteria["1.2"]
    data = _collective(
        filing,
        nominee_name=_nfd("  Phòng Chuyển đổi số, Sở Thông tin và Truyền thông  "),
        citation=_nfd(" Đã có thành tích xuất sắc trong phong trào thi đua “Chuyển đổi số” "),
        report_profile="Dòng một\nDòng hai",
        headcount=25,
        women_share=Decimal("72.5"),
        nominee_unit_id=unit.id,
        scores=[
            ScoreInput(filing.criteria["1.1"].id, Decimal("35.5")),
            ScoreInput(measurable.id, Decimal(24), Decimal("80")),
        ],
        past_awards=[PastAwardInput(2023, _nfd(" Giấy khen của Giám đốc Sở "), " 12/QĐ-SNV ")],
    )

    nomination = nominations.create_nomination(filing.round, unit, clerk, data)

    assert nomination.state is NominationState.DRAFT
    assert nomination.reference == f"{filing.round.code}-{nomination.id:06d}"
    assert nomination.nominee_name == "Phòng Chuyển đổi số, Sở Thông tin và Truyền thông"
    assert unicodedata.is_normalized("NFC", nomination.citation)
    assert nomination.citation.startswith("Đã có") and nomination.citation.endswith("”")
    assert nomination.search_name == "phong chuyen doi so, so thong tin va truyen thong"
    assert (nomination.headcount, nomination.women_share) == (25, Decimal("72.5"))
    assert nomination.nominee_unit_id == unit.id
    assert (nomination.sex, nomination.date_of_birth, nomination.citizen_id) == (None, None, None)
    assert sorted((s.criterion_id, s.points, s.reported_value) for s in nomination.self_scores) == [
        (filing.criteria["1.1"].id, Decimal("35.5"), None),
        (measurable.id, Decimal(24), Decimal(80)),
    ]
    assert nomination.self_total == Decimal("59.5")
    assert [(p.year, p.form, p.decision_number) for p in nomination.past_awards] == [
        (2023, "Giấy khen của Giám đốc Sở", "12/QĐ-SNV")
    ]
    assert [(e.action, e.from_state, e.to_state, e.actor_id) for e in nomination.events] == [
        ("create", None, NominationState.DRAFT, clerk.id)
    ]
    assert nomination.duplicate_note == ""


def test_create_individual_keeps_only_the_person_details(filing, unit, clerk) -> None:
    data = _individual(
        filing,
        nominee_name="Nguyễn Thị Phượng",
        sex=Sex.FEMALE,
        date_of_birth=date(1986, 4, 12),
        position="Trưởng phòng Chuyển đổi số",
        staff_category=StaffCategory.LEADER,
        workplace="Sở Thông tin và Truyền thông",
        citizen_id=" 027186000123 ",
        headcount=40,  # ignored for an individual
        women_share=Decimal(50),
    )

    nomination = nominations.create_nomination(filing.round, unit, clerk, data)

    assert nomination.kind is I
    assert (nomination.sex, nomination.date_of_birth) == (Sex.FEMALE, date(1986, 4, 12))
    assert nomination.staff_category is StaffCategory.LEADER
    assert nomination.citizen_id == "027186000123"
    assert (nomination.headcount, nomination.women_share) == (None, None)
    assert nomination.search_name == "nguyen thi phuong"


# --------------------------------------------------------------------------- validation


def _form_for_individuals_only(filing: Filing) -> AwardForm:
    form = AwardForm(
        campaign=filing.campaign,
        code="CSTD",
        name="Chiến sĩ thi đua",
        certificate_title="CHIẾN SĨ THI ĐUA",
        awarding_title="CHỦ TỊCH",
        for_collectives=False,
        for_individuals=True,
    )
    _db.session.add(form)
    _db.session.flush()
    return form


CASES = {
    "award form not open to collectives": (
        C,
        lambda f: {"award_form_id": _form_for_individuals_only(f).id},
        "award_form_id",
    ),
    "empty name": (C, lambda f: {"nominee_name": "   "}, "nominee_name"),
    "name too long": (C, lambda f: {"nominee_name": "A" * 256}, "nominee_name"),
    "headcount 0": (C, lambda f: {"headcount": 0}, "headcount"),
    "headcount missing": (C, lambda f: {"headcount": None}, "headcount"),
    "women share over 100": (C, lambda f: {"women_share": Decimal("100.5")}, "women_share"),
    "sex missing": (I, lambda f: {"sex": None}, "sex"),
    "birth date missing": (I, lambda f: {"date_of_birth": None}, "date_of_birth"),
    "too young": (I, lambda f: {"date_of_birth": date(2015, 1, 1)}, "date_of_birth"),
    "citizen id of 11 digits": (I, lambda f: {"citizen_id": "02718600012"}, "citizen_id"),
    "citizen id with letters": (I, lambda f: {"citizen_id": "02718600012A"}, "citizen_id"),
    "position too long": (I, lambda f: {"position": "x" * 256}, "position"),
    "points over the maximum": (
        C,
        lambda f: {"scores": [ScoreInput(f.criteria["1.1"].id, Decimal("40.5"))]},
        "score_{1.1}",
    ),
    "points off the 0.5 step": (
        C,
        lambda f: {"scores": [ScoreInput(f.criteria["1.1"].id, Decimal("10.3"))]},
        "score_{1.1}",
    ),
    "negative points": (
        C,
        lambda f: {"scores": [ScoreInput(f.criteria["1.1"].id, Decimal(-1))]},
        "score_{1.1}",
    ),
    "percentage over 100": (
        C,
        lambda f: {"scores": [ScoreInput(f.criteria["1.2"].id, Decimal(10), Decimal(101))]},
        "value_{1.2}",
    ),
    "figure for a criterion without target": (
        C,
        lambda f: {"scores": [ScoreInput(f.criteria["1.1"].id, Decimal(10), Decimal(5))]},
        None,
    ),
    "criterion of the other kind": (
        C,
        lambda f: {"scores": [ScoreInput(f.criteria["2.1"].id, Decimal(10))]},
        None,
    ),
    "past award before 1945": (
        C,
        lambda f: {"past_awards": [PastAwardInput(1900, "Bằng khen")]},
        "past_awards",
    ),
    "past award without form": (
        C,
        lambda f: {"past_awards": [PastAwardInput(2020, "  ")]},
        "past_awards",
    ),
    "past award form too long": (
        C,
        lambda f: {"past_awards": [PastAwardInput(2020, "B" * 256)]},
        "past_awards",
    ),
    "past award after the ceremony year": (
        C,
        lambda f: {"past_awards": [PastAwardInput(2030, "Giấy khen")]},
        "past_awards",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_invalid_input_is_refused_on_its_field_and_nothing_is_saved(
    filing, unit, clerk, case
) -> None:
    kind, change, field = CASES[case]
    data = replace(complete_data(filing, kind), **change(filing))
    if field and "{" in field:
        code = field[field.index("{") + 1 : -1]
        field = field.replace("{" + code + "}", str(filing.criteria[code].id))

    with pytest.raises(NominationError) as caught:
        nominations.create_nomination(filing.round, unit, clerk, data)

    assert caught.value.field == field
    assert str(caught.value)
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(Nomination)) == 0


@pytest.mark.parametrize("phase", [p for p in RoundPhase if p is not RoundPhase.NOMINATING])
def test_no_draft_outside_the_filing_phase(filing, unit, clerk, phase) -> None:
    filing.round.phase = phase
    with pytest.raises(NominationError, match="không ở giai đoạn nhận hồ sơ"):
        nominations.create_nomination(filing.round, unit, clerk, complete_data(filing))


# --------------------------------------------------------------------------- update and the lock


def test_update_saves_changes_and_moves_the_version(filing, unit, clerk) -> None:
    nomination = make_nomination(filing, unit, clerk, kind=I)
    version = nomination.version
    data = _individual(
        filing,
        nominee_name="Trần Thị Mai Anh",
        citizen_id="027190000001",
        scores=[ScoreInput(filing.criteria["2.1"].id, Decimal(12), Decimal(2))],
        past_awards=[],
    )

    nominations.update_nomination(nomination, data, version=version)

    _db.session.expire_all()
    stored = _db.session.get(Nomination, nomination.id)
    assert stored.nominee_name == "Trần Thị Mai Anh"
    assert stored.citizen_id == "027190000001"
    assert [(s.criterion_id, s.points, s.reported_value) for s in stored.self_scores] == [
        (filing.criteria["2.1"].id, Decimal(12), Decimal(2))
    ]
    assert stored.version > version
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(SelfScore)) == 1
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(PastAward)) == 0


def test_stale_version_is_refused_and_nothing_is_overwritten(filing, unit, clerk) -> None:
    nomination = make_nomination(filing, unit, clerk, name="Phòng Số hóa")
    loaded = nomination.version
    # Someone else saves first.
    nominations.update_nomination(
        nomination, _collective(filing, nominee_name="Phòng Số hóa (sửa lần 1)"), version=loaded
    )
    _db.session.commit()

    with pytest.raises(StaleNominationError, match="người khác thay đổi"):
        nominations.update_nomination(
            nomination, _collective(filing, nominee_name="Bản cũ ghi đè"), version=loaded
        )

    _db.session.rollback()
    assert _db.session.get(Nomination, nomination.id).nominee_name == "Phòng Số hóa (sửa lần 1)"


def test_submitted_nomination_cannot_be_edited(filing, unit, clerk) -> None:
    nomination = make_nomination(filing, unit, clerk)
    force_state(nomination, NominationState.SUBMITTED)
    with pytest.raises(NominationError, match="không sửa được"):
        nominations.update_nomination(nomination, complete_data(filing), version=nomination.version)


# --------------------------------------------------------------------------- duplicates


def test_duplicate_by_citizen_id(filing, unit, clerk) -> None:
    other_unit = make_unit("Sở Y tế")
    first = nominations.create_nomination(
        filing.round,
        other_unit,
        make_user(Role.UNIT_CLERK, unit=other_unit),
        _individual(filing, nominee_name="Phạm Thị Hương", citizen_id="027184000999"),
    )
    second = nominations.create_nomination(
        filing.round,
        unit,
        clerk,
        _individual(
            filing,
            nominee_name="Phạm Thu Hà",
            date_of_birth=date(1990, 1, 1),
            citizen_id="027184000999",
        ),
    )

    assert nominations.find_duplicates(second) == [first]
    assert second.duplicate_note == f"{first.reference} (Sở Y tế, {filing.round.code})"


def test_duplicate_by_name_and_birth_date_ignores_accents_and_case(filing, unit, clerk) -> None:
    first = nominations.create_nomination(
        filing.round,
        unit,
        clerk,
        _individual(filing, nominee_name="Nguyễn Thị Hà", date_of_birth=date(1985, 5, 20)),
    )
    same = nominations.create_nomination(
        filing.round,
        unit,
        clerk,
        _individual(filing, nominee_name="NGUYEN THI HA", date_of_birth=date(1985, 5, 20)),
    )
    other_birthday = nominations.create_nomination(
        filing.round,
        unit,
        clerk,
        _individual(filing, nominee_name="Nguyễn Thị Hà", date_of_birth=date(1985, 5, 21)),
    )

    assert nominations.find_duplicates(same) == [first]
    assert nominations.find_duplicates(other_birthday) == []


def test_duplicate_collective_by_name_but_not_an_individual_of_that_name(
    filing, unit, clerk
) -> None:
    first = make_nomination(filing, unit, clerk, name="Phòng Chuyển đổi số")
    individual = make_nomination(filing, unit, clerk, kind=I, name="Phòng Chuyển đổi số")
    second = make_nomination(filing, unit, clerk, name="  phòng chuyển đổi số ")

    assert nominations.find_duplicates(second) == [first]
    assert first not in nominations.find_duplicates(individual)


def test_withdrawn_and_rejected_nominations_are_not_duplicates(filing, unit, clerk) -> None:
    head = make_user(Role.UNIT_HEAD, unit=unit)
    withdrawn = make_nomination(filing, unit, clerk, name="Trung tâm Tin học")
    bring_to(withdrawn, NominationState.WITHDRAWN, head=head, board=filing.board)
    rejected = make_nomination(filing, unit, clerk, name="Trung tâm Tin học")
    force_state(rejected, NominationState.REJECTED)

    again = make_nomination(filing, unit, clerk, name="Trung tâm Tin học")

    assert nominations.find_duplicates(again) == []
    assert again.duplicate_note == ""


def test_awarded_in_an_earlier_round_of_the_campaign_is_a_duplicate(filing, unit, clerk) -> None:
    earlier = Round(
        campaign=filing.campaign,
        code=f"{filing.round.code}-2024",
        name="Ngày Chuyển đổi số 10/10/2024",
        nomination_opens=date(2024, 8, 1),
        nomination_closes=date(2024, 9, 30),
        ceremony_date=date(2024, 10, 10),
        phase=RoundPhase.NOMINATING,
    )
    _db.session.add(earlier)
    _db.session.flush()
    last_year = nominations.create_nomination(
        earlier, unit, clerk, _collective(filing, nominee_name="Bộ phận Một cửa")
    )
    not_awarded = nominations.create_nomination(
        earlier, unit, clerk, _collective(filing, nominee_name="Phòng Tin học")
    )
    force_state(last_year, NominationState.AWARDED)
    earlier.phase = RoundPhase.CLOSED

    again = make_nomination(filing, unit, clerk, name="Bộ phận Một cửa")
    other = make_nomination(filing, unit, clerk, name="Phòng Tin học")

    assert nominations.find_duplicates(again) == [last_year]
    assert again.duplicate_note == (
        f"{last_year.reference} ({unit.name}, {earlier.code}, đã được khen thưởng)"
    )
    assert nominations.find_duplicates(other) == []
    assert not_awarded.state is NominationState.DRAFT


def test_awarded_in_another_campaign_is_not_a_duplicate(filing, unit, clerk) -> None:
    elsewhere = make_filing()
    old = nominations.create_nomination(
        elsewhere.round, unit, clerk, _collective(elsewhere, nominee_name="Phòng Văn thư")
    )
    force_state(old, NominationState.AWARDED)

    again = make_nomination(filing, unit, clerk, name="Phòng Văn thư")

    assert nominations.find_duplicates(again) == []


# --------------------------------------------------------------------------- scope and completeness


def test_scope_predicates(filing, unit, clerk) -> None:
    nomination = make_nomination(filing, unit, clerk)
    other_clerk = make_user(Role.UNIT_CLERK, unit=make_unit())
    reviewer = make_user(Role.REVIEWER)
    approver = make_user(Role.APPROVER)

    assert nominations.can_view(nomination, clerk) and nominations.can_edit(nomination, clerk)
    assert not nominations.can_view(nomination, other_clerk)
    assert not nominations.can_edit(nomination, other_clerk)
    assert nominations.can_view(nomination, approver)
    assert not nominations.can_edit(nomination, approver)
    assert not nominations.can_view(nomination, reviewer)

    def listed(user) -> list[int]:  # type: ignore[no-untyped-def]
        return list(
            _db.session.scalars(sa.select(Nomination.id).where(nominations.visible_to(user)))
        )

    assert listed(clerk) == [nomination.id]
    assert listed(approver) == [nomination.id]
    assert listed(other_clerk) == []
    assert listed(reviewer) == []

    filing.round.phase = RoundPhase.REVIEWING
    assert not nominations.can_edit(nomination, clerk)


def test_missing_for_submission(filing, unit, clerk) -> None:
    complete = make_nomination(filing, unit, clerk, kind=I)
    empty = nominations.create_nomination(
        filing.round,
        unit,
        clerk,
        NominationData(
            kind=I,
            award_form_id=filing.form.id,
            nominee_name="Lê Văn Nam",
            sex=Sex.MALE,
            date_of_birth=date(1980, 1, 1),
        ),
    )

    figure_missing = make_nomination(filing, unit, clerk)
    nominations.update_nomination(
        figure_missing,
        replace(
            complete_data(filing, C),
            scores=[
                ScoreInput(c.id, Decimal(1)) for c in nominations.criteria_for(filing.round, C)
            ],
        ),
        version=figure_missing.version,
    )

    assert nominations.missing_for_submission(figure_missing) == [
        "Chưa báo cáo số liệu của tiêu chí 1.2."
    ]
    assert nominations.missing_for_submission(complete) == []
    missing = nominations.missing_for_submission(empty)
    assert len(missing) == 4 + 3 + 1  # citation, 2 report parts, details; 3 scores; 1 evidence
    assert any("2.1" in item and "số liệu" not in item for item in missing)


# --------------------------------------------------------------------------- list queries


def _ids(filters: ListFilters, visible=None) -> list[int]:  # type: ignore[no-untyped-def]
    stmt = nomination_lists.list_statement(filters, sa.true() if visible is None else visible)
    return [n.id for n in _db.session.scalars(stmt).unique()]


def test_list_filters_search_and_sort(filing, unit, clerk) -> None:
    other_unit = make_unit("Ủy ban nhân dân huyện Gia Bình")
    other_clerk = make_user(Role.UNIT_CLERK, unit=other_unit)
    phuong = make_nomination(filing, unit, clerk, kind=I, name="Nguyễn Thị Phượng")
    percent = make_nomination(filing, unit, clerk, name="Phòng 100% số")
    team = make_nomination(filing, other_unit, other_clerk, name="Đội Công nghệ số")
    force_state(team, NominationState.SUBMITTED)

    assert _ids(ListFilters(query="nguyen thi")) == [phuong.id]
    assert _ids(ListFilters(query="NGUYỄN")) == [phuong.id]
    assert _ids(ListFilters(query="100%")) == [percent.id]
    assert _ids(ListFilters(query="%")) == [percent.id]  # a wildcard typed by the user is literal
    assert _ids(ListFilters(query="_")) == []
    assert _ids(ListFilters(query="doi cong")) == [team.id]
    assert _ids(ListFilters(kind=I)) == [phuong.id]
    assert _ids(ListFilters(state=NominationState.SUBMITTED)) == [team.id]
    assert _ids(ListFilters(unit_id=other_unit.id)) == [team.id]
    assert _ids(ListFilters(round_id=filing.round.id + 999)) == []
    assert _ids(ListFilters(award_form_id=filing.form.id, sort="name", descending=False)) == [
        team.id,
        phuong.id,
        percent.id,
    ]
    assert _ids(ListFilters(sort="unit", descending=True))[0] == team.id  # "Ủy ban…" after "Sở…"
    assert _ids(ListFilters(sort="state", descending=False))[-1] == team.id
    assert set(_ids(ListFilters(sort="award_form"))) == {phuong.id, percent.id, team.id}
    assert _ids(ListFilters(sort="nonsense")) == _ids(ListFilters())
    assert _ids(ListFilters(), nominations.visible_to(other_clerk)) == [team.id]


def test_export_records_are_plain_values(filing, unit, clerk) -> None:
    nomination = make_nomination(filing, unit, clerk, kind=I, name='=HYPERLINK("http://x")')
    stmt = nomination_lists.export_statement(ListFilters(), sa.true())

    records = list(nomination_lists.export_records(stmt, batch=1))

    assert len(records) == 1
    record = records[0]
    assert record["reference"] == nomination.reference
    assert record["nominee_name"] == '=HYPERLINK("http://x")'
    assert record["unit_name"] == "Sở Thông tin và Truyền thông"
    assert record["self_total"] == nomination.self_total
    assert record["state"] == NominationState.DRAFT
    assert all(not isinstance(v, _db.Model) for v in record.values())
