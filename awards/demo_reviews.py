"""Demo reviews, council ballots and proposals for the rounds CDS2024 and CDS2025.

Both rounds are carried through scoring and the council: every nomination in review gets three
reviewers by the automatic assignment, every review is submitted with points near the unit's
self-assessment, scoring is completed, the council votes in a session by the review deadline (four
members present, one written opinion), and the board proposes on the next working day what passed
the vote and lies within the award forms' quotas. Approval and decisions come next (``demo_decisions``).
``score_halfway`` leaves a round's reviews half-way instead (two of three submitted for most, some
drafts): the browser tests' own round (``demo.seed_filing_round``).

Everything goes through the services the interface uses (assignment, scoring, ranking, ballots);
deterministic (no randomness). Timestamps the services set to "now" are moved into each round's
calendar afterwards, as ``demo_nominations`` does, so the pages read like a real round.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa

from awards import assignment, ballots, ranking, scoring, workdays
from awards.extensions import db
from models import (
    Attendance,
    AwardForm,
    Ballot,
    BallotVote,
    Nomination,
    NominationState,
    Review,
    Role,
    Round,
    RoundPhase,
    User,
    UserRole,
)

REVIEWERS_PER_NOMINATION = 3
# Round → (reviews assigned, scores closed, council session): the council sits by the review
# deadline (3 October in both years); the board proposes on the next working day.
COUNCIL_DAYS = {
    "CDS2024": (date(2024, 9, 23), date(2024, 10, 1), date(2024, 10, 3)),
    "CDS2025": (date(2025, 9, 24), date(2025, 10, 2), date(2025, 10, 3)),
}

# How far a reviewer departs from the unit's self-assessment, cycled deterministically. Mostly a little
# lower (reviewers are stricter than units), now and then higher, rarely far off (then with a comment).
_DELTAS = [Decimal(d) for d in ("0", "-0.5", "-1", "0", "-0.5", "0.5", "-1.5", "0", "-1", "-2.5")]

_GENERAL_COMMENTS = [
    "Hồ sơ đầy đủ, số liệu minh chứng rõ ràng, phù hợp tiêu chí của phong trào.",
    "Thành tích nổi bật về dịch vụ công trực tuyến; đề nghị đơn vị tiếp tục duy trì.",
    "Báo cáo có số liệu so sánh với năm trước; sáng kiến đã được áp dụng thực tế tại đơn vị.",
    "Đạt yêu cầu. Một số tiêu chí tự chấm cao hơn mức minh chứng thể hiện.",
]
_LOWER_COMMENT = (
    "Minh chứng chưa thể hiện đầy đủ kết quả tự chấm; chấm theo mức đã được chứng minh."
)
_HIGHER_COMMENT = "Kết quả thực tế cao hơn mức đơn vị tự chấm, có minh chứng kèm theo."

COUNCIL_PLACE = "Phòng họp số 1, Trụ sở UBND tỉnh Bắc Ninh"
COUNCIL_CHAIR = "Nguyễn Hữu Thành"


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute))


def _half(value: Decimal) -> Decimal:
    """``value`` rounded to the scoring step of 0.5."""
    return (value * 2).quantize(Decimal(1), rounding=ROUND_HALF_UP) / 2


def _reviewers() -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == Role.REVIEWER, User.active.is_(True))
            .order_by(User.username)
        )
    )


def _reviews_of(round_: Round) -> dict[int, list[Review]]:
    """The round's reviews by nomination id, each list in reviewer order (deterministic)."""
    rows = db.session.scalars(
        sa.select(Review)
        .join(Nomination, Nomination.id == Review.nomination_id)
        .where(Nomination.round_id == round_.id)
        .order_by(Review.nomination_id, Review.reviewer_id)
    )
    grouped: dict[int, list[Review]] = {}
    for review in rows:
        grouped.setdefault(review.nomination_id, []).append(review)
    return grouped


def _fill(review: Review, seed: int, *, submit: bool, complete: bool = True) -> None:
    """Score ``review`` near the unit's self-assessment and save it (as its reviewer)."""
    nomination = review.nomination
    margin = nomination.round.campaign.comment_margin
    own = scoring.self_scores(nomination)
    values: scoring.ScoreValues = {}
    criteria = scoring.criteria_of(review)
    for position, criterion in enumerate(criteria):
        if not complete and position >= len(criteria) // 2:
            break  # a draft the reviewer stopped half-way through
        self_points = own[criterion.id].points if criterion.id in own else criterion.max_points
        delta = _DELTAS[(seed + position * 3) % len(_DELTAS)]
        points = min(max(_half(self_points + delta), Decimal(0)), criterion.max_points)
        text = ""
        if abs(points - self_points) > margin:
            text = _LOWER_COMMENT if points < self_points else _HIGHER_COMMENT
        values[criterion.id] = (points, text)
    comment = _GENERAL_COMMENTS[seed % len(_GENERAL_COMMENTS)] if submit else ""
    scoring.save_review(
        review, values, comment, version=review.version, submit=submit, actor=review.reviewer
    )


def _assign(round_: Round, board: User, on: date) -> dict[int, list[Review]]:
    assignment.assign_automatically(
        round_, per_nomination=REVIEWERS_PER_NOMINATION, cap=None, by=board
    )
    grouped = _reviews_of(round_)
    for reviews in grouped.values():
        for review in reviews:
            review.assigned_at = _at(on, 8)
    return grouped


def score_all(round_: Round, board: User, assigned_on: date) -> int:
    """Review every in-review nomination of ``round_`` in full: three reviewers each, every review
    submitted within six days after ``assigned_on`` + 2. Returns the number of reviews."""
    grouped = _assign(round_, board, assigned_on)
    first = assigned_on + timedelta(days=2)
    count = 0
    for index, (_nomination_id, reviews) in enumerate(sorted(grouped.items())):
        for slot, review in enumerate(reviews):
            _fill(review, index * 7 + slot * 3, submit=True)
            review.submitted_at = _at(first + timedelta(days=(index + slot) % 6), 9 + slot)
            count += 1
    return count


def complete_scoring(round_: Round, board: User, on: date) -> int:
    """The board closes the scores of every nomination with its reviews in; returns how many."""
    result = ranking.complete_scoring_all(round_, board)
    for nomination in result.moved:
        _backdate_last_event(nomination, _at(on, 10))
    return len(result.moved)


def _backdate_last_event(nomination: Nomination, when: datetime) -> None:
    latest = max(nomination.events, key=lambda event: event.id or 0)
    latest.created_at = when


@dataclass
class CouncilResult:
    ballot: Ballot
    passed: int
    failed: int
    proposed: int


def hold_council(round_: Round, board: User, held_on: date) -> CouncilResult:
    """Hold the council session of ``round_`` on ``held_on``, close it, and propose on the next
    working day what passed and lies within the award forms' quotas
    (``ranking.propose_within_quota``)."""
    members = _reviewers()
    ballot = ballots.open_ballot(
        round_,
        title=f"đợt {round_.name}",
        held_on=held_on,
        place=COUNCIL_PLACE,
        chair_name=COUNCIL_CHAIR,
        secretary_name=board.full_name,
        quorum_percent=80,
        member_ids=[m.id for m in members],
        by=board,
    )
    # The last member sends a written opinion; the others attend.
    written = members[-1]
    ballots.set_attendance(ballot, written, Attendance.WRITTEN, by=board)
    scored = db.session.scalars(
        sa.select(Nomination)
        .where(Nomination.round_id == round_.id, Nomination.state == NominationState.SCORED)
        .order_by(Nomination.id)
    ).all()
    for index, nomination in enumerate(scored):
        for position, member in enumerate(members):
            recorder = board if member.id == written.id else member
            # Every eighth nomination divides the council (most members against); otherwise a
            # rare dissenting vote.
            against = (index % 8 == 3 and position < 3) or (index + position) % 13 == 0
            try:
                ballots.cast_vote(ballot, nomination, member, not against, recorder)
            except ballots.BallotError:
                continue  # own unit's nomination (conflict of interest): the member does not vote
    ballots.close_ballot(ballot, board)
    ballot.created_at = _at(held_on - timedelta(days=2), 14)
    ballot.closed_at = _at(held_on, 11, 30)
    for vote in db.session.scalars(sa.select(BallotVote).where(BallotVote.ballot_id == ballot.id)):
        vote.cast_at = _at(held_on, 10, 15)
    passed = set(ballots.passed_nomination_ids(ballot))
    proposed = 0
    proposed_at = _at(workdays.add_working_days(held_on, 1), 2)
    forms = db.session.scalars(
        sa.select(AwardForm)
        .where(AwardForm.campaign_id == round_.campaign_id)
        .order_by(AwardForm.position)
    ).all()
    for form in forms:
        result = ranking.propose_within_quota(round_, form, board)
        for nomination in result.moved:
            _backdate_last_event(nomination, proposed_at)
        proposed += len(result.moved)
    return CouncilResult(ballot, len(passed), len(scored) - len(passed), proposed)


def score_halfway(round_: Round, board: User, assigned_on: date) -> tuple[int, int]:
    """Reviews half-way: three reviewers per nomination in review, two submitted for most, all three
    for the first two nominations, some drafts. Returns (submitted, drafts)."""
    grouped = _assign(round_, board, assigned_on)
    first = assigned_on + timedelta(days=1)
    submitted = drafts = 0
    for index, (_nomination_id, reviews) in enumerate(sorted(grouped.items())):
        for slot, review in enumerate(reviews):
            seed = index * 5 + slot * 3
            if slot < 2 or index < 2:
                _fill(review, seed, submit=True)
                review.submitted_at = _at(first + timedelta(days=(index + slot) % 4), 9)
                submitted += 1
            elif index % 2 == 0:
                _fill(review, seed, submit=False, complete=False)
                drafts += 1
            # else: assigned, not opened yet
    return submitted, drafts


def _carry_through_council(
    round_: Round, board: User, assigned_on: date, scored_on: date, council_on: date
) -> tuple[int, CouncilResult]:
    round_.phase = RoundPhase.REVIEWING
    reviews = score_all(round_, board, assigned_on)
    complete_scoring(round_, board, scored_on)
    round_.phase = RoundPhase.COUNCIL
    return reviews, hold_council(round_, board, council_on)


def seed(board: User) -> str:
    """Review both rounds in full, hold their councils and propose (flushes; the caller commits)."""
    rounds = {r.code: r for r in db.session.scalars(sa.select(Round))}
    parts = []
    for code, (assigned_on, scored_on, council_on) in COUNCIL_DAYS.items():
        reviews, council = _carry_through_council(
            rounds[code], board, assigned_on, scored_on, council_on
        )
        parts.append(
            f"{code}: {reviews} phiếu chấm, phiên họp Hội đồng ngày "
            f"{council_on.strftime('%d/%m/%Y')} ({council.passed} hồ sơ đạt, {council.failed} "
            f"không đạt), {council.proposed} hồ sơ đề xuất"
        )
    return "; ".join(parts)
