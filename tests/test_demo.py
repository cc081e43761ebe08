from decimal import Decimal

import sqlalchemy as sa

from awards import demo
from awards.audit import verify_chain
from models import AppliesTo, Campaign, Role, Round, Unit, UnitKind, User
from tests.conftest import login


def test_seed_demo_builds_the_bac_ninh_campaign(runner, db):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output

    campaign = db.session.scalar(sa.select(Campaign))
    assert campaign.name == "Chuyển đổi số trên địa bàn tỉnh Bắc Ninh giai đoạn 2024 – 2025"
    assert sorted(r.code for r in campaign.rounds) == ["CDS2024", "CDS2025"]
    assert (
        db.session.scalar(sa.select(Round.ceremony_date).where(Round.code == "CDS2025")).isoformat()
        == "2025-10-10"
    )
    for kind in (AppliesTo.COLLECTIVE, AppliesTo.INDIVIDUAL):
        total = sum(
            c.max_points for c in campaign.criteria if c.applies_to in (kind, AppliesTo.BOTH)
        )
        assert total == Decimal(100)
    measurable = {c.code: c.target_value for c in campaign.criteria if c.is_measurable}
    assert measurable == {"CQ2": Decimal(80), "CQ3": Decimal(90)}
    assert [f.code for f in campaign.award_forms] == ["BK-UBND", "GK-SNV"]

    units = db.session.scalars(sa.select(Unit)).all()
    assert len(units) >= 40
    roots = [u for u in units if u.parent_id is None]
    assert [u.kind for u in roots] == [UnitKind.PROVINCE]
    assert {u.kind for u in units} >= {
        UnitKind.PROVINCIAL_BODY,
        UnitKind.DISTRICT,
        UnitKind.COMMUNE,
        UnitKind.ENTERPRISE,
    }

    roles = set()
    for user in db.session.scalars(sa.select(User)):
        roles |= user.roles
    assert roles == set(Role)
    assert verify_chain(db.session).ok


def test_seed_demo_refuses_a_database_with_data_and_if_empty_keeps_it(runner, db):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 1
    assert "đã có dữ liệu" in again.output
    kept = runner.invoke(args=["seed-demo", "--if-empty"])
    assert kept.exit_code == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Campaign)) == 1


def test_demo_accounts_log_in_with_the_documented_password(client, runner, db):
    runner.invoke(args=["seed-demo"])
    response = login(client, "bantdkt", demo.DEMO_PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    home = client.get("/").get_data(as_text=True)
    assert "Nguyễn Thị Thu Hà" in home
    assert "CDS2025" in home


def test_demo_nominations_cover_every_state_reached_so_far(runner, db):
    from models import EvidenceFile, Nomination, NominationState, Submission

    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    rounds = {r.code: r for r in db.session.scalars(sa.select(Round))}
    per_state = dict(
        db.session.execute(
            sa.select(Nomination.state, sa.func.count())
            .where(Nomination.round_id == rounds["CDS2025"].id)
            .group_by(Nomination.state)
        ).all()
    )
    assert set(per_state) == {
        NominationState.DRAFT,
        NominationState.SUBMITTED,
        NominationState.RETURNED,
        NominationState.WITHDRAWN,
        NominationState.IN_REVIEW,
    }
    units_2025 = db.session.scalar(
        sa.select(sa.func.count(sa.distinct(Nomination.unit_id))).where(
            Nomination.round_id == rounds["CDS2025"].id
        )
    )
    assert units_2025 >= 15
    states_2024 = set(
        db.session.scalars(
            sa.select(Nomination.state).where(Nomination.round_id == rounds["CDS2024"].id)
        )
    )
    # The later stages carry CDS2024 on (see test_demo_reviews_council_and_proposals).
    assert states_2024 == {NominationState.SCORED, NominationState.PROPOSED}
    # Every submitted dossier carries its council minutes, every nomination an evidence file.
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(Submission).where(~Submission.files.any())
        )
        == 0
    )
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(Nomination).where(~Nomination.files.any())
        )
        == 0
    )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(EvidenceFile)) > 70


def _count(db, stmt):
    return db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery()))


def test_demo_reviews_council_and_proposals(runner, db):
    from awards import assignment, ballots
    from models import (
        Attendance,
        Ballot,
        BallotState,
        BallotVote,
        Nomination,
        NominationState,
        Review,
        ReviewState,
    )

    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    rounds = {r.code: r for r in db.session.scalars(sa.select(Round))}
    cds2024, cds2025 = rounds["CDS2024"], rounds["CDS2025"]

    # CDS2024: fully scored, voted on, proposed within quota; the round waits for approval.
    assert cds2024.phase.value == "council"
    nominations_2024 = db.session.scalars(
        sa.select(Nomination).where(Nomination.round_id == cds2024.id)
    ).all()
    assert {n.state for n in nominations_2024} == {
        NominationState.SCORED,
        NominationState.PROPOSED,
    }
    submitted_per_nomination = dict(
        db.session.execute(
            sa.select(Review.nomination_id, sa.func.count())
            .join(Nomination, Nomination.id == Review.nomination_id)
            .where(Nomination.round_id == cds2024.id, Review.state == ReviewState.SUBMITTED)
            .group_by(Review.nomination_id)
        ).all()
    )
    assert all(submitted_per_nomination.get(n.id, 0) >= 3 for n in nominations_2024)
    assert all(n.score is not None and n.reviews_submitted >= 3 for n in nominations_2024)
    assert (
        _count(
            db,
            sa.select(Review)
            .join(Nomination, Nomination.id == Review.nomination_id)
            .where(Nomination.round_id == cds2024.id, Review.state != ReviewState.SUBMITTED),
        )
        == 0
    )
    # Submitted reviews are dated inside the round, not at load time.
    dates = db.session.scalars(
        sa.select(Review.submitted_at)
        .join(Nomination, Nomination.id == Review.nomination_id)
        .where(Nomination.round_id == cds2024.id)
    ).all()
    assert {d.date().isoformat()[:7] for d in dates} == {"2024-09"}

    council = db.session.scalars(sa.select(Ballot).where(Ballot.round_id == cds2024.id)).all()
    assert len(council) == 1
    ballot = council[0]
    assert ballot.state is BallotState.CLOSED
    assert ballot.held_on.isoformat() == "2024-10-03"
    assert sorted(m.attendance for m in ballot.members) == sorted(
        [Attendance.PRESENT] * 4 + [Attendance.WRITTEN]
    )
    assert _count(db, sa.select(BallotVote).where(BallotVote.ballot_id == ballot.id)) > 100
    passed = set(ballots.passed_nomination_ids(ballot))
    failing = {n.id for n in nominations_2024} - passed
    assert failing
    proposed = {n.id for n in nominations_2024 if n.state is NominationState.PROPOSED}
    assert proposed
    assert proposed <= passed
    assert all(n.state is NominationState.SCORED for n in nominations_2024 if n.id in failing)

    # CDS2025: still filing, reviews half-way.
    assert cds2025.phase.value == "nominating"
    states_2025 = dict(
        db.session.execute(
            sa.select(Review.state, sa.func.count())
            .join(Nomination, Nomination.id == Review.nomination_id)
            .where(Nomination.round_id == cds2025.id)
            .group_by(Review.state)
        ).all()
    )
    assert states_2025[ReviewState.SUBMITTED] > 0
    assert states_2025[ReviewState.DRAFT] > 0
    in_review_2025 = db.session.scalars(
        sa.select(Nomination).where(
            Nomination.round_id == cds2025.id, Nomination.state == NominationState.IN_REVIEW
        )
    ).all()
    assert sum(states_2025.values()) == 3 * len(in_review_2025)
    scored_2025 = [n for n in in_review_2025 if n.score is not None]
    assert 1 <= len(scored_2025) < len(in_review_2025)

    # Nobody reviews a nomination of their own unit (or above or below it).
    for review in db.session.scalars(sa.select(Review)):
        assert not assignment.is_conflicted(review.reviewer, review.nomination)
    voters = db.session.execute(
        sa.select(Nomination, User)
        .join(BallotVote, BallotVote.nomination_id == Nomination.id)
        .join(User, User.id == BallotVote.user_id)
    ).all()
    assert voters
    assert not [(n.id, u.id) for n, u in voters if ballots.is_conflicted(n, u)]
