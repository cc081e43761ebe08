"""Builders for nomination tests: a round open for filing, units and people, complete nominations.

Plain functions, not fixtures, so that threads, other test modules and helper apps can call them inside
any application context. They add and flush through ``db.session`` and never commit: the caller commits
when other sessions must see the rows.

    filing = make_filing(quota_per_unit=5)          # campaign, round (nominating), award form, criteria
    unit = make_unit()
    head = make_user(Role.UNIT_HEAD, unit=unit)
    n = make_nomination(filing, unit, head)         # complete: missing_for_submission(n) == []
    make_submission(filing, unit, head, [n])        # the unit's Tờ trình
    transition(n, "submit", head, on=IN_WINDOW)

Dates: the nomination window runs from ``OPENS`` to ``CLOSES``; ``IN_WINDOW`` lies inside it.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from awards import nominations, quotas, workflow
from awards.extensions import db
from awards.passwords import hash_password
from models import (
    APPROVAL_STATES,
    QUOTA_STATES,
    AppliesTo,
    AwardForm,
    Campaign,
    Criterion,
    CriterionGroup,
    EvidenceFile,
    Nomination,
    NominationState,
    RecipientKind,
    Role,
    Round,
    RoundPhase,
    Sex,
    StaffCategory,
    Submission,
    Unit,
    UnitKind,
    User,
)
from tests.conftest import PASSWORD

OPENS = date(2025, 8, 1)
CLOSES = date(2025, 9, 30)
IN_WINDOW = date(2025, 9, 15)
CEREMONY = date(2025, 10, 10)

_sequence = itertools.count(
    1
)  # unique codes and names within a test (the database is wiped after it)


def _next() -> int:
    return next(_sequence)


# --------------------------------------------------------------------------- campaign, round, award form


# (code, applies to, max points, measurable target and its unit, evidence required)
CRITERIA: list[tuple[str, AppliesTo, str, str | None, str, bool]] = [
    ("1.1", AppliesTo.BOTH, "40", None, "", True),
    ("1.2", AppliesTo.COLLECTIVE, "30", "100", "%", False),
    ("1.3", AppliesTo.BOTH, "30", None, "", False),
    ("2.1", AppliesTo.INDIVIDUAL, "30", "5", "sáng kiến", False),
]


@dataclass
class Filing:
    """A campaign with one round open for filing, one award form and four criteria, and a board
    officer who belongs to no unit (so never to the nominating unit)."""

    campaign: Campaign
    round: Round
    form: AwardForm
    board: User
    criteria: dict[str, Criterion] = field(default_factory=dict)

    def criteria_for(self, kind: RecipientKind) -> list[Criterion]:
        return [c for c in self.criteria.values() if c.applies_to.includes(kind)]


def make_filing(
    *,
    quota_per_unit: int | None = None,
    phase: RoundPhase = RoundPhase.NOMINATING,
    evidence_required: bool = True,
    opens: date = OPENS,
    closes: date = CLOSES,
) -> Filing:
    """A campaign ready for nominations. ``evidence_required=False`` drops the evidence requirement of
    every criterion (then nominations need no ``EvidenceFile`` to be complete). Nominations are created
    only while the round is nominating: for another ``phase``, create them first, then set the phase."""
    n = _next()
    campaign = Campaign(
        code=f"CDS{n:04d}",
        name="Phong trào thi đua Chuyển đổi số tỉnh Bắc Ninh",
        period_start=date(2025, 1, 1),
        period_end=date(2025, 12, 31),
        issuing_body="ỦY BAN NHÂN DÂN TỈNH BẮC NINH",
        legal_basis="Căn cứ Luật Thi đua, khen thưởng ngày 15 tháng 6 năm 2022;",
    )
    round_ = Round(
        campaign=campaign,
        code=f"CDS{n:04d}-R1",
        name="Ngày Chuyển đổi số 10/10/2025",
        nomination_opens=opens,
        nomination_closes=closes,
        review_deadline=max(closes, CEREMONY),
        ceremony_date=max(closes, CEREMONY),
        phase=phase,
    )
    group = CriterionGroup(campaign=campaign, code="I", title="Kết quả chuyển đổi số")
    criteria = {}
    for position, (code, applies_to, points, target, target_unit, evidence) in enumerate(CRITERIA):
        criteria[code] = Criterion(
            campaign=campaign,
            group=group,
            code=code,
            title=f"Tiêu chí {code}",
            max_points=Decimal(points),
            applies_to=applies_to,
            target_value=Decimal(target) if target else None,
            target_unit=target_unit,
            evidence_required=evidence and evidence_required,
            position=position,
        )
    form = AwardForm(
        campaign=campaign,
        code="BK",
        name="Bằng khen của Chủ tịch UBND tỉnh",
        certificate_title="BẰNG KHEN",
        awarding_title="CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH BẮC NINH",
        quota_per_unit=quota_per_unit,
    )
    board = make_user(Role.BOARD)
    db.session.add_all([campaign, round_, group, form, *criteria.values()])
    db.session.flush()
    return Filing(campaign=campaign, round=round_, form=form, board=board, criteria=criteria)


def make_award_form(filing: Filing, *, quota_per_unit: int | None = None) -> AwardForm:
    """Another award form of the filing's campaign (a second quota to keep apart from the first)."""
    n = _next()
    form = AwardForm(
        campaign=filing.campaign,
        code=f"GK{n}",
        name=f"Giấy khen {n}",
        certificate_title="GIẤY KHEN",
        awarding_title="GIÁM ĐỐC SỞ NỘI VỤ",
        quota_per_unit=quota_per_unit,
        position=n,
    )
    db.session.add(form)
    db.session.flush()
    return form


# --------------------------------------------------------------------------- units and people


def make_unit(name: str | None = None, *, kind: UnitKind = UnitKind.PROVINCIAL_BODY) -> Unit:
    n = _next()
    unit = Unit(code=f"DV{n:04d}", name=name or f"Sở thử nghiệm số {n}", kind=kind)
    db.session.add(unit)
    db.session.flush()
    return unit


_hashes: dict[str, str] = {}  # one hash per password: hashing even at test strength adds up


def make_user(*roles: Role, unit: Unit | None = None, username: str | None = None) -> User:
    """A user with ``roles`` in ``unit`` (``None``: a province-level account, or a unit role without a
    unit, which the rules must refuse). Logs in with ``tests.conftest.PASSWORD``."""
    n = _next()
    if PASSWORD not in _hashes:
        _hashes[PASSWORD] = hash_password(PASSWORD)
    user = User(
        username=username or f"nguoidung{n}",
        full_name=f"Nguyễn Văn Thử {n}",
        password_hash=_hashes[PASSWORD],
        unit=unit,
    )
    user.set_roles(set(roles))
    db.session.add(user)
    db.session.flush()
    return user


# --------------------------------------------------------------------------- nominations


def complete_data(
    filing: Filing,
    kind: RecipientKind = RecipientKind.COLLECTIVE,
    *,
    name: str | None = None,
    form: AwardForm | None = None,
) -> nominations.NominationData:
    """Everything a complete nomination of ``kind`` holds: every applicable criterion self-scored (the
    measurable ones with a reported figure), every report section, the citation, the nominee's details."""
    n = _next()
    scores = [
        nominations.ScoreInput(
            criterion_id=criterion.id,
            points=criterion.max_points / 2,
            reported_value=criterion.target_value if criterion.is_measurable else None,
        )
        for criterion in filing.criteria_for(kind)
    ]
    data = nominations.NominationData(
        kind=kind,
        award_form_id=(form or filing.form).id,
        nominee_name=name
        or (
            f"Phòng Chuyển đổi số {n}" if kind is RecipientKind.COLLECTIVE else f"Trần Thị Mai {n}"
        ),
        citation="Đã có thành tích xuất sắc trong phong trào thi đua Chuyển đổi số năm 2025",
        report_profile="Đơn vị có 25 cán bộ, công chức; chức năng tham mưu về chuyển đổi số.",
        report_achievements="Tỷ lệ hồ sơ xử lý trực tuyến toàn trình đạt 100%.",
        report_measures="Số hóa kết quả giải quyết thủ tục hành chính.",
        scores=scores,
    )
    if kind is RecipientKind.COLLECTIVE:
        data.headcount = 25
        data.women_share = Decimal(60)
    else:
        data.sex = Sex.FEMALE
        data.date_of_birth = date(1985, 5, 20)
        data.position = "Chuyên viên"
        data.staff_category = StaffCategory.STAFF
        data.workplace = "Sở thử nghiệm"
    return data


def add_evidence(
    nomination: Nomination, uploader: User, criterion: Criterion | None = None
) -> EvidenceFile:
    """An evidence row with a dummy storage key (no bytes are stored anywhere)."""
    n = _next()
    content = f"minh chứng {n}".encode()
    evidence = EvidenceFile(
        nomination=nomination,
        criterion=criterion,
        storage_key=f"test/{n:08d}",
        original_name=f"Minh chứng {n}.pdf",
        content_type="application/pdf",
        size_bytes=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        uploaded_by=uploader,
    )
    db.session.add(evidence)
    db.session.flush()
    return evidence


def make_nomination(
    filing: Filing,
    unit: Unit,
    actor: User,
    *,
    kind: RecipientKind = RecipientKind.COLLECTIVE,
    name: str | None = None,
    form: AwardForm | None = None,
    evidence: bool = True,
) -> Nomination:
    """A complete draft of ``unit`` made through ``create_nomination``; with ``evidence`` one file per
    criterion that requires it."""
    nomination = nominations.create_nomination(
        filing.round, unit, actor, complete_data(filing, kind, name=name, form=form)
    )
    if evidence:
        for criterion in filing.criteria_for(kind):
            if criterion.evidence_required:
                add_evidence(nomination, actor, criterion)
    return nomination


def make_submission(
    filing: Filing, unit: Unit, head: User, nominations_: Iterable[Nomination] = ()
) -> Submission:
    """The unit's Tờ trình for the round, with ``nominations_`` attached to it."""
    n = _next()
    submission = Submission(
        round=filing.round,
        unit=unit,
        number=f"{n}/TTr-{unit.code}",
        signed_on=IN_WINDOW,
        signer_name=head.full_name,
        signer_title="Giám đốc",
        minutes_date=IN_WINDOW,
        council_members=7,
        votes_for=7,
        submitted_by=head,
    )
    db.session.add(submission)
    for nomination in nominations_:
        nomination.submission = submission
    db.session.flush()
    return submission


# --------------------------------------------------------------------------- states and quotas

# How each state is reached through real transitions; the rest is forced from the last state listed.
_PATHS: dict[NominationState, tuple[str, ...]] = {
    NominationState.DRAFT: (),
    NominationState.SUBMITTED: ("submit",),
    NominationState.RETURNED: ("submit", "return"),
    NominationState.WITHDRAWN: ("withdraw",),
    NominationState.IN_REVIEW: ("submit", "accept"),
}


def bring_to(
    nomination: Nomination, state: NominationState, *, head: User, board: User
) -> Nomination:
    """Move a complete draft to ``state``: through ``workflow.transition`` as far as the workflow goes
    (quota, history and audit as in real use), then, for the states later stages will reach (scored,
    proposed, …), by setting the state directly — tests only — keeping the quota counter consistent.
    The round's phase is put back as it was. Needs a submission for any path through ``submit``."""
    round_ = nomination.round
    phase = round_.phase
    round_.phase = RoundPhase.NOMINATING
    on = max(round_.nomination_opens, min(IN_WINDOW, round_.nomination_closes))
    for action in _PATHS.get(state, _PATHS[NominationState.IN_REVIEW]):
        actor = board if action in ("accept", "return") else head
        workflow.transition(nomination, action, actor, reason="Bổ sung hồ sơ", on=on)
    if nomination.state is not state:
        force_state(nomination, state)
    round_.phase = phase
    db.session.flush()
    return nomination


def force_state(nomination: Nomination, state: NominationState) -> None:
    """Set ``state`` without the workflow (tests only: for states no transition reaches yet), moving
    the quota counter as the workflow would."""
    if state in QUOTA_STATES and nomination.state not in QUOTA_STATES:
        if not quotas.take(nomination):
            raise AssertionError(f"the quota of {nomination!r} is full")
    elif nomination.state in QUOTA_STATES and state not in QUOTA_STATES:
        quotas.give_back(nomination)
    if state in APPROVAL_STATES and nomination.state not in APPROVAL_STATES:
        if not quotas.take_total(nomination):
            raise AssertionError(f"the total quota of {nomination!r} is full")
    elif nomination.state in APPROVAL_STATES and state not in APPROVAL_STATES:
        quotas.give_back_total(nomination)
    nomination.state = state
    db.session.flush()


def quota_used(filing: Filing, unit: Unit, form: AwardForm | None = None) -> int:
    return quotas.used(filing.round.id, (form or filing.form).id, unit.id)


def count_in(state: NominationState, round_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Nomination)
        .where(Nomination.round_id == round_id, Nomination.state == state)
    )
