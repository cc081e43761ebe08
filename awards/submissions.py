"""The unit's dossier (Tờ trình) and the board's intake: submitting a batch, extensions, the overview.

``submit_dossier`` is all or nothing: the unit head submits a batch of the unit's drafts through one
Tờ trình, and if any of them cannot be submitted (incomplete, quota full, window closed) nothing is: no
Tờ trình, no state change, no quota taken. The batch runs inside a SAVEPOINT; the per-unit quota is taken
by ``quotas.take``'s conditional UPDATE (the source of truth under concurrency) through
``workflow.transition``, and rolled back with everything else when one nomination fails.

The board grants a unit an extension of the filing window (``grant_extension``), revokes it, and reads
``intake_overview`` — one row per unit, counted by SQL aggregates — and ``dossier_rows``.

Services flush, never commit. Refusals raise ``SubmissionError`` (a message for the user, with the field
it concerns and, for a batch, every failing nomination) or ``workflow.NotPermitted`` (views answer 403).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import FileStorage

from awards import clock, evidence, nominations, workflow
from awards.evidence import EvidenceError
from awards.extensions import db
from awards.text import clean
from awards.workflow import NotPermitted, WorkflowError
from exports import documents
from models import (
    AppliesTo,
    Criterion,
    EvidenceFile,
    Extension,
    Nomination,
    NominationState,
    Role,
    Round,
    RoundPhase,
    Submission,
    Unit,
    User,
    utcnow,
)

# "15/TTr-STTTT": the number, "/TTr", then the issuing body's abbreviation (letters, digits, hyphens).
NUMBER_PATTERN = re.compile(r"^\s*0*(\d{1,6})\s*/\s*TTr((?:-[^\W_]+(?:[.][^\W_]+)*)*)\s*$", re.I)
NUMBER_EXAMPLE = "15/TTr-STTTT"
_EXTENSION_PHASES = frozenset({RoundPhase.SETUP, RoundPhase.NOMINATING})


class SubmissionError(ValueError):
    """A refusal to show the user. ``field`` names the form field it concerns, if one; ``problems``
    lists every nomination of a batch that could not be submitted, with its reasons."""

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        problems: Sequence[NominationProblem] = (),
    ) -> None:
        super().__init__(message)
        self.field = field
        self.problems = list(problems)


@dataclass(frozen=True)
class NominationProblem:
    nomination_id: int
    reference: str
    name: str
    reasons: tuple[str, ...]


# --------------------------------------------------------------------------- submitting a dossier


def normalise_number(text: str) -> str:
    """``"5/ttr-stttt"`` → ``"05/TTr-STTTT"``: the number with a leading zero below 10 (Decree 30), the
    code of the document kind as written in the decree, the body's abbreviation in capitals.
    Raises ``SubmissionError`` when ``text`` is not a Tờ trình number."""
    match = NUMBER_PATTERN.match(clean(text))
    if not match:
        raise SubmissionError(
            str(
                _l(
                    "Số Tờ trình phải có dạng “số/TTr-tên viết tắt của đơn vị”, ví dụ %(example)s.",
                    example=NUMBER_EXAMPLE,
                )
            ),
            field="number",
        )
    return f"{int(match[1]):02d}/TTr{match[2].upper()}"


def number_taken(round_: Round, unit: Unit, number: str) -> bool:
    return (
        db.session.scalar(
            sa.select(Submission.id).where(
                Submission.round_id == round_.id,
                Submission.unit_id == unit.id,
                Submission.number == number,
            )
        )
        is not None
    )


def can_submit(unit: Unit, actor: User) -> bool:
    """Only the head of the unit signs and submits its Tờ trình."""
    return actor.has_role(Role.UNIT_HEAD) and actor.unit_id == unit.id


def _check_vote(council_members: int, votes_for: int) -> None:
    if council_members < 1:
        raise SubmissionError(
            str(_l("Số thành viên Hội đồng thi đua phải lớn hơn 0.")), field="council_members"
        )
    if not 0 <= votes_for <= council_members:
        raise SubmissionError(
            str(_l("Số phiếu đồng ý phải từ 0 đến số thành viên Hội đồng.")), field="votes_for"
        )
    if votes_for * 2 <= council_members:
        raise SubmissionError(
            str(
                _l(
                    "Tập thể/cá nhân phải được Hội đồng thi đua của đơn vị biểu quyết đạt trên 50%% "
                    "(%(votes)d/%(members)d thành viên chưa đạt).",
                    votes=votes_for,
                    members=council_members,
                )
            ),
            field="votes_for",
        )


def _check_dates(signed_on: date, minutes_date: date, on: date) -> None:
    if minutes_date > on:
        raise SubmissionError(
            str(_l("Ngày họp Hội đồng thi đua không được sau ngày hôm nay.")), field="minutes_date"
        )
    if signed_on > on:
        raise SubmissionError(
            str(_l("Ngày ký Tờ trình không được sau ngày hôm nay.")), field="signed_on"
        )
    if signed_on < minutes_date:
        raise SubmissionError(
            str(_l("Ngày ký Tờ trình không được trước ngày họp Hội đồng thi đua.")),
            field="signed_on",
        )


def _load_batch(round_: Round, unit: Unit, nomination_ids: Iterable[int]) -> list[Nomination]:
    ids = sorted(set(nomination_ids))
    if not ids:
        raise SubmissionError(
            str(_l("Hãy chọn ít nhất một hồ sơ để trình.")), field="nomination_ids"
        )
    batch = list(
        db.session.scalars(
            sa.select(Nomination)
            .where(
                Nomination.id.in_(ids),
                Nomination.unit_id == unit.id,
                Nomination.round_id == round_.id,
            )
            .order_by(Nomination.id)
        )
    )
    if len(batch) != len(ids):
        raise SubmissionError(
            str(_l("Có hồ sơ được chọn không thuộc đơn vị hoặc đợt xét này.")),
            field="nomination_ids",
        )
    return batch


def _problem(nomination: Nomination, reasons: Iterable[str]) -> NominationProblem:
    return NominationProblem(
        nomination.id, nomination.reference or "", nomination.nominee_name, tuple(reasons)
    )


def _precheck(nomination: Nomination) -> list[str]:
    """Why ``nomination`` cannot be submitted, before touching anything (the quota is not read here:
    the transition takes it atomically)."""
    if nomination.state is not NominationState.DRAFT:
        return [str(_l("Hồ sơ không còn ở trạng thái nháp (đã trình, bị trả lại hoặc đã rút)."))]
    return nominations.missing_for_submission(nomination)


def submit_dossier(
    round_: Round,
    unit: Unit,
    actor: User,
    *,
    number: str,
    signed_on: date,
    signer_name: str,
    signer_title: str,
    minutes_date: date,
    council_members: int,
    votes_for: int,
    nomination_ids: Iterable[int],
    minutes: FileStorage | None = None,
    on: date | None = None,
) -> Submission:
    """Create ``unit``'s Tờ trình in ``round_`` and submit the chosen drafts through it.

    Checks: ``actor`` heads ``unit`` (else ``NotPermitted``); the unit may still file on ``on`` (its
    window or extension); the number's form and its uniqueness for the unit in the round; the signer;
    the dates (not after ``on``; signed on or after the council met); the council's vote (more than half
    of its members). Then, in a SAVEPOINT: the ``Submission`` row, the ``minutes`` file if given
    (``evidence.add_minutes``: its checks and limits), and for each nomination ``nomination.submission``
    and ``workflow.transition(n, "submit")`` (state, quota, history, audit). If any nomination fails,
    the SAVEPOINT is rolled back — nothing at all changes — and ``SubmissionError.problems`` lists every
    failing nomination with its reasons. (Bytes of a minutes file already written to storage are
    deleted when the caller rolls the transaction back, as it must after any refusal.)
    """
    on = on or clock.today()
    if not can_submit(unit, actor):
        raise NotPermitted(str(_l("Chỉ thủ trưởng của đơn vị được ký và trình Tờ trình.")))
    if not workflow.can_file(round_, unit.id, on):
        raise SubmissionError(filing_closed_message(round_))
    number = normalise_number(number)
    if number_taken(round_, unit, number):
        raise SubmissionError(
            str(_l("Đơn vị đã có Tờ trình số %(number)s trong đợt xét này.", number=number)),
            field="number",
        )
    signer_name = clean(signer_name)
    signer_title = "\n".join(line for line in map(clean, signer_title.splitlines()) if line)
    if not signer_name:
        raise SubmissionError(str(_l("Vui lòng nhập họ tên người ký.")), field="signer_name")
    if not signer_title:
        raise SubmissionError(str(_l("Vui lòng nhập chức vụ người ký.")), field="signer_title")
    _check_dates(signed_on, minutes_date, on)
    _check_vote(council_members, votes_for)
    batch = _load_batch(round_, unit, nomination_ids)

    problems = {n.id: _precheck(n) for n in batch}
    savepoint = db.session.begin_nested()
    try:
        submission = Submission(
            round=round_,
            unit=unit,
            number=number,
            signed_on=signed_on,
            signer_name=signer_name,
            signer_title=signer_title,
            minutes_date=minutes_date,
            council_members=council_members,
            votes_for=votes_for,
            submitted_by=actor,
            submitted_at=utcnow(),
        )
        db.session.add(submission)
        db.session.flush()
        # Before the nominations join it: the minutes may only be added to a dossier still in draft.
        if minutes is not None and not any(problems.values()):
            try:
                evidence.add_minutes(submission, minutes, actor)
            except EvidenceError as error:
                raise SubmissionError(str(error), field="minutes_file") from None
        for nomination in batch:
            if problems[nomination.id]:
                continue
            nomination.submission = submission
            try:
                workflow.transition(nomination, "submit", actor, on=on)
            except NotPermitted:
                raise
            except WorkflowError as error:
                problems[nomination.id] = [str(error)]
        failing = [_problem(n, problems[n.id]) for n in batch if problems[n.id]]
        if failing:
            raise SubmissionError(
                str(
                    _l(
                        "Chưa trình được Tờ trình: %(n)d hồ sơ chưa đáp ứng điều kiện nên không hồ sơ "
                        "nào được trình. Hãy hoàn thiện hoặc bỏ chọn các hồ sơ dưới đây rồi trình lại.",
                        n=len(failing),
                    )
                ),
                field="nomination_ids",
                problems=failing,
            )
    except sa.exc.IntegrityError:
        savepoint.rollback()
        raise SubmissionError(
            str(_l("Đơn vị đã có Tờ trình số %(number)s trong đợt xét này.", number=number)),
            field="number",
        ) from None
    except BaseException:
        savepoint.rollback()
        raise
    submission.document = json.dumps(_document_values(submission), ensure_ascii=False)
    savepoint.commit()
    return submission


def _document_values(submission: Submission) -> dict[str, Any]:
    config = current_app.config
    return documents.submission_data(
        submission, place=config["DOCUMENT_PLACE"], addressee=config["SUBMISSION_ADDRESSEE"]
    )


def document_of(submission: Submission) -> dict[str, Any]:
    """The Tờ trình's values as signed (see ``Submission.document``)."""
    if submission.document:
        return json.loads(submission.document)
    return _document_values(submission)  # dossiers filed before the snapshot existed


def filing_closed_message(round_: Round) -> str:
    if round_.phase is not RoundPhase.NOMINATING:
        return str(_l("Đợt xét không ở giai đoạn nhận hồ sơ đề nghị."))
    return str(
        _l(
            "Đã hết hạn nộp hồ sơ của đợt xét (%(d)s). Đề nghị Ban Thi đua – Khen thưởng gia hạn cho đơn vị.",
            d=round_.nomination_closes.strftime("%d/%m/%Y"),
        )
    )


# --------------------------------------------------------------------------- the board: intake


def can_receive(actor: User) -> bool:
    return actor.has_role(Role.BOARD)


def accept_complete(
    submission: Submission, actor: User, *, on: date | None = None
) -> list[Nomination]:
    """Accept into review every nomination of ``submission`` still waiting (submitted) that lacks
    nothing; the others stay for the board to look at one by one. Returns the accepted ones.
    Raises ``NotPermitted`` unless ``actor`` is of the board, ``WorkflowError`` when the round is past
    intake."""
    if not can_receive(actor):
        raise NotPermitted(str(_l("Bạn không có quyền thực hiện thao tác này.")))
    accepted = []
    for nomination in submission.nominations:
        if nomination.state is NominationState.SUBMITTED and not (
            nominations.missing_for_submission(nomination)
        ):
            workflow.transition(nomination, "accept", actor, on=on)
            accepted.append(nomination)
    return accepted


def live_minutes(submission: Submission) -> list[EvidenceFile]:
    """The unit council's minutes (biên bản) attached to the Tờ trình and not removed."""
    return [f for f in submission.files if f.deleted_at is None]


@dataclass(frozen=True)
class NominationReview:
    """One nomination of a dossier as the board appraises it."""

    nomination: Nomination
    problems: list[str]

    @property
    def complete(self) -> bool:
        return not self.problems


def review_dossier(submission: Submission) -> tuple[list[str], list[NominationReview]]:
    """What the board sees on a dossier: the dossier's own problems (the minutes file) and each
    nomination's (missing report sections, scores, evidence; a duplicate flag)."""
    dossier_problems = []
    if not live_minutes(submission):
        dossier_problems.append(
            str(_l("Chưa có tệp biên bản họp Hội đồng thi đua của đơn vị kèm Tờ trình."))
        )
    reviews = []
    items = db.session.scalars(
        sa.select(Nomination)
        .where(Nomination.submission_id == submission.id)
        .order_by(Nomination.id)
        .options(*nominations.LIST_OPTIONS)
    ).all()
    missing = nominations.missing_for_many(items)
    for nomination in items:
        problems = missing[nomination.id]
        if nomination.duplicate_note:
            problems.append(
                str(_l("Có thể trùng với hồ sơ: %(note)s", note=nomination.duplicate_note))
            )
        reviews.append(NominationReview(nomination, problems))
    return dossier_problems, reviews


# --------------------------------------------------------------------------- extensions


def grant_extension(round_: Round, unit: Unit, until: date, reason: str, actor: User) -> Extension:
    """Let ``unit`` file in ``round_`` until ``until`` (inclusive). One extension per unit and round:
    granting again replaces the date and reason. Raises ``NotPermitted`` unless ``actor`` is of the
    board, ``SubmissionError`` for a date before the round's deadline, an empty reason, or a round
    past its filing phase."""
    if not can_receive(actor):
        raise NotPermitted(str(_l("Chỉ Ban Thi đua – Khen thưởng được gia hạn nộp hồ sơ.")))
    if round_.phase not in _EXTENSION_PHASES:
        raise SubmissionError(str(_l("Đợt xét đã qua giai đoạn nhận hồ sơ: không thể gia hạn.")))
    if until < round_.nomination_closes:
        raise SubmissionError(
            str(
                _l(
                    "Ngày gia hạn phải từ hạn nộp hồ sơ của đợt xét (%(d)s) trở về sau.",
                    d=round_.nomination_closes.strftime("%d/%m/%Y"),
                )
            ),
            field="until",
        )
    reason = clean(reason)
    if not reason:
        raise SubmissionError(str(_l("Vui lòng nêu lý do gia hạn.")), field="reason")
    extension = db.session.scalar(
        sa.select(Extension).where(Extension.round_id == round_.id, Extension.unit_id == unit.id)
    )
    if extension is None:
        extension = Extension(round=round_, unit=unit)
        db.session.add(extension)
    extension.until = until
    extension.reason = reason
    extension.granted_by_id = actor.id
    extension.granted_at = utcnow()
    db.session.flush()
    return extension


def revoke_extension(extension: Extension, actor: User) -> None:
    """Withdraw an extension (the audit trail keeps it). What the unit filed meanwhile stays filed."""
    if not can_receive(actor):
        raise NotPermitted(str(_l("Chỉ Ban Thi đua – Khen thưởng được gia hạn nộp hồ sơ.")))
    db.session.delete(extension)
    db.session.flush()


def extensions_of(round_: Round) -> list[Extension]:
    return list(
        db.session.scalars(
            sa.select(Extension)
            .join(Unit, Unit.id == Extension.unit_id)
            .where(Extension.round_id == round_.id)
            .order_by(Unit.search_name, Unit.code)
        )
    )


def extension_until(round_: Round, unit_id: int) -> date | None:
    return db.session.scalar(
        sa.select(Extension.until).where(
            Extension.round_id == round_.id, Extension.unit_id == unit_id
        )
    )


# --------------------------------------------------------------------------- the overview


@dataclass(frozen=True)
class DossierRow:
    """One Tờ trình as the overview lists it, with its completeness counted in SQL."""

    id: int
    unit_id: int
    number: str
    signed_on: date
    submitted_at: datetime
    nominations: int
    waiting: int  # still submitted: the board has not accepted or returned them
    incomplete: int  # citation or a report section empty
    without_evidence: int  # no file although the campaign requires evidence for their kind
    minutes_files: int

    @property
    def complete(self) -> bool:
        return self.minutes_files > 0 and self.incomplete == 0 and self.without_evidence == 0


@dataclass
class UnitIntakeRow:
    unit_id: int
    unit_code: str
    unit_name: str
    counts: dict[NominationState, int]
    dossier_count: int
    last_submitted_at: datetime | None
    extension_until: date | None
    dossiers: list[DossierRow] = field(default_factory=list)

    def count(self, *states: NominationState) -> int:
        return sum(self.counts.get(state, 0) for state in states)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _count_where(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
    return sa.func.count(sa.case((condition, 1)))


def dossier_rows(round_: Round, unit_id: int | None = None) -> list[DossierRow]:
    """Every Tờ trình of ``round_`` (of one unit if ``unit_id``), newest first, with counts in one
    query: its nominations, those waiting, incomplete or without required evidence, its minutes files."""
    live_evidence = (
        sa.select(EvidenceFile.id)
        .where(EvidenceFile.nomination_id == Nomination.id, EvidenceFile.deleted_at.is_(None))
        .exists()
    )
    evidence_required = (
        sa.select(Criterion.id)
        .where(
            Criterion.campaign_id == round_.campaign_id,
            Criterion.evidence_required.is_(True),
            sa.or_(
                Criterion.applies_to == AppliesTo.BOTH,
                sa.cast(Criterion.applies_to, sa.String) == sa.cast(Nomination.kind, sa.String),
            ),
        )
        .exists()
    )
    minutes = (
        sa.select(sa.func.count(EvidenceFile.id))
        .where(EvidenceFile.submission_id == Submission.id, EvidenceFile.deleted_at.is_(None))
        .scalar_subquery()
    )
    incomplete = sa.or_(
        Nomination.citation == "",
        Nomination.report_profile == "",
        Nomination.report_achievements == "",
    )
    stmt = (
        sa.select(
            Submission.id,
            Submission.unit_id,
            Submission.number,
            Submission.signed_on,
            Submission.submitted_at,
            sa.func.count(Nomination.id),
            _count_where(Nomination.state == NominationState.SUBMITTED),
            _count_where(incomplete),
            _count_where(sa.and_(evidence_required, ~live_evidence)),
            minutes,
        )
        .outerjoin(Nomination, Nomination.submission_id == Submission.id)
        .where(Submission.round_id == round_.id)
        .group_by(Submission.id)
        .order_by(Submission.submitted_at.desc(), Submission.id.desc())
    )
    if unit_id is not None:
        stmt = stmt.where(Submission.unit_id == unit_id)
    return [DossierRow(*row) for row in db.session.execute(stmt)]


def intake_overview(round_: Round) -> list[UnitIntakeRow]:
    """One row per unit that has nominations, dossiers or an extension in ``round_``: its nominations
    counted per state, its dossiers (with their completeness), the latest submission, the extension.
    Three aggregate queries whatever the number of units."""
    state_counts = [
        _count_where(Nomination.state == state).label(state.value) for state in NominationState
    ]
    per_unit = (
        sa.select(Nomination.unit_id.label("unit_id"), *state_counts)
        .where(Nomination.round_id == round_.id)
        .group_by(Nomination.unit_id)
        .subquery()
    )
    per_unit_dossiers = (
        sa.select(
            Submission.unit_id.label("unit_id"),
            sa.func.count(Submission.id).label("dossiers"),
            sa.func.max(Submission.submitted_at).label("last_submitted_at"),
        )
        .where(Submission.round_id == round_.id)
        .group_by(Submission.unit_id)
        .subquery()
    )
    stmt = (
        sa.select(
            Unit.id,
            Unit.code,
            Unit.name,
            *(per_unit.c[state.value] for state in NominationState),
            per_unit_dossiers.c.dossiers,
            per_unit_dossiers.c.last_submitted_at,
            Extension.until,
        )
        .outerjoin(per_unit, per_unit.c.unit_id == Unit.id)
        .outerjoin(per_unit_dossiers, per_unit_dossiers.c.unit_id == Unit.id)
        .outerjoin(
            Extension, sa.and_(Extension.unit_id == Unit.id, Extension.round_id == round_.id)
        )
        .where(
            sa.or_(
                per_unit.c.unit_id.is_not(None),
                per_unit_dossiers.c.unit_id.is_not(None),
                Extension.id.is_not(None),
            )
        )
        .order_by(Unit.search_name, Unit.code)
    )
    states = list(NominationState)
    rows = []
    by_unit: dict[int, UnitIntakeRow] = {}
    for record in db.session.execute(stmt):
        unit_id, code, name = record[0], record[1], record[2]
        counts = {state: record[3 + i] or 0 for i, state in enumerate(states)}
        tail = 3 + len(states)
        row = UnitIntakeRow(
            unit_id=unit_id,
            unit_code=code,
            unit_name=name,
            counts=counts,
            dossier_count=record[tail] or 0,
            last_submitted_at=record[tail + 1],
            extension_until=record[tail + 2],
        )
        rows.append(row)
        by_unit[unit_id] = row
    for dossier in dossier_rows(round_):
        by_unit[dossier.unit_id].dossiers.append(dossier)
    return rows
