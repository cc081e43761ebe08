"""Reviewer assignment: who reviews which nomination, conflicts of interest, recusal, progress, reminders.

An assignment is a ``Review`` row in state ``assigned`` (DESIGN.md §2: the assignment and the review are one
row). Only nominations in review (``in_review``) receive reviewers; reviewers are active users holding the
``reviewer`` role.

Conflict of interest (DESIGN.md §1, "nobody scores a nomination of their own unit"). A reviewer is
conflicted with a nomination when

* the reviewer's unit is the nomination's proposing unit, or an ancestor or a descendant of it in the
  unit tree (a district's officer never scores its communes, nor a commune's officer its district);
* the reviewer is the nominee in person. Users carry no citizen id, so "in person" means: the nomination is
  an individual's, the reviewer's full name equals the nominee's name accent-folded (``awards.text.fold``,
  the stored ``search_name`` of both), and the reviewer works in the nominee's workplace unit
  (``nominee_unit_id``) or the proposing unit. Namesakes elsewhere in the province are not excluded;
* the reviewer created the nomination.

The rule exists twice on purpose (STYLE.md §6): as SQL (``conflict_clause``), which every listing and the
automatic assignment use — one statement per batch of nominations, through a recursive CTE of the unit
tree — and as the predicate ``is_conflicted``, which guards each single assignment.

Services flush, never commit; row changes are audited at flush. ``AssignmentError`` carries a Vietnamese
message for the user; its subclass ``AssignmentNotPermitted`` means the actor may not act at all (403).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import aliased, joinedload

from awards import audit, notifications, unit_tree
from awards.extensions import db
from awards.text import clean, fold
from models import (
    Nomination,
    NominationState,
    RecipientKind,
    Review,
    ReviewState,
    Role,
    Round,
    Unit,
    User,
    UserRole,
)

# Reviews that hold a slot: everything but a recusal.
ACTIVE_STATES = (ReviewState.ASSIGNED, ReviewState.DRAFT, ReviewState.SUBMITTED)
# Reviews a reviewer still owes.
PENDING_STATES = (ReviewState.ASSIGNED, ReviewState.DRAFT)
# Inline integer literals: PostgreSQL wants the recursive term of a CTE to keep the anchor's types.
_ZERO = sa.literal_column("0", sa.Integer)
_ONE = sa.literal_column("1", sa.Integer)


class AssignmentError(ValueError):
    """The assignment change is refused; ``str(error)`` tells the user why (Vietnamese)."""


class AssignmentNotPermitted(AssignmentError):
    """The actor may not make this change at all."""


# --------------------------------------------------------------------------- conflict of interest


def reviewer_clause() -> sa.ColumnElement[bool]:
    """SQL on ``User``: an active account holding the reviewer role."""
    return sa.and_(
        User.active.is_(True),
        sa.exists().where(UserRole.user_id == User.id, UserRole.role == Role.REVIEWER),
    )


def _unit_closure() -> sa.CTE:
    """(unit_id, ancestor_id) for every unit and each unit above it, itself included (depth 0)."""
    closure = sa.select(
        Unit.id.label("unit_id"), Unit.id.label("ancestor_id"), _ZERO.label("depth")
    ).cte("unit_closure", recursive=True)
    step = aliased(Unit)
    return closure.union_all(
        sa.select(closure.c.unit_id, step.parent_id, closure.c.depth + _ONE)
        .join(step, step.id == closure.c.ancestor_id)
        .where(step.parent_id.is_not(None), closure.c.depth < unit_tree.MAX_DEPTH)
    )


def conflict_clause(nomination: type[Nomination] = Nomination) -> sa.ColumnElement[bool]:
    """SQL over ``User`` and ``nomination`` (the entity or an alias): the user is conflicted with it."""
    closure = _unit_closure()
    related_unit = (
        sa.exists()
        .where(
            sa.or_(
                sa.and_(
                    closure.c.unit_id == User.unit_id, closure.c.ancestor_id == nomination.unit_id
                ),
                sa.and_(
                    closure.c.unit_id == nomination.unit_id, closure.c.ancestor_id == User.unit_id
                ),
            )
        )
        .correlate_except(closure)
    )  # users and the nomination come from the enclosing query, at any depth
    in_person = sa.and_(
        nomination.kind == RecipientKind.INDIVIDUAL,
        User.search_name == nomination.search_name,
        sa.or_(User.unit_id == nomination.nominee_unit_id, User.unit_id == nomination.unit_id),
    )
    return sa.or_(User.id == nomination.created_by_id, related_unit, in_person)


def is_conflicted(reviewer: User, nomination: Nomination) -> bool:
    """Whether ``reviewer`` may not review ``nomination`` (the rule of the module docstring)."""
    if reviewer.id == nomination.created_by_id:
        return True
    if reviewer.unit_id is None:
        return False
    if reviewer.unit_id == nomination.unit_id:
        return True
    in_person = nomination.kind is RecipientKind.INDIVIDUAL and fold(reviewer.full_name) == fold(
        nomination.nominee_name
    )
    if in_person and reviewer.unit_id == nomination.nominee_unit_id:
        return True
    if reviewer.unit_id in unit_tree.descendant_ids(nomination.unit_id):
        return True
    return reviewer.unit_id in {unit.id for unit in unit_tree.ancestors(nomination.unit)}


def eligible_reviewers_stmt(nomination: Nomination) -> sa.Select:
    """Active reviewers not conflicted with ``nomination`` and not yet holding (or recused from) a
    review of it, by name."""
    already = sa.exists().where(
        Review.nomination_id == nomination.id, Review.reviewer_id == User.id
    )
    return (
        sa.select(User)
        .join(Nomination, Nomination.id == nomination.id)
        .where(reviewer_clause(), ~conflict_clause(), ~already)
        .order_by(User.search_name, User.id)
    )


def conflict_pairs(nominations_filter: sa.ColumnElement[bool]) -> set[tuple[int, int]]:
    """(nomination id, reviewer id) of every active reviewer conflicted with a nomination matching
    ``nominations_filter``: one statement for the whole batch."""
    rows = db.session.execute(
        sa.select(Nomination.id, User.id)
        .select_from(Nomination)
        .join(User, conflict_clause())
        .where(nominations_filter, reviewer_clause())
    )
    return {(nomination_id, reviewer_id) for nomination_id, reviewer_id in rows}


def _in_review(round_: Round) -> sa.ColumnElement[bool]:
    return sa.and_(Nomination.round_id == round_.id, Nomination.state == NominationState.IN_REVIEW)


def _existing_pairs(round_: Round) -> set[tuple[int, int]]:
    rows = db.session.execute(
        sa.select(Review.nomination_id, Review.reviewer_id)
        .join(Nomination, Nomination.id == Review.nomination_id)
        .where(Nomination.round_id == round_.id)
    )
    return {(nomination_id, reviewer_id) for nomination_id, reviewer_id in rows}


def active_reviewers() -> list[User]:
    """Every active reviewer, by name."""
    return list(
        db.session.scalars(
            sa.select(User).where(reviewer_clause()).order_by(User.search_name, User.id)
        )
    )


def in_review_nominations(round_: Round) -> list[Nomination]:
    """The round's nominations in review, by reference."""
    return list(
        db.session.scalars(
            sa.select(Nomination)
            .where(_in_review(round_))
            .options(joinedload(Nomination.unit))
            .order_by(Nomination.reference, Nomination.id)
        )
    )


def eligible_by_nomination(round_: Round) -> dict[int, list[User]]:
    """For each nomination in review: the active reviewers one may still assign to it (not conflicted,
    not already holding or recused from a review of it). Three statements for the whole round."""
    reviewers = active_reviewers()
    blocked = conflict_pairs(_in_review(round_)) | _existing_pairs(round_)
    ids = db.session.scalars(sa.select(Nomination.id).where(_in_review(round_)))
    return {
        nomination_id: [r for r in reviewers if (nomination_id, r.id) not in blocked]
        for nomination_id in ids
    }


# --------------------------------------------------------------------------- assigning


def _check_board(actor: User) -> None:
    if not actor.has_role(Role.BOARD):
        raise AssignmentNotPermitted(str(_l("Bạn không có quyền thực hiện thao tác này.")))


def _serialise() -> None:
    """Wait for other writers before reading loads and slots: two officers running the automatic
    assignment at once would otherwise both fill the same free slots. Every writer takes the audit
    chain's lock at its first flush anyway (PostgreSQL; SQLite transactions begin IMMEDIATE), so taking
    it first adds no new lock order."""
    audit.lock_chain(db.session.connection())


def _check_nomination(nomination: Nomination) -> None:
    if nomination.state is not NominationState.IN_REVIEW:
        raise AssignmentError(
            str(
                _l(
                    "Hồ sơ %(ref)s không ở trạng thái đang chấm điểm: chỉ phân công người chấm cho hồ sơ "
                    "đã được tiếp nhận.",
                    ref=nomination.reference or nomination.id,
                )
            )
        )


def _check_reviewer(reviewer: User) -> None:
    if not reviewer.active:
        raise AssignmentError(
            str(
                _l(
                    "Tài khoản %(name)s đã bị khóa: không thể phân công chấm.",
                    name=reviewer.full_name,
                )
            )
        )
    if not reviewer.has_role(Role.REVIEWER):
        raise AssignmentError(
            str(
                _l(
                    "%(name)s không phải thành viên Hội đồng chấm điểm: hãy chọn người có vai trò "
                    "người chấm.",
                    name=reviewer.full_name,
                )
            )
        )


def _new_review(nomination_id: int, reviewer_id: int, by: User) -> Review:
    return Review(
        nomination_id=nomination_id,
        reviewer_id=reviewer_id,
        state=ReviewState.ASSIGNED,
        assigned_by_id=by.id,
    )


def assign(nomination: Nomination, reviewer: User, by: User) -> Review:
    """Give ``reviewer`` a review of ``nomination`` (a new ``Review`` in state ``assigned``).

    Raises ``AssignmentNotPermitted`` when ``by`` is not of the board, and ``AssignmentError`` when the
    nomination is not in review, the reviewer is inactive or no reviewer, is conflicted with it, already
    holds a review of it, or recused from it.
    """
    _check_board(by)
    _check_nomination(nomination)
    _check_reviewer(reviewer)
    _serialise()
    ref = nomination.reference or nomination.id
    if is_conflicted(reviewer, nomination):
        raise AssignmentError(
            str(
                _l(
                    "%(name)s có xung đột lợi ích với hồ sơ %(ref)s (cùng đơn vị, đơn vị cấp trên hoặc "
                    "trực thuộc, người lập hồ sơ hoặc chính người được đề nghị): hãy chọn người khác.",
                    name=reviewer.full_name,
                    ref=ref,
                )
            )
        )
    existing = db.session.scalar(
        sa.select(Review).where(
            Review.nomination_id == nomination.id, Review.reviewer_id == reviewer.id
        )
    )
    if existing is not None and existing.state is ReviewState.RECUSED:
        raise AssignmentError(
            str(
                _l(
                    "%(name)s đã tự khai xung đột lợi ích với hồ sơ %(ref)s: hãy chọn người khác.",
                    name=reviewer.full_name,
                    ref=ref,
                )
            )
        )
    if existing is not None:
        raise AssignmentError(
            str(
                _l(
                    "%(name)s đã được phân công chấm hồ sơ %(ref)s.",
                    name=reviewer.full_name,
                    ref=ref,
                )
            )
        )
    review = _new_review(nomination.id, reviewer.id, by)
    db.session.add(review)
    db.session.flush()
    return review


@dataclass
class BulkResult:
    """What ``assign_bulk`` did: ``assigned`` new reviews, ``skipped`` (nomination, reviewer, why)."""

    assigned: list[Review] = field(default_factory=list)
    skipped: list[tuple[Nomination, User, str]] = field(default_factory=list)


def assign_bulk(
    nominations: Sequence[Nomination], reviewers: Sequence[User], by: User
) -> BulkResult:
    """Give every reviewer of ``reviewers`` a review of every nomination of ``nominations``, skipping
    the pairs that are conflicted or already assigned (or recused), which the result lists.

    Raises ``AssignmentNotPermitted`` when ``by`` is not of the board, and ``AssignmentError`` (nothing
    assigned) when a nomination is not in review, the nominations span several rounds, or a reviewer is
    inactive or no reviewer.
    """
    _check_board(by)
    for nomination in nominations:
        _check_nomination(nomination)
    if len({n.round_id for n in nominations}) > 1:
        raise AssignmentError(str(_l("Chỉ phân công hồ sơ của cùng một đợt xét mỗi lần.")))
    for reviewer in reviewers:
        _check_reviewer(reviewer)
    result = BulkResult()
    if not nominations or not reviewers:
        return result
    _serialise()
    ids = [n.id for n in nominations]
    conflicted = conflict_pairs(Nomination.id.in_(ids))
    taken = {
        (nomination_id, reviewer_id): state
        for nomination_id, reviewer_id, state in db.session.execute(
            sa.select(Review.nomination_id, Review.reviewer_id, Review.state).where(
                Review.nomination_id.in_(ids)
            )
        )
    }
    for nomination in nominations:
        for reviewer in reviewers:
            key = (nomination.id, reviewer.id)
            if key in conflicted:
                result.skipped.append((nomination, reviewer, str(_l("xung đột lợi ích"))))
            elif taken.get(key) is ReviewState.RECUSED:
                result.skipped.append(
                    (nomination, reviewer, str(_l("đã tự khai xung đột lợi ích")))
                )
            elif key in taken:
                result.skipped.append((nomination, reviewer, str(_l("đã được phân công"))))
            else:
                result.assigned.append(_new_review(nomination.id, reviewer.id, by))
    db.session.add_all(result.assigned)
    db.session.flush()
    return result


@dataclass
class AutoResult:
    """What ``assign_automatically`` did: ``assigned`` new reviews and the nominations still short of
    reviewers with how many are missing (``unfilled``)."""

    assigned: int = 0
    unfilled: list[tuple[Nomination, int]] = field(default_factory=list)


def _counts(round_: Round, column: sa.ColumnElement[int]) -> dict[int, int]:
    """Active (non-recused) reviews of the round grouped by ``column``: one GROUP BY."""
    rows = db.session.execute(
        sa.select(column, sa.func.count())
        .select_from(Review)
        .join(Nomination, Nomination.id == Review.nomination_id)
        .where(Nomination.round_id == round_.id, Review.state.in_(ACTIVE_STATES))
        .group_by(column)
    )
    return {key: count for key, count in rows}


def assign_automatically(
    round_: Round, *, per_nomination: int, cap: int | None, by: User
) -> AutoResult:
    """Bring every nomination in review of ``round_`` up to ``per_nomination`` active reviews.

    Each missing slot goes to a non-conflicted reviewer who holds no review (or recusal) of that
    nomination and is below ``cap`` reviews in the round (None: no cap), choosing the least loaded first
    (load = the reviewer's active reviews in the round, ties by user id: deterministic). Nominations with
    the fewest eligible reviewers are served first. Picking the least loaded keeps max − min load ≤ 1
    whenever conflicts and earlier hand assignments allow. Recused reviews free their slot.

    Raises ``AssignmentNotPermitted`` when ``by`` is not of the board, ``AssignmentError`` for a number
    below 1. Statements: a fixed handful for the whole round, whatever its size.
    """
    _check_board(by)
    if per_nomination < 1 or (cap is not None and cap < 1):
        raise AssignmentError(str(_l("Số người chấm mỗi hồ sơ và mức tối đa phải từ 1 trở lên.")))
    _serialise()
    nominations = in_review_nominations(round_)
    reviewer_ids = [r.id for r in active_reviewers()]
    blocked = conflict_pairs(_in_review(round_)) | _existing_pairs(round_)
    load = {reviewer_id: 0 for reviewer_id in reviewer_ids}
    load.update(_counts(round_, Review.reviewer_id))
    filled = _counts(round_, Review.nomination_id)
    eligible = {n.id: [r for r in reviewer_ids if (n.id, r) not in blocked] for n in nominations}
    needy = [n for n in nominations if filled.get(n.id, 0) < per_nomination]
    needy.sort(key=lambda n: (len(eligible[n.id]), n.id))
    result = AutoResult()
    new_reviews: list[Review] = []
    for nomination in needy:
        missing = per_nomination - filled.get(nomination.id, 0)
        candidates = [r for r in eligible[nomination.id] if cap is None or load[r] < cap]
        candidates.sort(key=lambda r: (load[r], r))
        for reviewer_id in candidates[:missing]:
            new_reviews.append(_new_review(nomination.id, reviewer_id, by))
            load[reviewer_id] += 1
        if len(candidates) < missing:
            result.unfilled.append((nomination, missing - len(candidates)))
    db.session.add_all(new_reviews)
    db.session.flush()
    result.assigned = len(new_reviews)
    result.unfilled.sort(key=lambda item: (item[0].reference or "", item[0].id))
    return result


def recuse(review: Review, reviewer: User, reason: str) -> None:
    """The reviewer declares a conflict of interest: the review becomes ``recused`` with ``reason`` and
    its draft scores are dropped; the slot is free for another reviewer (automatic assignment fills it
    and never gives this nomination back to this reviewer).

    Raises ``AssignmentNotPermitted`` when ``reviewer`` does not hold the review, ``AssignmentError``
    without a reason or when the review is already submitted or recused.
    """
    if review.reviewer_id != reviewer.id:
        raise AssignmentNotPermitted(str(_l("Bạn không có quyền thực hiện thao tác này.")))
    reason = clean(reason)
    if not reason:
        raise AssignmentError(str(_l("Vui lòng nêu lý do xung đột lợi ích.")))
    if review.state not in PENDING_STATES:
        raise AssignmentError(
            str(
                _l(
                    "Chỉ khai xung đột lợi ích với hồ sơ chưa nộp bài chấm; bài chấm đã nộp chỉ Ban Thi "
                    "đua – Khen thưởng mở lại được."
                )
            )
        )
    review.scores.clear()
    review.state = ReviewState.RECUSED
    review.recusal_reason = reason
    db.session.flush()


def unassign(review: Review, by: User) -> None:
    """Delete the review (the assignment) while nothing has been scored in it (state ``assigned``).

    Raises ``AssignmentNotPermitted`` when ``by`` is not of the board, ``AssignmentError`` once the
    reviewer has saved scores, submitted or recused (those are kept for the record).
    """
    _check_board(by)
    if review.state is not ReviewState.ASSIGNED or review.scores:
        raise AssignmentError(
            str(
                _l(
                    "Chỉ hủy phân công khi người chấm chưa chấm điểm; bài chấm đã lưu, đã nộp hoặc đã "
                    "khai xung đột lợi ích được giữ lại."
                )
            )
        )
    db.session.delete(review)
    db.session.flush()


# --------------------------------------------------------------------------- progress and reminders


@dataclass(frozen=True)
class ReviewerProgress:
    """One reviewer's work in a round: active reviews (``assigned``), submitted, drafts, recusals."""

    reviewer_id: int
    full_name: str
    unit_name: str | None
    assigned: int
    submitted: int
    drafts: int
    recused: int

    @property
    def pending(self) -> int:
        return self.assigned - self.submitted


def _count_if(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


def reviewer_progress(round_: Round) -> list[ReviewerProgress]:
    """Every active reviewer (and anyone holding a review in the round), with their counts in
    ``round_``: one GROUP BY."""
    in_round = sa.select(Nomination.id).where(Nomination.round_id == round_.id)
    stmt = (
        sa.select(
            User.id,
            User.full_name,
            Unit.name,
            _count_if(Review.state.in_(ACTIVE_STATES)),
            _count_if(Review.state == ReviewState.SUBMITTED),
            _count_if(Review.state == ReviewState.DRAFT),
            _count_if(Review.state == ReviewState.RECUSED),
        )
        .select_from(User)
        .outerjoin(
            Review, sa.and_(Review.reviewer_id == User.id, Review.nomination_id.in_(in_round))
        )
        .outerjoin(Unit, Unit.id == User.unit_id)
        .where(sa.or_(reviewer_clause(), Review.id.is_not(None)))
        .group_by(User.id, User.full_name, User.search_name, Unit.name)
        .order_by(User.search_name, User.id)
    )
    return [ReviewerProgress(*row) for row in db.session.execute(stmt)]


@dataclass(frozen=True)
class ReviewLine:
    review_id: int
    reviewer_id: int
    reviewer_name: str
    state: ReviewState
    recusal_reason: str


@dataclass
class NominationProgress:
    """A nomination in review with its reviews and counts (``submitted``/``active``)."""

    nomination: Nomination
    reviews: list[ReviewLine]
    submitted: int
    active: int


def nomination_progress(round_: Round) -> list[NominationProgress]:
    """The round's nominations in review, each with its reviews (by reviewer name) and its submitted
    and active counts (one GROUP BY)."""
    nominations = in_review_nominations(round_)
    counts = {
        nomination_id: (submitted, active)
        for nomination_id, submitted, active in db.session.execute(
            sa.select(
                Review.nomination_id,
                _count_if(Review.state == ReviewState.SUBMITTED),
                _count_if(Review.state.in_(ACTIVE_STATES)),
            )
            .join(Nomination, Nomination.id == Review.nomination_id)
            .where(_in_review(round_))
            .group_by(Review.nomination_id)
        )
    }
    lines: dict[int, list[ReviewLine]] = {n.id: [] for n in nominations}
    rows = db.session.execute(
        sa.select(
            Review.nomination_id,
            Review.id,
            User.id,
            User.full_name,
            Review.state,
            Review.recusal_reason,
        )
        .join(Nomination, Nomination.id == Review.nomination_id)
        .join(User, User.id == Review.reviewer_id)
        .where(_in_review(round_))
        .order_by(User.search_name, Review.id)
    )
    for nomination_id, *line in rows:
        lines[nomination_id].append(ReviewLine(*line))
    return [NominationProgress(n, lines[n.id], *counts.get(n.id, (0, 0))) for n in nominations]


def lagging_reviewers(round_: Round) -> list[tuple[User, int]]:
    """Active reviewers who still owe reviews of nominations in review in ``round_``, with how many:
    one GROUP BY."""
    pending = (
        sa.select(Review.reviewer_id, sa.func.count().label("n"))
        .join(Nomination, Nomination.id == Review.nomination_id)
        .where(_in_review(round_), Review.state.in_(PENDING_STATES))
        .group_by(Review.reviewer_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(User, pending.c.n)
        .join(pending, pending.c.reviewer_id == User.id)
        .where(User.active.is_(True))
        .order_by(User.id)
    )
    return [(user, n) for user, n in rows]


def send_reminders(round_: Round, by: User, link: str = "") -> int:
    """One notification to each reviewer who still owes reviews in ``round_`` (in their own language),
    pointing at ``link``; returns how many were sent.

    Raises ``AssignmentNotPermitted`` when ``by`` is not of the board.
    """
    _check_board(by)
    sent = 0
    for reviewer, n in lagging_reviewers(round_):
        with force_locale(reviewer.locale):
            message = str(
                _l(
                    "Đồng chí còn %(n)d hồ sơ chưa chấm trong đợt %(round)s",
                    n=n,
                    round=round_.name,
                )
            )
        notifications.notify(reviewer, message, link)
        sent += 1
    return sent


def nominations_by_ids(ids: Iterable[int]) -> list[Nomination]:
    """The nominations with these ids, by reference (``assign_bulk`` then checks each)."""
    return list(
        db.session.scalars(
            sa.select(Nomination)
            .where(Nomination.id.in_(list(ids)))
            .order_by(Nomination.reference, Nomination.id)
        )
    )


def reviewers_by_ids(ids: Iterable[int]) -> list[User]:
    """The users with these ids, by name (the view then checks each through ``assign_bulk``)."""
    return list(
        db.session.scalars(
            sa.select(User).where(User.id.in_(list(ids))).order_by(User.search_name, User.id)
        )
    )
