"""Ranking of a round's nominations per award form, within quotas (DESIGN.md §4, DOMAIN.md §2).

The nomination's ``score`` and ``reviews_submitted`` are kept by ``awards/scoring.py`` when reviews are
submitted or reopened: the ranking reads them, one row per nomination, and never aggregates score rows
for the score itself. A whole round is ranked with a fixed number of queries, whatever its size: the
nominations, the criteria of the campaign, and one aggregate of the heaviest criterion group's points
(the second tie-break).

Order: score (descending), then the campaign's default tie-breaks — a female individual or a collective
with at least 70% women first (Decree 152, Art. 4), then the higher mean points on the heaviest criterion
group (largest sum of max points × weight for the nominee's kind), then the reference code. Quotas: the
ordered eligible rows are taken while the award form's total and per-unit quotas allow; a tie (equal
score and equal tie-break keys) that straddles the total quota line is flagged for the council on every
tied row, never decided silently.

Services here flush, never commit.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _

from awards import workflow
from awards.extensions import db
from awards.nomination_lists import NOMINATION_STATE_LABELS
from exports import ranking as sheets_xlsx
from models import (
    AppliesTo,
    AwardForm,
    Criterion,
    CriterionGroup,
    Nomination,
    NominationState,
    RecipientKind,
    Review,
    ReviewState,
    Round,
    Score,
    Sex,
    Unit,
    User,
)

S = NominationState
ELIGIBLE_STATES = frozenset({S.IN_REVIEW, S.SCORED, S.PROPOSED})
# Everything past intake appears in the ranking table; only ELIGIBLE_STATES can be ranked.
LISTED_STATES = (S.IN_REVIEW, S.SCORED, S.PROPOSED, S.APPROVED, S.REJECTED, S.AWARDED, S.REVOKED)
WOMEN_SHARE_PRIORITY = Decimal(70)
_MILLI = Decimal("0.001")


@dataclass
class RankRow:
    """One nomination in the ranking of its award form."""

    nomination_id: int
    reference: str
    name: str
    unit_id: int
    unit_name: str
    kind: RecipientKind
    state: NominationState
    score: Decimal | None
    reviews_submitted: int
    priority: bool  # female individual, or collective with ≥ 70% women
    group_points: Decimal  # mean points on the heaviest criterion group over submitted reviews
    eligible: bool = False
    reason: str = ""  # why not eligible
    position: int | None = None  # 1.. among the eligible rows
    within_quota: bool = False
    tie_flag: bool = False  # a tie straddling the total quota line: for the council to decide
    outside_by: str = ""  # "total" or "unit" for an eligible row left outside the quota

    @property
    def tie_key(self) -> tuple[object, ...]:
        return (self.score, self.priority, self.group_points)


@dataclass
class UnitUse:
    unit_id: int
    unit_name: str
    within: int
    eligible: int


@dataclass
class Ranking:
    round_id: int
    award_form_id: int
    min_reviews: int
    min_score: Decimal
    quota_total: int | None
    quota_per_unit: int | None
    heaviest_groups: dict[RecipientKind, str]
    rows: list[RankRow] = field(default_factory=list)

    @property
    def within(self) -> list[RankRow]:
        return [row for row in self.rows if row.within_quota]

    @property
    def flagged(self) -> list[RankRow]:
        return [row for row in self.rows if row.tie_flag]

    def unit_use(self) -> list[UnitUse]:
        """Per unit: eligible rows and rows within the quota, by unit name."""
        use: dict[int, UnitUse] = {}
        for row in self.rows:
            if not row.eligible:
                continue
            entry = use.setdefault(row.unit_id, UnitUse(row.unit_id, row.unit_name, 0, 0))
            entry.eligible += 1
            entry.within += row.within_quota
        return sorted(use.values(), key=lambda u: u.unit_name)


# --------------------------------------------------------------------------- heaviest criterion group


def heaviest_groups(campaign_id: int) -> dict[RecipientKind, tuple[int, str]]:
    """Per recipient kind, the criterion group with the largest sum of max points × weight over the
    criteria that apply to that kind: ``(group id, group title)``. Ties go to the earlier group."""
    rows = db.session.execute(
        sa.select(
            Criterion.group_id,
            CriterionGroup.title,
            CriterionGroup.position,
            Criterion.applies_to,
            Criterion.max_points,
            Criterion.weight,
        )
        .join(CriterionGroup, CriterionGroup.id == Criterion.group_id)
        .where(Criterion.campaign_id == campaign_id)
    ).all()
    result: dict[RecipientKind, tuple[int, str]] = {}
    for kind in RecipientKind:
        sums: dict[tuple[int, int, str], Decimal] = defaultdict(Decimal)
        for group_id, title, position, applies_to, max_points, weight in rows:
            if AppliesTo(applies_to).includes(kind):
                sums[position, group_id, title] += Decimal(max_points) * Decimal(weight)
        if sums:
            (_, group_id, title), _ = max(sums.items(), key=lambda item: (item[1], -item[0][0]))
            result[kind] = (group_id, title)
    return result


def _group_points(
    round_id: int, award_form_id: int, groups: dict[RecipientKind, tuple[int, str]]
) -> dict[int, Decimal]:
    """Per nomination, the sum of its submitted reviews' points on its kind's heaviest group: one
    aggregate query for the round and award form."""
    if not groups:
        return {}
    by_kind = [
        sa.and_(Nomination.kind == kind, Criterion.group_id == group_id)
        for kind, (group_id, _title) in groups.items()
    ]
    statement = (
        sa.select(Review.nomination_id, sa.func.sum(Score.points))
        .join(Review, Review.id == Score.review_id)
        .join(Nomination, Nomination.id == Review.nomination_id)
        .join(Criterion, Criterion.id == Score.criterion_id)
        .where(
            Nomination.round_id == round_id,
            Nomination.award_form_id == award_form_id,
            Nomination.state.in_(ELIGIBLE_STATES),
            Review.state == ReviewState.SUBMITTED,
            sa.or_(*by_kind),
        )
        .group_by(Review.nomination_id)
    )
    return {nid: Decimal(str(total)) for nid, total in db.session.execute(statement)}


# --------------------------------------------------------------------------- the ranking


def _is_priority(kind: RecipientKind, sex: Sex | None, women_share: Decimal | None) -> bool:
    if kind is RecipientKind.INDIVIDUAL:
        return sex is Sex.FEMALE
    return women_share is not None and women_share >= WOMEN_SHARE_PRIORITY


def _ineligibility(row: RankRow, hold_reason: str, ranking: Ranking) -> str:
    if row.state not in ELIGIBLE_STATES:
        return _("Hồ sơ ở trạng thái “%(state)s”.", state=NOMINATION_STATE_LABELS[row.state])
    if hold_reason.strip():
        return _("Đang tạm dừng xét: %(reason)s", reason=hold_reason.strip())
    if row.score is None or row.reviews_submitted < ranking.min_reviews:
        return _(
            "Mới có %(n)d/%(min)d phiếu chấm đã nộp.",
            n=row.reviews_submitted,
            min=ranking.min_reviews,
        )
    if row.score < ranking.min_score:
        return _("Điểm dưới mức tối thiểu %(min)s.", min=f"{ranking.min_score:g}")
    return ""


def rank(round_: Round, award_form: AwardForm) -> Ranking:
    """The ranking of ``round_``'s nominations proposed for ``award_form`` (see the module docstring).

    Reads only; a fixed number of queries whatever the number of nominations. Every nomination past
    intake is listed: the eligible ones first in ranking order, then the others with the reason.
    """
    campaign = round_.campaign
    groups = heaviest_groups(campaign.id)
    ranking = Ranking(
        round_id=round_.id,
        award_form_id=award_form.id,
        min_reviews=campaign.min_reviews,
        min_score=award_form.min_score,
        quota_total=award_form.quota_total,
        quota_per_unit=award_form.quota_per_unit,
        heaviest_groups={kind: title for kind, (_id, title) in groups.items()},
    )
    records = db.session.execute(
        sa.select(
            Nomination.id,
            Nomination.reference,
            Nomination.nominee_name,
            Nomination.unit_id,
            Unit.name,
            Nomination.kind,
            Nomination.state,
            Nomination.score,
            Nomination.reviews_submitted,
            Nomination.sex,
            Nomination.women_share,
            Nomination.hold_reason,
        )
        .join(Unit, Unit.id == Nomination.unit_id)
        .where(
            Nomination.round_id == round_.id,
            Nomination.award_form_id == award_form.id,
            Nomination.state.in_(LISTED_STATES),
        )
    ).all()
    sums = _group_points(round_.id, award_form.id, groups)
    eligible: list[RankRow] = []
    others: list[RankRow] = []
    for nid, ref, name, unit_id, unit_name, kind, state, score, count, sex, share, hold in records:
        kind = RecipientKind(kind)
        points = sums.get(nid, Decimal(0)) / count if count else Decimal(0)
        row = RankRow(
            nomination_id=nid,
            reference=ref or "",
            name=name,
            unit_id=unit_id,
            unit_name=unit_name,
            kind=kind,
            state=NominationState(state),
            score=score,
            reviews_submitted=count,
            priority=_is_priority(kind, Sex(sex) if sex else None, share),
            group_points=points.quantize(_MILLI),
        )
        row.reason = _ineligibility(row, hold or "", ranking)
        row.eligible = not row.reason
        (eligible if row.eligible else others).append(row)
    eligible.sort(key=lambda r: (-r.score, not r.priority, -r.group_points, r.reference))
    others.sort(key=lambda r: (r.score is None, -(r.score or 0), r.reference))
    _apply_quotas(eligible, award_form.quota_total, award_form.quota_per_unit)
    ranking.rows = eligible + others
    return ranking


def _apply_quotas(ordered: list[RankRow], total: int | None, per_unit: int | None) -> None:
    """Walk the ordered eligible rows, taking each while the total and its unit's quota allow; then
    flag the ties that straddle the total quota line."""
    taken = 0
    by_unit: dict[int, int] = defaultdict(int)
    for position, row in enumerate(ordered, start=1):
        row.position = position
        if total is not None and taken >= total:
            row.outside_by = "total"
        elif per_unit is not None and by_unit[row.unit_id] >= per_unit:
            row.outside_by = "unit"
        else:
            row.within_quota = True
            taken += 1
            by_unit[row.unit_id] += 1
    tied: dict[tuple[object, ...], list[RankRow]] = defaultdict(list)
    for row in ordered:
        tied[row.tie_key].append(row)
    for rows in tied.values():
        if any(r.within_quota for r in rows) and any(r.outside_by == "total" for r in rows):
            for r in rows:
                r.tie_flag = True


# --------------------------------------------------------------------------- score matrix, normalisation


@dataclass
class MatrixRow:
    reviewer: str
    points: dict[str, Decimal]  # criterion code → points
    total: Decimal | None
    review_id: int = 0


@dataclass
class ScoreMatrix:
    """Reviewer × criterion points of one nomination's submitted reviews."""

    codes: list[str] = field(default_factory=list)
    rows: list[MatrixRow] = field(default_factory=list)


def score_matrix(round_: Round, award_form: AwardForm) -> dict[int, ScoreMatrix]:
    """Per nomination of ``round_`` and ``award_form``, its submitted reviews' points per criterion:
    one query over the scores joined to their reviews. Reads only."""
    statement = (
        sa.select(
            Review.nomination_id,
            Review.id,
            User.full_name,
            Review.total,
            Criterion.code,
            Score.points,
        )
        .join(Review, Review.id == Score.review_id)
        .join(Nomination, Nomination.id == Review.nomination_id)
        .join(User, User.id == Review.reviewer_id)
        .join(Criterion, Criterion.id == Score.criterion_id)
        .where(
            Nomination.round_id == round_.id,
            Nomination.award_form_id == award_form.id,
            Review.state == ReviewState.SUBMITTED,
        )
        .order_by(Review.nomination_id, User.full_name, Review.id, Criterion.position)
    )
    matrices: dict[int, ScoreMatrix] = {}
    current: dict[int, MatrixRow] = {}
    for nid, review_id, reviewer, total, code, points in db.session.execute(statement):
        matrix = matrices.setdefault(nid, ScoreMatrix())
        if code not in matrix.codes:
            matrix.codes.append(code)
        row = current.get(review_id)
        if row is None:
            row = current[review_id] = MatrixRow(reviewer, {}, total, review_id)
            matrix.rows.append(row)
        row.points[code] = points
    return matrices


def normalised_scores(round_: Round) -> dict[int, Decimal]:
    """Per nomination of ``round_``, the per-reviewer z-score normalised score, shown beside the raw
    score (never instead of it). For each reviewer, the mean and standard deviation of their submitted
    review totals in the round; z = (total − mean) / sd; the nomination's normalised score is its mean z
    rescaled to the points scale: mean z × overall sd + overall mean (over the totals of the reviewers
    that give a z). Reviewers whose totals do not vary (one review, or all equal) give no z and are left
    out. Two aggregate queries. Reads only."""
    in_round = sa.and_(
        Review.state == ReviewState.SUBMITTED,
        Review.nomination_id == Nomination.id,
        Nomination.round_id == round_.id,
    )
    stats = db.session.execute(
        sa.select(
            Review.reviewer_id,
            sa.func.count(),
            sa.func.avg(Review.total),
            sa.func.avg(Review.total * Review.total),
        )
        .select_from(Review)
        .join(Nomination, Nomination.id == Review.nomination_id)
        .where(in_round)
        .group_by(Review.reviewer_id)
    ).all()
    if not stats:
        return {}
    means: dict[int, float] = {}
    scales: dict[int, float] = {}
    n_all = sum_all = squares_all = 0.0
    for reviewer_id, count, mean, mean_square in stats:
        mean, mean_square = float(mean), float(mean_square)
        variance = mean_square - mean * mean
        if variance > 1e-9:
            means[reviewer_id] = mean
            scales[reviewer_id] = 1 / math.sqrt(variance)
            n_all += count
            sum_all += mean * count
            squares_all += mean_square * count
    if not means:
        return {}
    overall_mean = sum_all / n_all
    overall_sd = math.sqrt(max(squares_all / n_all - overall_mean**2, 0.0))
    mean_of = sa.case(means, value=Review.reviewer_id, else_=None)
    scale_of = sa.case(scales, value=Review.reviewer_id, else_=None)
    z = (sa.cast(Review.total, sa.Float) - mean_of) * scale_of
    rows = db.session.execute(
        sa.select(Review.nomination_id, sa.func.avg(z))
        .select_from(Review)
        .join(Nomination, Nomination.id == Review.nomination_id)
        .where(in_round)
        .group_by(Review.nomination_id)
    ).all()
    return {
        nid: Decimal(str(round(float(mean_z) * overall_sd + overall_mean, 3)))
        for nid, mean_z in rows
        if mean_z is not None
    }


# --------------------------------------------------------------------------- transitions in bulk


@dataclass
class BulkResult:
    moved: list[Nomination] = field(default_factory=list)
    skipped: int = 0  # conflicts of interest, or ties left to the council


def complete_scoring_all(round_: Round, actor: User) -> BulkResult:
    """Move every in-review nomination of ``round_`` with the campaign's minimum of submitted reviews to
    ``scored`` through ``workflow.transition``. Nominations the actor may not decide (their own unit's,
    or ones they filed) are skipped and counted. Flushes. Raises ``NotPermitted`` for an actor without
    the board role, ``WorkflowError`` when the round's phase does not allow it."""
    _check_bulk(round_, "complete_scoring", actor)
    candidates = db.session.scalars(
        sa.select(Nomination)
        .where(
            Nomination.round_id == round_.id,
            Nomination.state == S.IN_REVIEW,
            Nomination.reviews_submitted >= round_.campaign.min_reviews,
        )
        .order_by(Nomination.id)
    ).all()
    return _move_all(candidates, "complete_scoring", actor)


def propose_within_quota(round_: Round, award_form: AwardForm, actor: User) -> BulkResult:
    """Move the scored, eligible nominations within ``award_form``'s quotas to ``proposed`` — not those
    in a tie straddling the quota line (counted as skipped, for the council). When the council has
    voted (a closed ballot of the round), only the nominations it approved in its latest closed
    ballot are proposed; the others are counted as skipped. Flushes. Raises like
    ``complete_scoring_all``."""
    from awards import ballots  # ballots reads rankings' nominations; imported when needed

    _check_bulk(round_, "propose", actor)
    ranking = rank(round_, award_form)
    ids = [
        row.nomination_id for row in ranking.within if row.state is S.SCORED and not row.tie_flag
    ]
    flagged = sum(1 for row in ranking.flagged if row.state is S.SCORED)
    ballot = ballots.latest_closed(round_)
    if ballot is not None:
        approved = set(ballots.passed_nomination_ids(ballot))
        flagged += sum(1 for nomination_id in ids if nomination_id not in approved)
        ids = [nomination_id for nomination_id in ids if nomination_id in approved]
    candidates = (
        db.session.scalars(
            sa.select(Nomination).where(Nomination.id.in_(ids)).order_by(Nomination.id)
        ).all()
        if ids
        else []
    )
    result = _move_all(candidates, "propose", actor)
    result.skipped += flagged
    return result


def _check_bulk(round_: Round, action: str, actor: User) -> None:
    """Refuse up front what ``workflow.transition`` would refuse for every nomination alike."""
    rule = workflow.TRANSITIONS[action]
    if not actor.has_role(*rule.roles):
        raise workflow.NotPermitted(_("Bạn không có quyền thực hiện thao tác này."))
    if round_.phase not in rule.phases:
        raise workflow.WorkflowError(_("Đợt xét không ở giai đoạn cho phép thao tác này."))


def _move_all(candidates: list[Nomination], action: str, actor: User) -> BulkResult:
    result = BulkResult()
    for nomination in candidates:
        try:
            workflow.transition(nomination, action, actor)
        except workflow.NotPermitted:
            result.skipped += 1
            continue
        result.moved.append(nomination)
    return result


# --------------------------------------------------------------------------- plain rows for exports


def ranking_records(ranking: Ranking, normalised: dict[int, Decimal]) -> list[dict[str, object]]:
    """The ranking as plain dicts (for ``exports.ranking``)."""
    return [
        {
            "position": row.position,
            "reference": row.reference,
            "name": row.name,
            "unit": row.unit_name,
            "kind": row.kind,
            "score": row.score,
            "normalised": normalised.get(row.nomination_id),
            "reviews": row.reviews_submitted,
            "min_reviews": ranking.min_reviews,
            "eligible": row.eligible,
            "reason": row.reason,
            "within_quota": row.within_quota,
            "tie_flag": row.tie_flag,
            "state": row.state,
        }
        for row in ranking.rows
    ]


def matrix_records(
    ranking: Ranking, matrices: dict[int, ScoreMatrix]
) -> tuple[list[str], list[dict[str, object]]]:
    """The score matrices of a ranking as plain dicts, one per (nomination, reviewer), and the
    criterion codes in column order."""
    codes: list[str] = []
    records: list[dict[str, object]] = []
    for row in ranking.rows:
        matrix = matrices.get(row.nomination_id)
        if matrix is None:
            continue
        codes.extend(code for code in matrix.codes if code not in codes)
        for line in matrix.rows:
            records.append(
                {
                    "reference": row.reference,
                    "name": row.name,
                    "unit": row.unit_name,
                    "reviewer": line.reviewer,
                    "points": line.points,
                    "total": line.total,
                }
            )
    return codes, records


def _sheet_title(form: AwardForm) -> str:
    return "".join("_" if ch in "[]:*?/\\" else ch for ch in form.code)[:31]


def ranking_workbook(round_: Round) -> tuple[bytes, int]:
    """The ranking of every award form of ``round_`` as an .xlsx workbook (one sheet per form) and
    the number of rows written. Reads only."""

    normalised = normalised_scores(round_)
    sheets = []
    for form in round_.campaign.award_forms:
        sheets.append(
            sheets_xlsx.FormSheet(
                _sheet_title(form), ranking_records(rank(round_, form), normalised)
            )
        )
    return sheets_xlsx.ranking_workbook(sheets), sum(len(sheet.records) for sheet in sheets)


def scores_workbook(round_: Round) -> tuple[bytes, int]:
    """The score matrix (reviewer × criterion) of every award form of ``round_`` as an .xlsx workbook
    (one sheet per form) and the number of rows written. Reads only."""

    sheets = []
    for form in round_.campaign.award_forms:
        codes, records = matrix_records(rank(round_, form), score_matrix(round_, form))
        sheets.append(sheets_xlsx.FormSheet(_sheet_title(form), records, codes))
    return sheets_xlsx.matrix_workbook(sheets), sum(len(sheet.records) for sheet in sheets)
