"""Scoring: a reviewer's review of one nomination, and the nomination's aggregate score.

This module is the only code that writes ``Review.state``, ``Review.total``, ``Nomination.score`` and
``Nomination.reviews_submitted`` (DESIGN.md §4):

* ``save_review`` stores a reviewer's points (0..max, step 0.5) and comments as a draft, or submits the
  review: then ``Review.total`` = Σ points × weight and the nomination's score is refreshed;
* ``reopen_review`` (the board) puts a submitted review back to draft and refreshes the score;
* ``refresh_nomination_score`` keeps ``reviews_submitted`` and ``score`` (mean or median of the submitted
  totals, per the campaign; ``None`` below the campaign's minimum number of reviews);
* the reviewer's queries (``my_reviews``, ``progress_by_round``, ``next_pending``) and the predicate
  ``can_open`` exclude recused reviews and conflicts of interest, in the query and in the predicate;
* ``score_sheet`` / ``import_score_sheet``: the offline score sheet (Excel) and its upload.

Services flush, never commit. Errors: ``ScoringError`` (input to show the user, with per-field messages),
its subclasses ``StaleReviewError`` (the form was stale: nothing was written) and ``ReviewNotPermitted``
(the actor may not do this: views answer 403/404).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from io import BytesIO
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy.orm import attributes, contains_eager

from awards import assignment, audit, nominations
from awards.extensions import db
from awards.sheets import file_error_message
from awards.text import clean
from exports.excel import ExcelReadError, is_formula_like, read_sheet
from models import (
    Aggregation,
    Criterion,
    Nomination,
    NominationState,
    RecipientKind,
    Review,
    ReviewState,
    Role,
    Round,
    Score,
    SelfScore,
    User,
    utcnow,
)

THOUSANDTH = Decimal("0.001")
STEP = Decimal("0.5")
COMMENT_MAX = 4000
OPEN_STATES = frozenset({ReviewState.ASSIGNED, ReviewState.DRAFT})

# (points or None, comment) per criterion id
ScoreValues = dict[int, tuple[Decimal | None, str]]


class ScoringError(ValueError):
    """Input that cannot be saved. ``problems`` maps form field names (``points_<criterion id>``,
    ``comment_<criterion id>``, ``comment``) to Vietnamese messages; ``str(error)`` summarises."""

    def __init__(self, message: str, problems: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or {}


class StaleReviewError(ScoringError):
    """The review was saved by someone else (another tab, another device) since the form was loaded."""


class ReviewNotPermitted(ScoringError):
    """The actor may not act on this review."""


# --------------------------------------------------------------------------- visibility


def visible_reviews(user: User) -> sa.Select[tuple[Review]]:
    """The reviews ``user`` may open: their own, not recused, and not of a nomination they are
    conflicted with (``assignment.conflict_clause``: own unit, its ancestors or descendants, in person,
    or filed by them)."""
    return (
        sa.select(Review)
        .join(Review.nomination)
        .join(User, User.id == Review.reviewer_id)
        .where(
            Review.reviewer_id == user.id,
            Review.state != ReviewState.RECUSED,
            sa.not_(assignment.conflict_clause()),
        )
    )


def can_open(review: Review, user: User) -> bool:
    """The predicate twin of ``visible_reviews``."""
    return (
        review.reviewer_id == user.id
        and review.state is not ReviewState.RECUSED
        and not assignment.is_conflicted(user, review.nomination)
    )


def can_edit(review: Review, user: User) -> bool:
    """Whether ``user`` may save or submit ``review`` now."""
    return (
        can_open(review, user)
        and review.state in OPEN_STATES
        and review.nomination.state is NominationState.IN_REVIEW
    )


@dataclass
class RoundProgress:
    round: Round
    assigned: int
    submitted: int

    @property
    def pending(self) -> int:
        return self.assigned - self.submitted


def progress_by_round(user: User) -> list[RoundProgress]:
    """Per round: how many of ``user``'s (visible) reviews there are, and how many are submitted."""
    visible = visible_reviews(user).subquery()
    rows = db.session.execute(
        sa.select(
            Nomination.round_id,
            sa.func.count(),
            sa.func.sum(sa.case((visible.c.state == ReviewState.SUBMITTED.value, 1), else_=0)),
        )
        .select_from(visible)
        .join(Nomination, Nomination.id == visible.c.nomination_id)
        .group_by(Nomination.round_id)
    ).all()
    rounds = {
        r.id: r
        for r in db.session.scalars(sa.select(Round).where(Round.id.in_([r[0] for r in rows])))
    }
    result = [RoundProgress(rounds[rid], int(n), int(done or 0)) for rid, n, done in rows]
    return sorted(result, key=lambda p: (p.round.ceremony_date, p.round.code), reverse=True)


def my_reviews(user: User, round_id: int) -> list[Review]:
    """``user``'s reviews in a round: pending first (fewest submitted reviews first), then submitted."""
    return list(
        db.session.scalars(
            visible_reviews(user)
            .options(contains_eager(Review.nomination))
            .where(Nomination.round_id == round_id)
            .order_by(
                sa.case((Review.state == ReviewState.SUBMITTED, 1), else_=0),
                Nomination.reviews_submitted,
                Nomination.reference,
                Review.id,
            )
        )
    )


def next_pending(user: User, *, after: Review) -> Review | None:
    """``user``'s next review to do in the same round: open, its nomination in review, the one whose
    nomination has the fewest submitted reviews (then the lowest reference)."""
    return db.session.scalar(
        visible_reviews(user)
        .where(
            Nomination.round_id == after.nomination.round_id,
            Review.id != after.id,
            Review.state.in_(OPEN_STATES),
            Nomination.state == NominationState.IN_REVIEW,
        )
        .order_by(Nomination.reviews_submitted, Nomination.reference, Review.id)
        .limit(1)
    )


# --------------------------------------------------------------------------- helpers


def criteria_of(review: Review) -> list[Criterion]:
    nomination = review.nomination
    return list(nominations.criteria_for(nomination.round, nomination.kind))


def self_scores(nomination: Nomination) -> dict[int, SelfScore]:
    return {s.criterion_id: s for s in nomination.self_scores}


def suggested_points(criterion: Criterion, nomination: Nomination) -> Decimal | None:
    """The points a measurable criterion suggests from the unit's reported figure; None when the
    criterion is not measurable or no figure was reported."""
    if not criterion.is_measurable:
        return None
    own = self_scores(nomination).get(criterion.id)
    if own is None or own.reported_value is None:
        return None
    return criterion.suggested_points(own.reported_value)


def weighted_total(points: dict[int, Decimal], criteria: list[Criterion]) -> Decimal:
    """Σ points × weight over ``criteria``, quantized to 0.001."""
    total = sum(
        (points[c.id] * c.weight for c in criteria if c.id in points),
        Decimal(0),
    )
    return total.quantize(THOUSANDTH, rounding=ROUND_HALF_UP)


def points_problem(points: Decimal, criterion: Criterion) -> str | None:
    """Why ``points`` is not a valid score for ``criterion`` (None if it is)."""
    try:
        valid = 0 <= points <= criterion.max_points and points % STEP == 0
    except InvalidOperation:
        valid = False
    if valid:
        return None
    return str(
        _l(
            "Điểm tiêu chí %(code)s phải từ 0 đến %(max)s, bước 0,5.",
            code=criterion.code,
            max=format(criterion.max_points.normalize(), "f"),
        )
    )


# --------------------------------------------------------------------------- saving and submitting


def save_review(
    review: Review,
    scores: ScoreValues,
    comment: str,
    *,
    version: int,
    submit: bool,
    actor: User,
) -> None:
    """Save ``actor``'s points and comments on ``review`` (state DRAFT), or submit it.

    Changes: the review's ``Score`` rows (one per criterion given points; a criterion left blank has
    none), ``comment`` and ``state``; on submit also ``total`` (Σ points × weight), ``submitted_at``,
    state SUBMITTED, and the nomination's ``score`` and ``reviews_submitted``. The review's version is
    bumped on every save, so a concurrent save of the same review fails at flush (``StaleDataError``).

    Raises ``ReviewNotPermitted`` (not the actor's review, recused, or a conflict of interest),
    ``ScoringError`` (review already submitted, nomination not in review, points out of 0..max or off
    the 0.5 step, on submit a criterion without points or a departure from the self-assessment above
    the campaign's margin without a comment) and ``StaleReviewError`` (``version`` is not the stored
    one: nothing is written).
    """
    if not can_open(review, actor):
        raise ReviewNotPermitted(str(_l("Bạn không được chấm phiếu này.")))
    if review.state not in OPEN_STATES:
        raise ScoringError(
            str(_l("Phiếu chấm đã nộp. Chỉ Ban Thi đua – Khen thưởng mở lại được phiếu đã nộp."))
        )
    nomination = review.nomination
    if nomination.state is not NominationState.IN_REVIEW:
        raise ScoringError(str(_l("Hồ sơ không ở giai đoạn chấm điểm.")))
    if version != review.version:
        raise StaleReviewError(
            str(
                _l(
                    "Phiếu chấm đã được lưu ở nơi khác trong lúc bạn chấm. Vui lòng tải lại trang và nhập lại."
                )
            )
        )
    criteria = criteria_of(review)
    by_id = {c.id: c for c in criteria}
    margin = nomination.round.campaign.comment_margin
    own = self_scores(nomination)
    problems: dict[str, str] = {}
    unknown = set(scores) - set(by_id)
    if unknown:
        raise ScoringError(
            str(_l("Tiêu chí không thuộc phong trào hoặc không áp dụng cho đối tượng này."))
        )
    points: dict[int, Decimal] = {}
    comments: dict[int, str] = {}
    for criterion in criteria:
        value, text = scores.get(criterion.id, (None, ""))
        text = clean(text)
        comments[criterion.id] = text
        if len(text) > COMMENT_MAX:
            problems[f"comment_{criterion.id}"] = str(_l("Tối đa %(max)d ký tự.", max=COMMENT_MAX))
        if value is None:
            if submit:
                problems[f"points_{criterion.id}"] = str(
                    _l("Chưa chấm điểm tiêu chí %(code)s.", code=criterion.code)
                )
            continue
        problem = points_problem(value, criterion)
        if problem:
            problems[f"points_{criterion.id}"] = problem
            continue
        points[criterion.id] = value
        self_score = own.get(criterion.id)
        if (
            submit
            and self_score is not None
            and abs(value - self_score.points) > margin
            and not text
        ):
            problems[f"comment_{criterion.id}"] = str(
                _l(
                    "Điểm chấm tiêu chí %(code)s lệch khỏi điểm tự chấm (%(own)s) quá %(margin)s điểm: vui lòng ghi nhận xét.",
                    code=criterion.code,
                    own=format(self_score.points.normalize(), "f"),
                    margin=format(margin.normalize(), "f"),
                )
            )
    comment = clean(comment)
    if len(comment) > COMMENT_MAX:
        problems["comment"] = str(_l("Tối đa %(max)d ký tự.", max=COMMENT_MAX))
    if problems:
        raise ScoringError(" ".join(problems.values()), problems)

    # The review row first: its versioned UPDATE is the lock two concurrent saves meet.
    review.comment = comment
    if submit:
        review.total = weighted_total(points, criteria)
        review.submitted_at = utcnow()
        review.state = ReviewState.SUBMITTED
    else:
        review.state = ReviewState.DRAFT
    attributes.flag_modified(review, "comment")
    db.session.flush()
    existing = {s.criterion_id: s for s in review.scores}
    for criterion_id, row in existing.items():
        if criterion_id not in points:
            review.scores.remove(row)
    for criterion_id, value in points.items():
        row = existing.get(criterion_id)
        if row is None:
            review.scores.append(
                Score(criterion_id=criterion_id, points=value, comment=comments[criterion_id])
            )
        else:
            row.points = value
            row.comment = comments[criterion_id]
    db.session.flush()
    if submit:
        audit.record(
            "review.submit",
            "reviews",
            review.id,
            after={"nomination_id": nomination.id, "total": review.total},
            actor=actor,
        )
        refresh_nomination_score(nomination)


def reopen_review(review: Review, by_board_user: User, reason: str) -> None:
    """Put a submitted review back to DRAFT (the board only) so its reviewer can change it; the
    nomination's score is refreshed without it. Raises ``ReviewNotPermitted`` (not the board, or the
    board officer's own unit's nomination) and ``ScoringError`` (not submitted, no reason)."""
    nomination = review.nomination
    if not by_board_user.has_role(Role.BOARD) or (
        by_board_user.unit_id is not None and by_board_user.unit_id == nomination.unit_id
    ):
        raise ReviewNotPermitted(str(_l("Bạn không có quyền thực hiện thao tác này.")))
    if review.state is not ReviewState.SUBMITTED:
        raise ScoringError(str(_l("Chỉ mở lại được phiếu chấm đã nộp.")))
    reason = clean(reason)
    if not reason:
        raise ScoringError(
            str(_l("Vui lòng nêu lý do.")), {"reason": str(_l("Vui lòng nêu lý do."))}
        )
    before_total = review.total
    review.state = ReviewState.DRAFT
    review.total = None
    review.submitted_at = None
    db.session.flush()
    audit.record(
        "review.reopen",
        "reviews",
        review.id,
        before={"state": ReviewState.SUBMITTED, "total": before_total},
        after={"state": ReviewState.DRAFT, "reason": reason},
        actor=by_board_user,
    )
    refresh_nomination_score(nomination)


def aggregate(totals: list[Decimal], how: Aggregation, min_reviews: int) -> Decimal | None:
    """The mean or median of ``totals`` (quantized to 0.001), or None when fewer than ``min_reviews``."""
    if not totals or len(totals) < min_reviews:
        return None
    if how is Aggregation.MEDIAN:
        value = statistics.median(totals)
    else:
        value = sum(totals, Decimal(0)) / len(totals)
    return Decimal(value).quantize(THOUSANDTH, rounding=ROUND_HALF_UP)


def refresh_nomination_score(nomination: Nomination) -> None:
    """Recompute ``reviews_submitted`` and ``score`` of ``nomination`` from its submitted reviews.

    Written with one bare UPDATE (no version bump: a score refresh is not an edit of the dossier, and
    two reviewers submitting at once must not make each other's forms stale). Writers are serialised by
    the audit chain lock, taken first as ``audit.lock_chain`` requires.
    """
    connection = db.session.connection()
    audit.lock_chain(connection)
    totals = [
        Decimal(t)
        for t in db.session.scalars(
            sa.select(Review.total).where(
                Review.nomination_id == nomination.id, Review.state == ReviewState.SUBMITTED
            )
        )
    ]
    campaign = nomination.round.campaign
    score = aggregate(totals, campaign.aggregation, campaign.min_reviews)
    db.session.execute(
        sa.update(Nomination.__table__)
        .where(Nomination.__table__.c.id == nomination.id)
        .values(score=score, reviews_submitted=len(totals))
    )
    db.session.expire(nomination, ["score", "reviews_submitted", "updated_at"])


# --------------------------------------------------------------------------- what a reviewer sees


@dataclass
class MatrixRow:
    reviewer: User
    review: Review
    points: dict[int, Decimal] = field(default_factory=dict)


def score_matrix(nomination: Nomination) -> list[MatrixRow]:
    """The submitted reviews of ``nomination`` with their points per criterion (reviewer × criterion).
    Callers show it to a reviewer only once their own review is submitted."""
    reviews = db.session.scalars(
        sa.select(Review)
        .where(Review.nomination_id == nomination.id, Review.state == ReviewState.SUBMITTED)
        .order_by(Review.submitted_at, Review.id)
    ).all()
    return [MatrixRow(r.reviewer, r, {s.criterion_id: s.points for s in r.scores}) for r in reviews]


# --------------------------------------------------------------------------- offline score sheet

REFERENCE = "Mã hồ sơ"
NAME = "Tên tập thể / cá nhân"
KIND = "Đối tượng"
COMMENT = "Nhận xét chung"
SHEET_TITLE = "Phiếu chấm"
_KIND_TEXT = {RecipientKind.COLLECTIVE: "Tập thể", RecipientKind.INDIVIDUAL: "Cá nhân"}
_GREY = PatternFill("solid", fgColor="D9D9D9")


def campaign_criteria(round_: Round) -> list[Criterion]:
    return list(
        db.session.scalars(
            sa.select(Criterion)
            .where(Criterion.campaign_id == round_.campaign_id)
            .order_by(Criterion.position, Criterion.id)
        )
    )


def sheet_reviews(user: User, round_: Round) -> list[Review]:
    """The reviews on ``user``'s score sheet: open (not submitted, not recused), nomination in review."""
    return list(
        db.session.scalars(
            visible_reviews(user)
            .where(
                Nomination.round_id == round_.id,
                Review.state.in_(OPEN_STATES),
                Nomination.state == NominationState.IN_REVIEW,
            )
            .order_by(Nomination.reference, Review.id)
        )
    )


def _text(cell: Any, value: str) -> None:
    cell.value = value
    if is_formula_like(value):
        cell.data_type = "s"
        cell.quotePrefix = True


def score_sheet(user: User, round_: Round) -> bytes:
    """``user``'s offline score sheet for ``round_`` as .xlsx bytes: a row per open review (reference,
    name, kind, current draft points), a column per criterion code with a 0..max validation, cells of
    criteria that do not apply to the row's kind greyed and locked, an overall comment, instructions."""
    criteria = campaign_criteria(round_)
    reviews = sheet_reviews(user, round_)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET_TITLE
    header = [REFERENCE, NAME, KIND, *[c.code for c in criteria], COMMENT]
    for column, value in enumerate(header, start=1):
        cell = sheet.cell(row=1, column=column)
        _text(cell, value)
        cell.font = Font(bold=True)
    first = 4  # the first criterion column
    for offset, criterion in enumerate(criteria):
        letter = get_column_letter(first + offset)
        validation = DataValidation(
            type="decimal",
            operator="between",
            formula1="0",
            formula2=format(criterion.max_points.normalize(), "f"),
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="Điểm không hợp lệ",
            error=f"Điểm tiêu chí {criterion.code}: từ 0 đến {criterion.max_points.normalize():f}, bước 0,5.",
        )
        sheet.add_data_validation(validation)
        if reviews:
            validation.add(f"{letter}2:{letter}{len(reviews) + 1}")
        sheet.column_dimensions[letter].width = 9
    sheet.column_dimensions["A"].width = 20
    sheet.column_dimensions["B"].width = 40
    sheet.column_dimensions["C"].width = 10
    sheet.column_dimensions[get_column_letter(first + len(criteria))].width = 50
    for row, review in enumerate(reviews, start=2):
        nomination = review.nomination
        current = {s.criterion_id: s.points for s in review.scores}
        _text(sheet.cell(row=row, column=1), nomination.reference or "")
        _text(sheet.cell(row=row, column=2), nomination.nominee_name)
        _text(sheet.cell(row=row, column=3), _KIND_TEXT[nomination.kind])
        for offset, criterion in enumerate(criteria):
            cell = sheet.cell(row=row, column=first + offset)
            if criterion.applies_to.includes(nomination.kind):
                cell.protection = Protection(locked=False)
                if criterion.id in current:
                    cell.value = float(current[criterion.id])
            else:
                cell.fill = _GREY
        comment_cell = sheet.cell(row=row, column=first + len(criteria))
        _text(comment_cell, review.comment)
        comment_cell.protection = Protection(locked=False)
    sheet.freeze_panes = "D2"
    guide = workbook.create_sheet("Hướng dẫn")
    lines = [
        f"Phiếu chấm điểm ngoại tuyến — đợt xét {round_.name} ({round_.code})",
        f"Thành viên Hội đồng: {user.full_name}",
        "",
        "1. Mỗi dòng là một hồ sơ được phân công cho bạn; không sửa cột Mã hồ sơ.",
        "2. Mỗi cột mang mã một tiêu chí: nhập điểm từ 0 đến điểm tối đa, bước 0,5 (ví dụ 7,5).",
        "3. Ô tô xám là tiêu chí không áp dụng cho đối tượng của dòng (tập thể / cá nhân): bỏ trống; "
        "nội dung ô xám bị bỏ qua.",
        "4. Không dùng công thức; ô để trống là tiêu chí chưa chấm.",
        "5. Tải tệp lên trong mục Chấm điểm: nếu có dòng sai, không dòng nào được lưu và hệ thống báo "
        "lỗi theo từng dòng.",
        "6. Điểm tải lên được lưu ở dạng nháp. Bạn ghi nhận xét từng tiêu chí (khi điểm lệch khỏi điểm "
        "tự chấm quá mức quy định) và nộp phiếu trên hệ thống.",
        "",
        "Tiêu chí:",
    ]
    lines += [
        f"{c.code}: {c.title} (tối đa {c.max_points.normalize():f}; "
        f"{ {'both': 'tập thể và cá nhân', 'collective': 'tập thể', 'individual': 'cá nhân'}[c.applies_to.value] })"
        for c in criteria
    ]
    for row, line in enumerate(lines, start=1):
        _text(guide.cell(row=row, column=1), line)
    guide.column_dimensions["A"].width = 120
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@dataclass
class SheetResult:
    saved: int = 0
    errors: list[str] = field(default_factory=list)


def _cell_points(value: object) -> Decimal | str | None:
    """The points in a cell: Decimal, None (blank) or a Vietnamese problem."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        return str(_l("không phải là số"))
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("="):
            return str(_l("ô chứa công thức; hãy nhập số"))
        text = text.replace(",", ".") if "." not in text else text
        try:
            number = Decimal(text)
        except InvalidOperation:
            return str(_l("không phải là số"))
    elif isinstance(value, int | float):
        number = Decimal(str(value))
    else:
        return str(_l("không phải là số"))
    if not number.is_finite():
        return str(_l("không phải là số"))
    return number


def import_score_sheet(
    user: User, round_: Round, data: bytes, *, max_uncompressed: int, max_rows: int
) -> SheetResult:
    """Read ``user``'s filled score sheet and save each row as a draft of their review (through
    ``save_review``). Every row is checked first; when any row fails, nothing is saved (the saves run
    in a SAVEPOINT that is rolled back) and ``errors`` lists the problems row by row (Vietnamese)."""
    result = SheetResult()
    try:
        headers, body = read_sheet(
            data, max_uncompressed=max_uncompressed, max_rows=max_rows, sheet=SHEET_TITLE
        )
        rows = list(body)
    except ExcelReadError as error:
        result.errors.append(file_error_message(error))
        return result
    except KeyError:  # a workbook, but without our sheet
        result.errors.append(
            str(
                _l(
                    "Tệp Excel này không có trang phiếu chấm tải từ hệ thống: hãy dùng phiếu chấm tải về."
                )
            )
        )
        return result
    criteria = {c.code: c for c in campaign_criteria(round_)}
    if REFERENCE not in headers:
        result.errors.append(str(_l("Thiếu cột “%(name)s” ở dòng tiêu đề.", name=REFERENCE)))
        return result
    columns = {name: index for index, name in enumerate(headers) if name}
    reviews = {r.nomination.reference: r for r in sheet_reviews(user, round_)}
    planned: list[tuple[int, Review, ScoreValues, str]] = []
    seen: set[str] = set()
    for number, values in rows:

        def get(name: str, values: tuple[Any, ...] = values) -> Any:
            index = columns.get(name)
            return values[index] if index is not None and index < len(values) else None

        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        reference = clean(str(get(REFERENCE) or ""))
        problems: list[str] = []
        review = reviews.get(reference)
        if not reference:
            problems.append(str(_l("thiếu mã hồ sơ")))
        elif reference in seen:
            problems.append(str(_l("mã hồ sơ %(ref)s lặp lại", ref=reference)))
        elif review is None:
            problems.append(
                str(
                    _l(
                        "hồ sơ %(ref)s không có trong danh sách bạn được phân công chấm (hoặc phiếu đã nộp)",
                        ref=reference,
                    )
                )
            )
        seen.add(reference)
        scores: ScoreValues = {}
        if review is not None:
            existing = {s.criterion_id: s.comment for s in review.scores}
            kind = review.nomination.kind
            for code, criterion in criteria.items():
                if code not in columns or not criterion.applies_to.includes(kind):
                    continue  # greyed cells of the other kind are ignored, as the instructions say
                cell = _cell_points(get(code))
                if isinstance(cell, str):
                    problems.append(str(_l("cột %(code)s: %(problem)s", code=code, problem=cell)))
                    continue
                if cell is not None:
                    problem = points_problem(cell, criterion)
                    if problem:
                        problems.append(problem)
                        continue
                scores[criterion.id] = (cell, existing.get(criterion.id, ""))
        comment_value = get(COMMENT)
        if is_formula_like(comment_value) and str(comment_value).startswith("="):
            problems.append(str(_l("cột %(code)s: ô chứa công thức", code=COMMENT)))
        if problems:
            result.errors.append(
                str(_l("Dòng %(row)d: %(problems)s.", row=number, problems="; ".join(problems)))
            )
        elif review is not None:
            planned.append((number, review, scores, str(comment_value or "")))
    if result.errors:
        return result
    savepoint = db.session.begin_nested()
    for number, review, scores, comment in planned:
        try:
            save_review(review, scores, comment, version=review.version, submit=False, actor=user)
        except ScoringError as error:
            result.errors.append(
                str(_l("Dòng %(row)d: %(problems)s.", row=number, problems=str(error)))
            )
    if result.errors:
        savepoint.rollback()
        return result
    savepoint.commit()
    result.saved = len(planned)
    audit.record(
        "review.import_sheet", "rounds", round_.id, after={"rows": result.saved}, actor=user
    )
    return result
