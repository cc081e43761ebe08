"""The scoring services (``awards/scoring.py``): bounds and step, required comments, submission, weighted
totals, mean / median / minimum number of reviews, reopening, concurrent saves, the offline sheet.

Every expected figure is computed by hand in the test's comment."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from io import BytesIO

import pytest
import sqlalchemy as sa
from flask import Flask
from openpyxl import load_workbook
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from awards import scoring
from awards.extensions import db as _db
from awards.scoring import ReviewNotPermitted, ScoringError, StaleReviewError
from models import (
    Aggregation,
    Nomination,
    NominationState,
    RecipientKind,
    Review,
    ReviewState,
    Role,
    utcnow,
)
from tests import factories as f

D = Decimal
LIMITS = {"max_uncompressed": 10 * 1024 * 1024, "max_rows": 1000}


@dataclass
class Scene:
    """A nomination in review (collective: criteria 1.1 max 40, 1.2 max 30 measurable to 100 %, 1.3 max
    30; self-assessed 20, 15, 15 with 100 % reported for 1.2) and ``n`` reviewers, each with an assigned
    review."""

    filing: f.Filing
    nomination: Nomination
    head: object
    reviews: list[Review]

    def code(self, code: str) -> int:
        return self.filing.criteria[code].id

    def values(self, points: dict[str, str], comment: str = "") -> scoring.ScoreValues:
        return {self.code(c): (D(p), comment) for c, p in points.items()}


def make_scene(n: int = 3, *, kind: RecipientKind = RecipientKind.COLLECTIVE) -> Scene:
    filing = f.make_filing(evidence_required=False)
    unit = f.make_unit()
    head = f.make_user(Role.UNIT_HEAD, unit=unit)
    nomination = f.make_nomination(filing, unit, head, kind=kind)
    f.make_submission(filing, unit, head, [nomination])
    f.bring_to(nomination, NominationState.IN_REVIEW, head=head, board=filing.board)
    reviews = []
    for _ in range(n):
        review = Review(nomination=nomination, reviewer=f.make_user(Role.REVIEWER))
        _db.session.add(review)
        reviews.append(review)
    _db.session.flush()
    return Scene(filing, nomination, head, reviews)


def submit(scene: Scene, review: Review, points: dict[str, str]) -> None:
    scoring.save_review(
        review,
        scene.values(points, "Nhận xét"),
        "",
        version=review.version,
        submit=True,
        actor=review.reviewer,
    )


# --------------------------------------------------------------------------- bounds and comments


@pytest.mark.parametrize("points", ["-0.5", "40.5", "12.3", "12.25"])
def test_points_out_of_range_or_off_step_are_refused(db, points):
    scene = make_scene(1)
    review = scene.reviews[0]
    with pytest.raises(ScoringError) as caught:
        scoring.save_review(
            review,
            scene.values({"1.1": points}, "x"),
            "",
            version=review.version,
            submit=False,
            actor=review.reviewer,
        )
    assert list(caught.value.problems) == [f"points_{scene.code('1.1')}"]
    assert review.state is ReviewState.ASSIGNED
    assert review.scores == []


def test_a_draft_may_be_partial_and_keeps_the_points_given(db):
    scene = make_scene(1)
    review = scene.reviews[0]
    scoring.save_review(
        review,
        scene.values({"1.1": "40", "1.3": "0"}),
        "Đang chấm",
        version=1,
        submit=False,
        actor=review.reviewer,
    )
    assert review.state is ReviewState.DRAFT
    assert {s.criterion_id: s.points for s in review.scores} == {
        scene.code("1.1"): D("40"),
        scene.code("1.3"): D("0"),
    }
    assert review.total is None
    assert review.version == 2


def test_submit_requires_every_criterion(db):
    scene = make_scene(1)
    review = scene.reviews[0]
    with pytest.raises(ScoringError) as caught:
        scoring.save_review(
            review,
            scene.values({"1.1": "20", "1.2": "15"}),
            "",
            version=1,
            submit=True,
            actor=review.reviewer,
        )
    assert list(caught.value.problems) == [f"points_{scene.code('1.3')}"]
    assert review.state is ReviewState.ASSIGNED


def test_a_departure_above_the_margin_needs_a_comment(db):
    scene = make_scene(1)
    review = scene.reviews[0]
    # self-assessed 20, 15, 15; margin 2: 22 (diff 2) needs none, 12.5 (diff 2.5) needs one
    values = scene.values({"1.1": "22", "1.2": "12.5", "1.3": "15"})
    with pytest.raises(ScoringError) as caught:
        scoring.save_review(review, values, "", version=1, submit=True, actor=review.reviewer)
    assert list(caught.value.problems) == [f"comment_{scene.code('1.2')}"]
    values[scene.code("1.2")] = (D("12.5"), "Số liệu chưa được kiểm chứng")
    scoring.save_review(review, values, "", version=1, submit=True, actor=review.reviewer)
    assert review.state is ReviewState.SUBMITTED


def test_a_wider_campaign_margin_needs_no_comment(db):
    scene = make_scene(1)
    scene.filing.campaign.comment_margin = D(5)
    review = scene.reviews[0]
    values = scene.values({"1.1": "25", "1.2": "10", "1.3": "15"})  # diffs 5, 5, 0
    scoring.save_review(review, values, "", version=1, submit=True, actor=review.reviewer)
    assert review.state is ReviewState.SUBMITTED


def test_only_the_reviewer_may_save_and_not_once_submitted_or_recused(db):
    scene = make_scene(2)
    mine, other = scene.reviews
    values = scene.values({"1.1": "20", "1.2": "15", "1.3": "15"})
    with pytest.raises(ReviewNotPermitted):
        scoring.save_review(mine, values, "", version=1, submit=False, actor=other.reviewer)
    scoring.save_review(mine, values, "", version=1, submit=True, actor=mine.reviewer)
    with pytest.raises(ScoringError):
        scoring.save_review(
            mine, values, "", version=mine.version, submit=False, actor=mine.reviewer
        )
    other.state = ReviewState.RECUSED
    _db.session.flush()
    with pytest.raises(ReviewNotPermitted):
        scoring.save_review(
            other, values, "", version=other.version, submit=False, actor=other.reviewer
        )


def test_a_nomination_not_in_review_cannot_be_scored(db):
    scene = make_scene(1)
    f.force_state(scene.nomination, NominationState.SCORED)
    review = scene.reviews[0]
    with pytest.raises(ScoringError):
        scoring.save_review(
            review, scene.values({"1.1": "20"}), "", version=1, submit=False, actor=review.reviewer
        )


def test_a_stale_version_is_refused_and_nothing_is_written(db):
    scene = make_scene(1)
    review = scene.reviews[0]
    scoring.save_review(
        review, scene.values({"1.1": "10"}), "một", version=1, submit=False, actor=review.reviewer
    )
    with pytest.raises(StaleReviewError):
        scoring.save_review(
            review,
            scene.values({"1.1": "30"}),
            "hai",
            version=1,
            submit=False,
            actor=review.reviewer,
        )
    assert [s.points for s in review.scores] == [D("10")]
    assert review.comment == "một"


def test_a_criterion_of_the_other_kind_is_refused(db):
    scene = make_scene(1)
    review = scene.reviews[0]
    with pytest.raises(ScoringError):
        scoring.save_review(
            review, scene.values({"2.1": "10"}), "", version=1, submit=False, actor=review.reviewer
        )


# --------------------------------------------------------------------------- totals and aggregation


def test_total_is_the_weighted_sum(db):
    scene = make_scene(1)
    scene.filing.criteria["1.1"].weight = D("1.5")
    scene.filing.criteria["1.3"].weight = D("0.333")
    review = scene.reviews[0]
    submit(scene, review, {"1.1": "30.5", "1.2": "15", "1.3": "14.5"})
    # 30.5 × 1.5 + 15 × 1 + 14.5 × 0.333 = 45.75 + 15 + 4.8285 = 65.5785 → 65.579
    assert review.total == D("65.579")
    assert review.submitted_at is not None


def test_mean_needs_the_minimum_number_of_reviews(db):
    scene = make_scene(3)
    nomination = scene.nomination
    submit(scene, scene.reviews[0], {"1.1": "30", "1.2": "20", "1.3": "20"})  # 70
    submit(scene, scene.reviews[1], {"1.1": "40", "1.2": "20", "1.3": "20"})  # 80
    assert (nomination.reviews_submitted, nomination.score) == (2, None)
    submit(scene, scene.reviews[2], {"1.1": "35.5", "1.2": "25", "1.3": "25"})  # 85.5
    # (70 + 80 + 85.5) / 3 = 78.5
    assert (nomination.reviews_submitted, nomination.score) == (3, D("78.500"))
    stored = _db.session.execute(
        sa.select(Nomination.score, Nomination.reviews_submitted).where(
            Nomination.id == nomination.id
        )
    ).one()
    assert tuple(stored) == (D("78.500"), 3)


def test_mean_is_rounded_to_thousandths(db):
    scene = make_scene(3)
    for review, first in zip(scene.reviews, ("20", "20", "21"), strict=True):
        submit(scene, review, {"1.1": first, "1.2": "15", "1.3": "15"})
    # totals 50, 50, 51: 151 / 3 = 50.3333… → 50.333
    assert scene.nomination.score == D("50.333")


def test_median_with_odd_and_even_counts(db):
    scene = make_scene(4)
    scene.filing.campaign.aggregation = Aggregation.MEDIAN
    scene.filing.campaign.min_reviews = 2
    nomination = scene.nomination
    submit(scene, scene.reviews[0], {"1.1": "30", "1.2": "20", "1.3": "20"})  # 70
    assert nomination.score is None  # one review, two needed
    submit(scene, scene.reviews[1], {"1.1": "40", "1.2": "30", "1.3": "20"})  # 90
    assert nomination.score == D("80.000")  # (70 + 90) / 2
    submit(scene, scene.reviews[2], {"1.1": "40", "1.2": "20", "1.3": "20"})  # 80
    assert nomination.score == D("80.000")  # 70, 80, 90
    submit(scene, scene.reviews[3], {"1.1": "35.5", "1.2": "25", "1.3": "25"})  # 85.5
    assert nomination.score == D("82.750")  # (80 + 85.5) / 2
    assert nomination.reviews_submitted == 4


def test_aggregate_helper():
    totals = [D("70"), D("80"), D("85.5")]
    assert scoring.aggregate(totals, Aggregation.MEAN, 3) == D("78.500")
    assert scoring.aggregate(totals, Aggregation.MEDIAN, 3) == D("80.000")
    assert scoring.aggregate(totals, Aggregation.MEAN, 4) is None
    assert scoring.aggregate([], Aggregation.MEDIAN, 1) is None


def test_suggested_points_from_the_reported_figure(db):
    scene = make_scene(0)
    nomination = scene.nomination
    measurable = scene.filing.criteria["1.2"]  # max 30, target 100 %
    assert scoring.suggested_points(measurable, nomination) == D(30)  # reported 100 %
    own = next(s for s in nomination.self_scores if s.criterion_id == measurable.id)
    own.reported_value = D("55")
    assert scoring.suggested_points(measurable, nomination) == D("16.5")  # 30 × 0.55
    assert scoring.suggested_points(scene.filing.criteria["1.1"], nomination) is None
    own.reported_value = None
    assert scoring.suggested_points(measurable, nomination) is None


# --------------------------------------------------------------------------- reopening


def test_reopen_by_the_board_recomputes_the_score(db):
    scene = make_scene(3)
    for review, first in zip(scene.reviews, ("30", "40", "35.5"), strict=True):
        submit(scene, review, {"1.1": first, "1.2": "20", "1.3": "20"})  # 70, 80, 75.5
    assert scene.nomination.score == D("75.167")  # 225.5 / 3 = 75.1666…
    reopened = scene.reviews[1]
    scoring.reopen_review(reopened, scene.filing.board, "Chấm nhầm tiêu chí 1.1")
    assert reopened.state is ReviewState.DRAFT
    assert reopened.total is None
    assert (scene.nomination.reviews_submitted, scene.nomination.score) == (2, None)
    scene.filing.campaign.min_reviews = 2
    scoring.refresh_nomination_score(scene.nomination)
    assert scene.nomination.score == D("72.750")  # (70 + 75.5) / 2
    # the reviewer changes the draft and submits again
    submit(scene, reopened, {"1.1": "20", "1.2": "20", "1.3": "20"})  # 60
    assert scene.nomination.score == D("68.500")  # (70 + 60 + 75.5) / 3


def test_reopen_is_for_the_board_with_a_reason_on_a_submitted_review(db):
    scene = make_scene(1)
    review = scene.reviews[0]
    with pytest.raises(ScoringError):
        scoring.reopen_review(review, scene.filing.board, "Lý do")  # not submitted
    submit(scene, review, {"1.1": "20", "1.2": "15", "1.3": "15"})
    with pytest.raises(ReviewNotPermitted):
        scoring.reopen_review(review, review.reviewer, "Lý do")
    with pytest.raises(ScoringError):
        scoring.reopen_review(review, scene.filing.board, "  ")
    assert review.state is ReviewState.SUBMITTED


# --------------------------------------------------------------------------- visibility and queues


def test_queries_exclude_recused_and_conflicted_reviews(db):
    scene = make_scene(2)
    mine, _ = scene.reviews
    reviewer = mine.reviewer
    assert scoring.can_open(mine, reviewer) is True
    assert [p.assigned for p in scoring.progress_by_round(reviewer)] == [1]
    # the reviewer moves to the nominating unit: a conflict of interest
    reviewer.unit_id = scene.nomination.unit_id
    _db.session.flush()
    assert scoring.can_open(mine, reviewer) is False
    assert scoring.progress_by_round(reviewer) == []
    reviewer.unit_id = None
    mine.state = ReviewState.RECUSED
    _db.session.flush()
    assert scoring.can_open(mine, reviewer) is False
    assert scoring.my_reviews(reviewer, scene.filing.round.id) == []


def test_progress_and_next_pending_prefers_the_fewest_submitted_reviews(db):
    first = make_scene(2)
    me = first.reviews[0].reviewer
    # two more nominations of the same round for me; one already has a submitted review
    unit = f.make_unit()
    head = f.make_user(Role.UNIT_HEAD, unit=unit)
    extra = []
    for _ in range(2):
        n = f.make_nomination(first.filing, unit, head)
        f.make_submission(first.filing, unit, head, [n])
        f.bring_to(n, NominationState.IN_REVIEW, head=head, board=first.filing.board)
        extra.append(n)
    mine = [Review(nomination=n, reviewer=me) for n in extra]
    _db.session.add_all(mine)
    _db.session.flush()
    submit(first, first.reviews[1], {"1.1": "20", "1.2": "15", "1.3": "15"})
    # first.nomination has 1 submitted review, extra ones 0: after the first extra comes the second
    assert scoring.next_pending(me, after=mine[0]) == mine[1]
    assert scoring.next_pending(me, after=mine[1]) == mine[0]
    submit(first, mine[0], {"1.1": "20", "1.2": "15", "1.3": "15"})
    assert [(p.submitted, p.assigned) for p in scoring.progress_by_round(me)] == [(1, 3)]
    assert scoring.my_reviews(me, first.filing.round.id) == [mine[1], first.reviews[0], mine[0]]


# --------------------------------------------------------------------------- concurrency


@pytest.fixture()
def engine(make_app: Callable[..., Flask]) -> Iterator[sa.Engine]:
    """Two sessions that really are two connections: a temporary SQLite file, or the suite's
    PostgreSQL database."""
    application = make_app()
    with application.app_context():
        yield _db.engine


def test_two_concurrent_submissions_of_one_review_do_not_lose_an_update(engine):
    scene = make_scene(1)
    review_id = scene.reviews[0].id
    _db.session.commit()
    session = _db.session()
    session.expire_on_commit = False
    try:
        # request A renders its form and, while B saves, passes its version check
        mine = session.get(Review, review_id)
        reviewer = mine.reviewer
        _ = (mine.scores, mine.nomination.self_scores, mine.nomination.round.campaign)
        version = mine.version
        session.commit()
        with Session(engine, expire_on_commit=False) as other:
            theirs = other.get(Review, review_id)
            theirs.comment = "Phiếu của phiên thứ hai"
            theirs.state = ReviewState.SUBMITTED
            theirs.total = D("50")
            theirs.submitted_at = utcnow()
            other.commit()
        with pytest.raises(StaleDataError):
            scoring.save_review(
                mine,
                scene.values({"1.1": "40", "1.2": "30", "1.3": "30"}, "x"),
                "Phiếu của phiên thứ nhất",
                version=version,
                submit=True,
                actor=reviewer,
            )
        session.rollback()
    finally:
        session.expire_on_commit = True
    with Session(engine) as check:
        stored = check.get(Review, review_id)
        assert (stored.comment, stored.total, stored.version) == (
            "Phiếu của phiên thứ hai",
            D("50.000"),
            version + 1,
        )
        assert check.scalar(sa.select(sa.func.count()).select_from(scoring.Score)) == 0


# --------------------------------------------------------------------------- offline sheet


def _fill(data: bytes, rows: dict[str, dict[str, object]]) -> bytes:
    workbook = load_workbook(BytesIO(data))
    sheet = workbook[scoring.SHEET_TITLE]
    header = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        reference = row[0].value
        for column, value in rows.get(reference, {}).items():
            row[header.index(column)].value = value
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_score_sheet_round_trip_saves_drafts(db):
    scene = make_scene(1)
    review = scene.reviews[0]
    me = review.reviewer
    data = scoring.score_sheet(me, scene.filing.round)
    workbook = load_workbook(BytesIO(data))
    sheet = workbook[scoring.SHEET_TITLE]
    assert [c.value for c in sheet[1]] == [
        "Mã hồ sơ",
        "Tên tập thể / cá nhân",
        "Đối tượng",
        "1.1",
        "1.2",
        "1.3",
        "2.1",
        "Nhận xét chung",
    ]
    assert sheet["A2"].value == scene.nomination.reference
    assert sheet["G2"].fill.fgColor.rgb.endswith("D9D9D9")  # 2.1 is for individuals: greyed
    ranges = {str(v.sqref): (v.formula1, v.formula2) for v in sheet.data_validations.dataValidation}
    assert ranges == {"D2": ("0", "40"), "E2": ("0", "30"), "F2": ("0", "30"), "G2": ("0", "30")}
    assert "Hướng dẫn" in workbook.sheetnames
    filled = _fill(
        data,
        {
            scene.nomination.reference: {
                "1.1": 35.5,
                "1.2": "20,5",
                "1.3": 30,
                "2.1": 99,
                "Nhận xét chung": "Tốt",
            }
        },
    )
    result = scoring.import_score_sheet(me, scene.filing.round, filled, **LIMITS)
    assert (result.saved, result.errors) == (1, [])
    assert review.state is ReviewState.DRAFT
    assert review.comment == "Tốt"
    assert {s.criterion_id: s.points for s in review.scores} == {
        scene.code("1.1"): D("35.5"),
        scene.code("1.2"): D("20.5"),
        scene.code("1.3"): D("30"),
    }
    # the draft's points come back in the next download
    again = load_workbook(BytesIO(scoring.score_sheet(me, scene.filing.round)))
    assert again[scoring.SHEET_TITLE]["D2"].value == 35.5


def test_a_bad_row_saves_nothing(db):
    scene = make_scene(1)
    me = scene.reviews[0].reviewer
    second = f.make_nomination(scene.filing, scene.nomination.unit, scene.head)
    f.make_submission(scene.filing, scene.nomination.unit, scene.head, [second])
    f.bring_to(second, NominationState.IN_REVIEW, head=scene.head, board=scene.filing.board)
    other_review = Review(nomination=second, reviewer=me)
    _db.session.add(other_review)
    _db.session.flush()
    data = scoring.score_sheet(me, scene.filing.round)
    filled = _fill(
        data,
        {
            scene.nomination.reference: {"1.1": 20},
            second.reference: {"1.1": 41, "1.2": "=30", "1.3": 12.3},
        },
    )
    result = scoring.import_score_sheet(me, scene.filing.round, filled, **LIMITS)
    assert result.saved == 0
    assert len(result.errors) == 1
    assert result.errors[0].startswith("Dòng 3: ")
    assert "1.1" in result.errors[0] and "1.2" in result.errors[0] and "1.3" in result.errors[0]
    assert scene.reviews[0].scores == []
    assert scene.reviews[0].state is ReviewState.ASSIGNED


def test_a_sheet_row_not_assigned_to_me_is_refused(db):
    scene = make_scene(2)
    me, other = (r.reviewer for r in scene.reviews)
    data = scoring.score_sheet(other, scene.filing.round)
    filled = _fill(data, {scene.nomination.reference: {"1.1": 20}})
    scene.reviews[1].state = ReviewState.RECUSED
    _db.session.flush()
    result = scoring.import_score_sheet(other, scene.filing.round, filled, **LIMITS)
    assert result.saved == 0
    assert len(result.errors) == 1
    assert scene.nomination.reference in result.errors[0]
    bad = scoring.import_score_sheet(me, scene.filing.round, b"not a workbook", **LIMITS)
    assert len(bad.errors) == 1
