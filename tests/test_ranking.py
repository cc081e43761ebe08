"""Ranking within quotas (``awards/ranking.py``), its page and exports, and the transitions
in_review → scored → proposed.

Fixtures write ``Review``/``Score`` rows and ``Nomination.score``/``reviews_submitted`` directly, as
``awards/scoring.py`` keeps them when reviews are submitted.
"""

from __future__ import annotations

from decimal import Decimal
from io import BytesIO
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from openpyxl import load_workbook

from awards import ranking, workflow
from awards.extensions import db as _db
from models import (
    AppliesTo,
    AuditEvent,
    Criterion,
    CriterionGroup,
    Nomination,
    NominationState,
    RecipientKind,
    Review,
    ReviewState,
    Role,
    RoundPhase,
    Score,
    Sex,
    Unit,
    User,
    utcnow,
)
from tests.conftest import login
from tests.factories import bring_to, make_filing, make_nomination, make_submission, make_unit
from tests.factories import make_user as new_user

S = NominationState
D = Decimal


class Scene:
    """A round (reviewing) with one award form, three units with their Tờ trình, three reviewers."""

    def __init__(self) -> None:
        self.filing = make_filing(evidence_required=False)
        self.form = self.filing.form
        self.round = self.filing.round
        self.board = self.filing.board
        self.units: list[Unit] = [make_unit(f"Sở thử nghiệm {i}") for i in range(3)]
        self.heads = [new_user(Role.UNIT_HEAD, unit=unit) for unit in self.units]
        self.submissions = [
            make_submission(self.filing, unit, head)
            for unit, head in zip(self.units, self.heads, strict=True)
        ]
        self.reviewers = [new_user(Role.REVIEWER) for _ in range(3)]

    def nominate(
        self,
        score: str | None,
        *,
        unit: int = 0,
        kind: RecipientKind = RecipientKind.COLLECTIVE,
        women: str | None = "0",
        sex: Sex = Sex.MALE,
        group: str = "0",
        reviews: int = 3,
        state: NominationState = S.IN_REVIEW,
        name: str | None = None,
    ) -> Nomination:
        """An accepted nomination of ``units[unit]`` with ``reviews`` submitted reviews, each giving
        ``group`` points on criterion 1.1 (group I), and ``score`` as scoring.py would keep it."""
        self.round.phase = RoundPhase.NOMINATING
        nomination = make_nomination(
            self.filing, self.units[unit], self.heads[unit], kind=kind, name=name, evidence=False
        )
        nomination.submission = self.submissions[unit]
        bring_to(nomination, state, head=self.heads[unit], board=self.board)
        self.round.phase = RoundPhase.REVIEWING
        if kind is RecipientKind.COLLECTIVE:
            nomination.women_share = None if women is None else D(women)
        else:
            nomination.sex = sex
        for reviewer in self.reviewers[:reviews]:
            self.review(nomination, reviewer, {"1.1": D(group)})
        nomination.reviews_submitted = reviews
        nomination.score = None if score is None else D(score)
        _db.session.flush()
        return nomination

    def review(self, nomination: Nomination, reviewer: User, points: dict[str, Decimal]) -> Review:
        criteria = {c.code: c for c in self.filing.campaign.criteria}
        total = sum((criteria[code].weight * p for code, p in points.items()), D(0))
        review = Review(
            nomination=nomination,
            reviewer=reviewer,
            state=ReviewState.SUBMITTED,
            total=total,
            submitted_at=utcnow(),
        )
        review.scores = [Score(criterion=criteria[code], points=p) for code, p in points.items()]
        _db.session.add(review)
        _db.session.flush()
        return review


@pytest.fixture()
def scene(db: object) -> Scene:
    return Scene()


def ids(rows: list[ranking.RankRow]) -> list[int]:
    return [row.nomination_id for row in rows]


# --------------------------------------------------------------------------- eligibility


def test_eligibility_min_score_hold_too_few_reviews_and_state(scene: Scene) -> None:
    scene.form.min_score = D(50)
    good = scene.nominate("80")
    scored = scene.nominate("70", state=S.SCORED)
    low = scene.nominate("49.5")
    held = scene.nominate("90")
    held.hold_reason = "Đang bị thanh tra"
    few = scene.nominate(None, reviews=2)
    approved = scene.nominate("95", state=S.APPROVED)
    scene.nominate("99", state=S.DRAFT, reviews=0)  # not past intake: not listed

    result = ranking.rank(scene.round, scene.form)

    assert ids(result.rows) == [good.id, scored.id, approved.id, held.id, low.id, few.id]
    assert [(r.eligible, r.position) for r in result.rows] == [
        (True, 1),
        (True, 2),
        (False, None),
        (False, None),
        (False, None),
        (False, None),
    ]
    reasons = {r.nomination_id: r.reason for r in result.rows}
    assert reasons[good.id] == ""
    assert reasons[approved.id] == "Hồ sơ ở trạng thái “Đã phê duyệt”."
    assert reasons[held.id] == "Đang tạm dừng xét: Đang bị thanh tra"
    assert reasons[low.id] == "Điểm dưới mức tối thiểu 50."
    assert reasons[few.id] == "Mới có 2/3 phiếu chấm đã nộp."


# --------------------------------------------------------------------------- order and tie-breaks


def test_order_by_score_then_women_then_heaviest_group_then_reference(scene: Scene) -> None:
    top = scene.nominate("90", group="0")
    c60 = scene.nominate("80", women="60", group="30")
    c70 = scene.nominate("80", women="70", group="10")
    female = scene.nominate("80", kind=RecipientKind.INDIVIDUAL, sex=Sex.FEMALE, group="20")
    male = scene.nominate("80", kind=RecipientKind.INDIVIDUAL, sex=Sex.MALE, group="40")
    twin_a = scene.nominate("70", group="5")
    twin_b = scene.nominate("70", group="5")

    result = ranking.rank(scene.round, scene.form)

    assert ids(result.rows) == [top.id, female.id, c70.id, male.id, c60.id, twin_a.id, twin_b.id]
    assert [r.position for r in result.rows] == [1, 2, 3, 4, 5, 6, 7]
    assert [r.priority for r in result.rows] == [False, True, True, False, False, False, False]
    assert [r.group_points for r in result.rows] == [D(n) for n in (0, 20, 10, 40, 30, 5, 5)]
    assert twin_a.reference < twin_b.reference
    assert not any(r.tie_flag for r in result.rows)  # no quota: no line to straddle


def test_the_heaviest_group_is_the_largest_sum_of_max_points_times_weight(scene: Scene) -> None:
    first = scene.nominate("80", reviews=0)
    second = scene.nominate("80", reviews=0)
    campaign = scene.filing.campaign
    heavy = CriterionGroup(campaign=campaign, code="II", title="Sáng kiến", position=1)
    criterion = Criterion(
        campaign=campaign,
        group=heavy,
        code="3.1",
        title="Sáng kiến được công nhận",
        max_points=D(50),
        weight=D(3),  # 150 > 100 for group I
        applies_to=AppliesTo.COLLECTIVE,
        position=9,
    )
    _db.session.add_all([heavy, criterion])
    _db.session.flush()
    for reviewer in scene.reviewers:
        scene.review(first, reviewer, {"1.1": D(40), "3.1": D(10)})
        scene.review(second, reviewer, {"1.1": D(10), "3.1": D(20)})
    first.reviews_submitted = second.reviews_submitted = 3
    _db.session.flush()

    result = ranking.rank(scene.round, scene.form)

    assert result.heaviest_groups == {
        RecipientKind.COLLECTIVE: "Sáng kiến",
        RecipientKind.INDIVIDUAL: "Kết quả chuyển đổi số",
    }
    assert ids(result.rows) == [second.id, first.id]
    assert [r.group_points for r in result.rows] == [D(20), D(10)]


# --------------------------------------------------------------------------- quotas


def test_total_and_per_unit_quotas(scene: Scene) -> None:
    a90 = scene.nominate("90", unit=0)
    a85 = scene.nominate("85", unit=0)
    b80 = scene.nominate("80", unit=1)
    c75 = scene.nominate("75", unit=2)
    scene.form.quota_total = 2
    scene.form.quota_per_unit = 1  # set afterwards: the same quota also bounds submissions

    result = ranking.rank(scene.round, scene.form)

    assert ids(result.rows) == [a90.id, a85.id, b80.id, c75.id]
    assert [(r.within_quota, r.outside_by) for r in result.rows] == [
        (True, ""),
        (False, "unit"),
        (True, ""),
        (False, "total"),
    ]
    assert ids(result.within) == [a90.id, b80.id]
    assert [(u.unit_name, u.eligible, u.within) for u in result.unit_use()] == [
        ("Sở thử nghiệm 0", 2, 1),
        ("Sở thử nghiệm 1", 1, 1),
        ("Sở thử nghiệm 2", 1, 0),
    ]


def test_a_tie_straddling_the_total_quota_line_is_flagged_for_the_council(scene: Scene) -> None:
    scene.form.quota_total = 2
    top = scene.nominate("90", unit=0, state=S.SCORED)
    tie_in = scene.nominate("80", unit=1, group="10", state=S.SCORED)
    tie_out = scene.nominate("80", unit=2, group="10", state=S.SCORED)
    lower = scene.nominate("70", unit=2, state=S.SCORED)

    result = ranking.rank(scene.round, scene.form)

    assert ids(result.rows) == [top.id, tie_in.id, tie_out.id, lower.id]
    assert [r.within_quota for r in result.rows] == [True, True, False, False]
    assert [r.tie_flag for r in result.rows] == [False, True, True, False]

    scene.form.quota_total = 3  # the tie now lies inside: nothing to flag
    result = ranking.rank(scene.round, scene.form)
    assert [r.tie_flag for r in result.rows] == [False, False, False, False]

    scene.form.quota_total = 2
    moved = ranking.propose_within_quota(scene.round, scene.form, scene.board)
    assert ([n.id for n in moved.moved], moved.skipped) == ([top.id], 2)
    assert [n.state for n in (top, tie_in, tie_out, lower)] == [
        S.PROPOSED,
        S.SCORED,
        S.SCORED,
        S.SCORED,
    ]


def test_a_tie_broken_by_a_tie_break_is_not_flagged(scene: Scene) -> None:
    scene.form.quota_total = 1
    women = scene.nominate("80", unit=1, women="75")
    other = scene.nominate("80", unit=2, women="10")
    result = ranking.rank(scene.round, scene.form)
    assert ids(result.within) == [women.id]
    assert [r.tie_flag for r in result.rows] == [False, False]
    assert other.id == result.rows[1].nomination_id


# --------------------------------------------------------------------------- a fixed number of queries


def test_ranking_a_round_takes_a_fixed_number_of_queries(scene: Scene) -> None:
    statements: list[str] = []

    def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    def counted() -> int:
        _db.session.commit()
        _db.session.expire_all()
        statements.clear()
        sa.event.listen(_db.engine, "before_cursor_execute", count)
        try:
            ranking.rank(scene.round, scene.form)
        finally:
            sa.event.remove(_db.engine, "before_cursor_execute", count)
        return len(statements)

    scene.nominate("80")
    few = counted()
    for n in range(8):
        scene.nominate(str(60 + n), unit=n % 3, kind=RecipientKind.INDIVIDUAL)
    assert counted() == few
    assert few <= 6


# --------------------------------------------------------------------------- score matrix, normalisation


def test_score_matrix_is_reviewer_by_criterion(scene: Scene) -> None:
    nomination = scene.nominate("0", reviews=0)
    first, second = scene.reviewers[:2]
    scene.review(nomination, first, {"1.1": D(30), "1.3": D("12.5")})
    scene.review(nomination, second, {"1.1": D(20), "1.3": D(10)})
    draft = Review(nomination=nomination, reviewer=scene.reviewers[2], state=ReviewState.DRAFT)
    _db.session.add(draft)
    _db.session.flush()

    matrix = ranking.score_matrix(scene.round, scene.form)[nomination.id]

    assert matrix.codes == ["1.1", "1.3"]
    expected = sorted(
        [
            (first.full_name, {"1.1": D(30), "1.3": D("12.5")}, D("42.5")),
            (second.full_name, {"1.1": D(20), "1.3": D(10)}, D(30)),
        ]
    )
    assert [(r.reviewer, r.points, r.total) for r in matrix.rows] == expected


def test_z_score_normalisation_against_hand_computed_values(scene: Scene) -> None:
    """Reviewer A gives 60, 70, 80 (mean 70, sd √(200/3)); B gives 50, 90, 70 (mean 70, sd √(800/3)).
    Mean z: n1 = −√1.5, n2 = n3 = √1.5 / 2. All six totals: mean 70, sd √(500/3) = 12.9099.
    Normalised: n1 = 70 − 15.8114 = 54.189; n2 = n3 = 70 + 7.9057 = 77.906."""
    a, b = scene.reviewers[:2]
    noms = [scene.nominate("0", reviews=0) for _ in range(3)]
    for nomination, (pa, pb) in zip(noms, [(60, 50), (70, 90), (80, 70)], strict=True):
        scene.review(nomination, a, {"1.1": D(pa)})
        scene.review(nomination, b, {"1.1": D(pb)})
    # A reviewer whose totals never vary gives no z (and does not divide by zero).
    lone = scene.nominate("0", reviews=0)
    scene.review(lone, scene.reviewers[2], {"1.1": D(33)})

    result = ranking.normalised_scores(scene.round)

    assert result == {noms[0].id: D("54.189"), noms[1].id: D("77.906"), noms[2].id: D("77.906")}


def test_no_reviews_no_normalised_scores(scene: Scene) -> None:
    assert ranking.normalised_scores(scene.round) == {}


# --------------------------------------------------------------------------- transitions


def test_complete_scoring_needs_the_minimum_of_reviews(scene: Scene) -> None:
    ready = scene.nominate("80")
    short = scene.nominate(None, reviews=2)
    with pytest.raises(workflow.WorkflowError, match="2/3 phiếu chấm"):
        workflow.transition(short, "complete_scoring", scene.board)
    workflow.transition(ready, "complete_scoring", scene.board)
    assert (ready.state, short.state) == (S.SCORED, S.IN_REVIEW)
    workflow.transition(ready, "propose", scene.board)
    assert ready.state is S.PROPOSED


def test_complete_scoring_all_skips_conflicts_and_short_reviews(scene: Scene) -> None:
    mine = scene.nominate("80", unit=0)
    theirs = scene.nominate("70", unit=1)
    short = scene.nominate(None, unit=1, reviews=1)
    board = new_user(Role.BOARD, unit=scene.units[0])

    result = ranking.complete_scoring_all(scene.round, board)

    assert ([n.id for n in result.moved], result.skipped) == ([theirs.id], 1)
    assert [n.state for n in (mine, theirs, short)] == [S.IN_REVIEW, S.SCORED, S.IN_REVIEW]
    with pytest.raises(workflow.NotPermitted):
        ranking.complete_scoring_all(scene.round, scene.reviewers[0])
    with pytest.raises(workflow.NotPermitted):
        ranking.propose_within_quota(scene.round, scene.form, scene.reviewers[0])
    scene.round.phase = RoundPhase.APPROVING
    with pytest.raises(workflow.WorkflowError, match="giai đoạn"):
        ranking.complete_scoring_all(scene.round, scene.board)


# --------------------------------------------------------------------------- page, exports, CLI


def _login(client: FlaskClient, user: User) -> None:
    _db.session.commit()
    assert login(client, user.username).status_code == 302


def first_reviews(nomination):  # type: ignore[no-untyped-def]
    import sqlalchemy as sa

    from models import Review

    return _db.session.scalars(sa.select(Review).where(Review.nomination_id == nomination.id)).all()


def test_board_page_shows_ranking_and_acts(client: FlaskClient, scene: Scene) -> None:
    scene.form.quota_total = 1
    first = scene.nominate("90", name="Phòng Chuyển đổi số Alpha")
    second = scene.nominate("85", unit=1, name="Phòng Chuyển đổi số Beta")
    _login(client, scene.board)
    url = f"/ranking/?round={scene.round.code}&award_form={scene.form.id}"

    page = client.get(url).get_data(as_text=True)
    assert "Phòng Chuyển đổi số Alpha" in page and "Ranh giới chỉ tiêu" in page
    assert page.index("Alpha") < page.index("Ranh giới chỉ tiêu") < page.index("Beta")
    assert "3/3" in page and "Điểm từng thành viên" in page
    # Each submitted review can be reopened from its matrix row, with a reason.
    review_ids = [r.id for r in first_reviews(first)]
    for review_id in review_ids:
        assert f'action="/reviews/{review_id}/reopen"' in page

    base = f"/ranking/{scene.round.code}/{scene.form.id}"
    response = client.post(f"{base}/complete-scoring")
    assert response.status_code == 302
    assert (first.state, second.state) == (S.SCORED, S.SCORED)
    response = client.post(f"{base}/propose", follow_redirects=True)
    assert "Đã đề xuất khen thưởng 1 hồ sơ trong chỉ tiêu." in response.get_data(as_text=True)
    assert (first.state, second.state) == (S.PROPOSED, S.SCORED)
    assert client.get("/ranking/?round=CDS-KHONG-CO").status_code == 404
    assert client.get(f"/ranking/?round={scene.round.code}&award_form=99999").status_code == 404
    assert client.post(f"/ranking/{scene.round.code}/99999/propose").status_code == 404


def test_approver_reads_but_cannot_act(client: FlaskClient, scene: Scene) -> None:
    scene.nominate("90")
    approver = new_user(Role.APPROVER)
    _login(client, approver)
    page = client.get(f"/ranking/?round={scene.round.code}").get_data(as_text=True)
    assert "Chốt điểm" not in page
    assert client.post(f"/ranking/{scene.round.code}/{scene.form.id}/propose").status_code == 403


def test_exports_keep_text_literal(client: FlaskClient, scene: Scene) -> None:
    evil = '=HYPERLINK("http://x","y")'
    nomination = scene.nominate("88.5", name=evil)
    _login(client, scene.board)

    response = client.get(f"/ranking/ranking.xlsx?round={scene.round.code}")
    assert response.status_code == 200
    sheet = load_workbook(BytesIO(response.data)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert sheet.title == "BK"
    assert rows[0][:6] == (
        "Thứ hạng",
        "Mã hồ sơ",
        "Tên tập thể / Họ và tên",
        "Đơn vị đề nghị",
        "Đối tượng",
        "Điểm",
    )
    assert rows[1][:8] == (
        1,
        nomination.reference,
        evil,
        "Sở thử nghiệm 0",
        "Tập thể",
        88.5,
        None,
        "3/3",
    )
    assert sheet.cell(row=2, column=3).data_type == "s"

    response = client.get(f"/ranking/scores.xlsx?round={scene.round.code}")
    rows = list(load_workbook(BytesIO(response.data)).worksheets[0].iter_rows(values_only=True))
    assert rows[0] == (
        "Mã hồ sơ",
        "Tên tập thể / Họ và tên",
        "Đơn vị đề nghị",
        "Thành viên chấm",
        "Tiêu chí 1.1",
        "Tổng điểm",
    )
    assert len(rows) == 4
    assert rows[1][1] == evil and rows[1][4:] == (0, 0)
    exports = _db.session.scalars(
        sa.select(AuditEvent.object_type).where(AuditEvent.action == "export")
    ).all()
    assert sorted(exports) == ["ranking", "scores"]


def test_cli_exports_ranking_and_scores(runner, scene: Scene, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    scene.nominate("80")
    scene.nominate("70", unit=1)
    _db.session.commit()
    for kind, rows in (("ranking", 2), ("scores", 6)):
        out = tmp_path / f"{kind}.xlsx"
        result = runner.invoke(
            args=["export", kind, "--round", scene.round.code, "--out", str(out)]
        )
        assert result.exit_code == 0, result.output
        assert f"Đã xuất {rows} dòng ({kind})" in result.output
        sheet = load_workbook(out).worksheets[0]
        assert sheet.max_row == rows + 1


def test_board_page_reports_refusals_and_ties(client: FlaskClient, scene: Scene) -> None:
    scene.form.quota_total = 1
    scene.nominate("80", unit=1, state=S.SCORED)
    scene.nominate("80", unit=2, state=S.SCORED)
    _login(client, scene.board)
    base = f"/ranking/{scene.round.code}/{scene.form.id}"

    page = client.get(f"/ranking/?round={scene.round.code}").get_data(as_text=True)
    assert "2 hồ sơ đồng hạng tại ranh giới chỉ tiêu" in page
    page = client.post(f"{base}/propose", follow_redirects=True).get_data(as_text=True)
    assert "Đã đề xuất khen thưởng 0 hồ sơ trong chỉ tiêu. 2 hồ sơ chưa chuyển" in page

    scene.round.phase = RoundPhase.APPROVING
    _db.session.commit()
    page = client.post(f"{base}/complete-scoring", follow_redirects=True).get_data(as_text=True)
    assert "Đợt xét không ở giai đoạn cho phép thao tác này." in page
    assert client.get("/ranking/").status_code == 200


def test_after_the_council_votes_only_what_it_approved_is_proposed(scene: Scene) -> None:
    from datetime import date

    from awards import ballots
    from models import Attendance

    scene.form.quota_total = 10
    approved = scene.nominate("90", unit=0, state=S.SCORED)
    refused = scene.nominate("88", unit=1, state=S.SCORED)
    members = scene.reviewers
    ballot = ballots.open_ballot(
        scene.round,
        title="Phiên họp xét khen thưởng",
        held_on=date(2025, 10, 3),
        place="Bắc Ninh",
        chair_name="Nguyễn Hữu Thành",
        secretary_name="Nguyễn Thị Thu Hà",
        member_ids=[m.id for m in members],
        by=scene.board,
    )
    for member in members:
        ballots.set_attendance(ballot, member, Attendance.PRESENT, by=scene.board)
        ballots.cast_vote(ballot, approved, member, True, by=member)
        ballots.cast_vote(ballot, refused, member, False, by=member)
    ballots.close_ballot(ballot, by=scene.board)

    moved = ranking.propose_within_quota(scene.round, scene.form, scene.board)

    assert ([n.id for n in moved.moved], moved.skipped) == ([approved.id], 1)
    assert (approved.state, refused.state) == (S.PROPOSED, S.SCORED)
