"""Nominations: drafting, editing, completeness and duplicate checks.

The views, the bulk Excel import and the demo seed all go through these functions. State changes are
not made here: ``awards.workflow.transition`` does them. Services flush, never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from awards.extensions import db
from awards.permissions import PROVINCE_ROLES, UNIT_ROLES
from awards.text import clean, fold
from models import (
    AppliesTo,
    AwardForm,
    Criterion,
    EvidenceFile,
    Nomination,
    NominationEvent,
    NominationState,
    PastAward,
    RecipientKind,
    Round,
    RoundPhase,
    SelfScore,
    Sex,
    StaffCategory,
    Unit,
    User,
)

CITIZEN_ID_LENGTH = 12
MAX_HEADCOUNT = 1_000_000
MAX_REPORTED_VALUE = Decimal("999999999")  # the column holds 9 digits before the point
TEXT_MAX = 255  # nominee name, position, workplace, past award form (String(255) columns)
# States that mean "this person/collective is (or was) really proposed" for duplicate checks.
_LIVE_STATES = frozenset(
    set(NominationState) - {NominationState.WITHDRAWN, NominationState.REJECTED}
)
_AWARDED_STATES = frozenset({NominationState.AWARDED})


class NominationError(ValueError):
    """Input that cannot be saved; ``field`` names the form field when there is one."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class StaleNominationError(NominationError):
    """Someone else saved the nomination since this form was loaded."""


@dataclass
class ScoreInput:
    criterion_id: int
    points: Decimal
    reported_value: Decimal | None = None


@dataclass
class PastAwardInput:
    year: int
    form: str
    decision_number: str = ""


@dataclass
class NominationData:
    """Everything a unit fills in for one nomination (plain values, already parsed by a form)."""

    kind: RecipientKind
    award_form_id: int
    nominee_name: str
    citation: str = ""
    report_profile: str = ""
    report_achievements: str = ""
    report_measures: str = ""
    nominee_unit_id: int | None = None
    headcount: int | None = None
    women_share: Decimal | None = None
    sex: Sex | None = None
    date_of_birth: date | None = None
    position: str = ""
    staff_category: StaffCategory | None = None
    workplace: str = ""
    citizen_id: str | None = None
    scores: list[ScoreInput] = field(default_factory=list)
    past_awards: list[PastAwardInput] = field(default_factory=list)


# --------------------------------------------------------------------------- queries


def criteria_for(round_: Round, kind: RecipientKind) -> list[Criterion]:
    """The campaign's criteria that apply to ``kind``, in display order."""
    return db.session.scalars(
        sa.select(Criterion)
        .where(
            Criterion.campaign_id == round_.campaign_id,
            Criterion.applies_to.in_([AppliesTo.BOTH, AppliesTo(kind.value)]),
        )
        .order_by(Criterion.position, Criterion.id)
    ).all()


def award_forms_for(round_: Round, kind: RecipientKind) -> list[AwardForm]:
    """The award forms of the round's campaign open to ``kind``."""
    column = (
        AwardForm.for_collectives if kind is RecipientKind.COLLECTIVE else AwardForm.for_individuals
    )
    return db.session.scalars(
        sa.select(AwardForm)
        .where(AwardForm.campaign_id == round_.campaign_id, column.is_(True))
        .order_by(AwardForm.position, AwardForm.id)
    ).all()


def visible_to(user: User) -> sa.ColumnElement[bool]:
    """The filter that scopes nomination queries to what ``user`` may see (DESIGN.md §1); reviewers
    see what is assigned to them through the review area, not through this list."""
    if user.has_role(*PROVINCE_ROLES):
        return sa.true()
    if user.has_role(*UNIT_ROLES) and user.unit_id is not None:
        return Nomination.unit_id == user.unit_id
    return sa.false()


def can_view(nomination: Nomination, user: User) -> bool:
    if user.has_role(*PROVINCE_ROLES):
        return True
    return user.has_role(*UNIT_ROLES) and user.unit_id == nomination.unit_id


def can_edit(nomination: Nomination, user: User) -> bool:
    return (
        nomination.is_editable
        and user.has_role(*UNIT_ROLES)
        and user.unit_id == nomination.unit_id
        and nomination.round.phase is RoundPhase.NOMINATING
    )


# --------------------------------------------------------------------------- validation


def _validate(round_: Round, data: NominationData) -> None:
    """Raise ``NominationError`` for anything a draft may not hold (drafts may be incomplete)."""
    if round_.phase is not RoundPhase.NOMINATING:
        raise NominationError(
            str(
                _l(
                    "Đợt xét %(code)s không ở giai đoạn nhận hồ sơ đề nghị: không lập hoặc sửa được hồ sơ.",
                    code=round_.code,
                )
            )
        )
    forms = {f.id: f for f in award_forms_for(round_, data.kind)}
    if data.award_form_id not in forms:
        raise NominationError(
            str(_l("Hình thức khen thưởng này không dành cho đối tượng đã chọn trong đợt xét.")),
            "award_form_id",
        )
    if not clean(data.nominee_name):
        raise NominationError(
            str(_l("Vui lòng nhập tên tập thể hoặc họ tên cá nhân.")), "nominee_name"
        )
    # The columns' lengths: PostgreSQL refuses longer text with an error, SQLite would keep it.
    for name in ("nominee_name", "position", "workplace"):
        if len(clean(getattr(data, name))) > TEXT_MAX:
            raise NominationError(str(_l("Tối đa %(max)d ký tự.", max=TEXT_MAX)), name)
    if data.kind is RecipientKind.COLLECTIVE:
        if data.headcount is None or not 0 < data.headcount <= MAX_HEADCOUNT:
            raise NominationError(
                str(_l("Số người của tập thể phải từ 1 đến %(n)d.", n=MAX_HEADCOUNT)), "headcount"
            )
        if data.women_share is not None and not (0 <= data.women_share <= 100):
            raise NominationError(str(_l("Tỷ lệ nữ phải từ 0 đến 100%.")), "women_share")
    else:
        if data.sex is None:
            raise NominationError(str(_l("Vui lòng chọn giới tính.")), "sex")
        if data.date_of_birth is None:
            raise NominationError(str(_l("Vui lòng nhập ngày sinh.")), "date_of_birth")
        age = (round_.ceremony_date - data.date_of_birth).days // 365
        if not 16 <= age <= 90:
            raise NominationError(
                str(_l("Ngày sinh không hợp lệ (tuổi phải từ 16 đến 90).")), "date_of_birth"
            )
        citizen_id = clean(data.citizen_id)
        if citizen_id and (len(citizen_id) != CITIZEN_ID_LENGTH or not citizen_id.isdigit()):
            raise NominationError(
                str(_l("Số CCCD/định danh cá nhân gồm đúng 12 chữ số.")), "citizen_id"
            )
    criteria = {c.id: c for c in criteria_for(round_, data.kind)}
    for score in data.scores:
        criterion = criteria.get(score.criterion_id)
        if criterion is None:
            raise NominationError(
                str(_l("Tiêu chí không thuộc phong trào hoặc không áp dụng cho đối tượng này."))
            )
        if not (0 <= score.points <= criterion.max_points) or (score.points * 2) % 1:
            raise NominationError(
                str(
                    _l(
                        "Điểm tự chấm tiêu chí %(code)s phải từ 0 đến %(max)s, bước 0,5.",
                        code=criterion.code,
                        max=criterion.max_points.normalize(),
                    )
                ),
                f"score_{criterion.id}",
            )
        if score.reported_value is not None:
            if not criterion.is_measurable:
                raise NominationError(
                    str(_l("Tiêu chí %(code)s không có số liệu báo cáo.", code=criterion.code))
                )
            upper = Decimal(100) if criterion.target_unit == "%" else MAX_REPORTED_VALUE
            if not (0 <= score.reported_value <= upper):
                raise NominationError(
                    str(
                        _l(
                            "Số liệu của tiêu chí %(code)s phải từ 0 đến %(max)s.",
                            code=criterion.code,
                            max=upper,
                        )
                    ),
                    f"value_{criterion.id}",
                )
    for past in data.past_awards:
        if not (1945 <= past.year <= round_.ceremony_date.year) or not clean(past.form):
            raise NominationError(
                str(_l("Khen thưởng đã nhận: năm không hợp lệ hoặc thiếu hình thức.")),
                "past_awards",
            )
        if len(clean(past.form)) > TEXT_MAX or len(clean(past.decision_number)) > 128:
            raise NominationError(
                str(_l("Khen thưởng đã nhận: hình thức hoặc số quyết định quá dài.")),
                "past_awards",
            )


def _apply(nomination: Nomination, data: NominationData) -> None:
    individual = data.kind is RecipientKind.INDIVIDUAL
    nomination.kind = data.kind
    nomination.award_form_id = data.award_form_id
    nomination.nominee_name = clean(data.nominee_name)
    nomination.citation = clean(data.citation)
    nomination.report_profile = clean(data.report_profile)
    nomination.report_achievements = clean(data.report_achievements)
    nomination.report_measures = clean(data.report_measures)
    nomination.nominee_unit_id = data.nominee_unit_id
    nomination.headcount = None if individual else data.headcount
    nomination.women_share = None if individual else data.women_share
    nomination.sex = data.sex if individual else None
    nomination.date_of_birth = data.date_of_birth if individual else None
    nomination.position = clean(data.position) if individual else ""
    nomination.staff_category = data.staff_category if individual else None
    nomination.workplace = clean(data.workplace)
    nomination.citizen_id = (clean(data.citizen_id) or None) if individual else None

    existing = {s.criterion_id: s for s in nomination.self_scores}
    wanted = {s.criterion_id: s for s in data.scores}
    for criterion_id, row in existing.items():
        if criterion_id not in wanted:
            nomination.self_scores.remove(row)
    for criterion_id, score in wanted.items():
        row = existing.get(criterion_id)
        if row is None:
            nomination.self_scores.append(
                SelfScore(
                    criterion_id=criterion_id,
                    points=score.points,
                    reported_value=score.reported_value,
                )
            )
        else:
            row.points = score.points
            row.reported_value = score.reported_value
    nomination.past_awards = [
        PastAward(year=p.year, form=clean(p.form), decision_number=clean(p.decision_number))
        for p in data.past_awards
    ]


def create_nomination(round_: Round, unit: Unit, actor: User, data: NominationData) -> Nomination:
    """Create a draft for ``unit`` in ``round_``. Raises ``NominationError`` for bad input."""
    _validate(round_, data)
    nomination = Nomination(round=round_, unit=unit, created_by=actor, state=NominationState.DRAFT)
    _apply(nomination, data)
    db.session.add(nomination)
    db.session.flush()
    nomination.reference = f"{round_.code}-{nomination.id:06d}"
    db.session.add(
        NominationEvent(
            nomination=nomination,
            action="create",
            from_state=None,
            to_state=NominationState.DRAFT,
            actor_id=actor.id,
        )
    )
    refresh_duplicate_note(nomination)
    db.session.flush()
    return nomination


def update_nomination(nomination: Nomination, data: NominationData, *, version: int) -> None:
    """Save a unit's edit. Raises ``StaleNominationError`` when ``version`` is not the stored one
    (someone saved in between: nothing is overwritten) and ``NominationError`` for bad input."""
    if version != nomination.version:
        raise StaleNominationError(
            str(
                _l(
                    "Hồ sơ đã được người khác thay đổi trong lúc bạn sửa. Vui lòng tải lại trang và nhập lại."
                )
            )
        )
    if not nomination.is_editable:
        raise NominationError(str(_l("Hồ sơ ở trạng thái này không sửa được.")))
    _validate(nomination.round, data)
    _apply(nomination, data)
    refresh_duplicate_note(nomination)
    db.session.flush()


# --------------------------------------------------------------------------- completeness and duplicates


def missing_for_submission(
    nomination: Nomination, criteria: Sequence[Criterion] | None = None
) -> list[str]:
    """What a nomination still lacks before its unit head may submit it (Vietnamese, one per line).

    Required: the citation and every section of the achievement report; a self-assessed score for each
    applicable criterion, with the reported figure for measurable ones; evidence for each criterion that
    requires it — a file attached to that criterion, or a general file attached to no criterion (a file
    for another criterion does not count); the nominee's details.
    """
    problems: list[str] = []
    if not nomination.citation:
        problems.append(
            str(_l("Chưa có nội dung ghi trên bằng khen, giấy khen (trích yếu thành tích)."))
        )
    if not nomination.report_profile:
        problems.append(
            str(_l("Báo cáo thành tích: thiếu phần I (đặc điểm, tình hình / sơ lược lý lịch)."))
        )
    if not nomination.report_achievements:
        problems.append(str(_l("Báo cáo thành tích: thiếu phần II (thành tích đạt được).")))
    if nomination.kind is RecipientKind.INDIVIDUAL and not (
        nomination.position and nomination.staff_category
    ):
        problems.append(str(_l("Thiếu chức vụ hoặc đối tượng (lãnh đạo / nhân viên) của cá nhân.")))
    scores = {s.criterion_id: s for s in nomination.self_scores}
    files = [f for f in nomination.files if f.deleted_at is None]
    evidenced = {f.criterion_id for f in files}  # None: a general file, good for every criterion
    if criteria is None:
        criteria = criteria_for(nomination.round, nomination.kind)
    for criterion in criteria:
        score = scores.get(criterion.id)
        if score is None:
            problems.append(str(_l("Chưa tự chấm điểm tiêu chí %(code)s.", code=criterion.code)))
        elif criterion.is_measurable and score.reported_value is None:
            problems.append(
                str(_l("Chưa báo cáo số liệu của tiêu chí %(code)s.", code=criterion.code))
            )
        if criterion.evidence_required and not evidenced & {criterion.id, None}:
            problems.append(
                str(_l("Thiếu tài liệu minh chứng cho tiêu chí %(code)s.", code=criterion.code))
            )
    return problems


def missing_for_many(items: Sequence[Nomination]) -> dict[int, list[str]]:
    """``missing_for_submission`` for a list page: one criteria query per round and kind. Load the
    nominations with ``LIST_OPTIONS`` so their scores and files come in a few queries too."""
    criteria: dict[tuple[int, RecipientKind], list[Criterion]] = {}
    missing = {}
    for nomination in items:
        key = (nomination.round_id, nomination.kind)
        if key not in criteria:
            criteria[key] = criteria_for(nomination.round, nomination.kind)
        missing[nomination.id] = missing_for_submission(nomination, criteria[key])
    return missing


# Eager loading for pages that show many nominations with their completeness and history.
LIST_OPTIONS = (
    selectinload(Nomination.self_scores),
    selectinload(Nomination.files),
    selectinload(Nomination.events),
)


def find_duplicates(nomination: Nomination) -> list[Nomination]:
    """Other nominations of the same person or collective: in the same round (not withdrawn or
    rejected), or already awarded in the same campaign. Same person = same citizen id, or same
    accent-folded name and date of birth; same collective = same folded name."""
    same_round = Nomination.round_id == nomination.round_id
    awarded_in_campaign = sa.and_(
        Nomination.state.in_(_AWARDED_STATES),
        Nomination.round_id.in_(
            sa.select(Round.id).where(Round.campaign_id == nomination.round.campaign_id)
        ),
    )
    if nomination.kind is RecipientKind.INDIVIDUAL:
        match = sa.and_(
            Nomination.search_name == fold(nomination.nominee_name),
            Nomination.date_of_birth == nomination.date_of_birth,
        )
        if nomination.citizen_id:
            match = sa.or_(match, Nomination.citizen_id == nomination.citizen_id)
    else:
        match = Nomination.search_name == fold(nomination.nominee_name)
    stmt = (
        sa.select(Nomination)
        .where(
            Nomination.id != nomination.id,
            Nomination.kind == nomination.kind,
            match,
            sa.or_(sa.and_(same_round, Nomination.state.in_(_LIVE_STATES)), awarded_in_campaign),
        )
        .order_by(Nomination.id)
    )
    return list(db.session.scalars(stmt))


def refresh_duplicate_note(nomination: Nomination) -> None:
    """Flag (never block) a nomination that duplicates another; the board decides."""
    others = find_duplicates(nomination)
    # Stored text, shown on Vietnamese pages: no raw state codes ("draft") in it.
    nomination.duplicate_note = "; ".join(
        f"{other.reference} ({other.unit.name}, {other.round.code}"
        + (", đã được khen thưởng)" if other.state in _AWARDED_STATES else ")")
        for other in others
    )


def live_files(nomination: Nomination) -> list[EvidenceFile]:
    return [f for f in nomination.files if f.deleted_at is None]


def place_of(nomination: Nomination) -> str:
    """The "position and unit" a list or an annex prints beside a nominee: "Chuyên viên, Sở Tài chính"
    for an individual, the unit a collective belongs to (its workplace, its nominee unit, else the
    proposing unit)."""
    unit_name = clean(
        nomination.workplace
        or (nomination.nominee_unit.name if nomination.nominee_unit else "")
        or nomination.unit.name
    )
    if nomination.kind is RecipientKind.INDIVIDUAL:
        return ", ".join(part for part in (clean(nomination.position), unit_name) if part)
    return unit_name
