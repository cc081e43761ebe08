"""The demo (``flask seed-demo``): the Bắc Ninh campaign, CDS2024 carried to issued decisions,
CDS2025 waiting at approval after its public disclosure, and the filing round the browser tests
build.

Loading the demo takes seconds, so the tests that only read it share one load (``TestSeededDemo``,
emptied after its last test); those that change the database load their own.
"""

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from awards import demo, workdays
from awards.audit import verify_chain
from awards.extensions import db as _db
from models import (
    AppliesTo,
    Attendance,
    AwardForm,
    Ballot,
    BallotState,
    BallotVote,
    Campaign,
    Certificate,
    CertificateMode,
    CertificatePrint,
    CertificateStatus,
    Decision,
    DecisionItem,
    DecisionState,
    EvidenceFile,
    Extension,
    Job,
    JobState,
    Nomination,
    NominationEvent,
    NominationState,
    PublicComment,
    Review,
    ReviewState,
    Role,
    Round,
    RoundPhase,
    Submission,
    Unit,
    UnitKind,
    User,
)
from tests.conftest import _wipe, login

S = NominationState


def _count(db, stmt) -> int:  # type: ignore[no-untyped-def]
    return db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery()))


def _rounds(db) -> dict[str, Round]:  # type: ignore[no-untyped-def]
    return {r.code: r for r in db.session.scalars(sa.select(Round))}


def _states(db, round_: Round) -> dict[NominationState, int]:  # type: ignore[no-untyped-def]
    return dict(
        db.session.execute(
            sa.select(Nomination.state, sa.func.count())
            .where(Nomination.round_id == round_.id)
            .group_by(Nomination.state)
        ).all()
    )


def _ids_with_event(db, round_: Round, action: str) -> set[int]:  # type: ignore[no-untyped-def]
    return set(
        db.session.scalars(
            sa.select(NominationEvent.nomination_id)
            .join(Nomination, Nomination.id == NominationEvent.nomination_id)
            .where(Nomination.round_id == round_.id, NominationEvent.action == action)
        )
    )


@pytest.fixture(scope="class")
def seeded(app) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """The demo loaded once for the read-only tests of a class; emptied after the last of them."""
    try:
        result = app.test_cli_runner().invoke(args=["seed-demo"])
        assert result.exit_code == 0, result.output
        yield _db
    finally:
        _wipe(app)


@pytest.mark.usefixtures("seeded")
class TestSeededDemo:
    db = _db

    def test_the_bac_ninh_campaign(self) -> None:
        db = self.db
        campaign = db.session.scalar(sa.select(Campaign))
        assert campaign.name == "Chuyển đổi số trên địa bàn tỉnh Bắc Ninh giai đoạn 2024 – 2025"
        assert sorted(r.code for r in campaign.rounds) == ["CDS2024", "CDS2025"]
        assert _rounds(db)["CDS2025"].ceremony_date.isoformat() == "2025-10-10"
        for kind in (AppliesTo.COLLECTIVE, AppliesTo.INDIVIDUAL):
            total = sum(
                c.max_points for c in campaign.criteria if c.applies_to in (kind, AppliesTo.BOTH)
            )
            assert total == Decimal(100)
        measurable = {c.code: c.target_value for c in campaign.criteria if c.is_measurable}
        assert measurable == {"CQ2": Decimal(80), "CQ3": Decimal(90)}
        forms = {f.code: f for f in campaign.award_forms}
        assert [f.code for f in campaign.award_forms] == ["BK-UBND", "GK-SNV"]
        assert (forms["BK-UBND"].decision_symbol, forms["BK-UBND"].decision_issuer) == (
            "QĐ-UBND",
            "ỦY BAN NHÂN DÂN\nTỈNH BẮC NINH",
        )
        assert (forms["GK-SNV"].decision_symbol, forms["GK-SNV"].decision_issuer) == (
            "QĐ-SNV",
            "UBND TỈNH BẮC NINH\nSỞ NỘI VỤ",
        )

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

    def test_nominations_of_both_rounds(self) -> None:
        db = self.db
        rounds = _rounds(db)
        # CDS2025 after its filing closed: what was submitted went into review and on to the
        # proposal; drafts never submitted, returned and withdrawn dossiers stay as they were.
        assert set(_states(db, rounds["CDS2025"])) == {
            S.DRAFT,
            S.RETURNED,
            S.WITHDRAWN,
            S.SCORED,
            S.PROPOSED,
        }
        units_2025 = db.session.scalar(
            sa.select(sa.func.count(sa.distinct(Nomination.unit_id))).where(
                Nomination.round_id == rounds["CDS2025"].id
            )
        )
        assert units_2025 >= 15
        # CDS2024 ends decided (see test_cds2024_ends_with_issued_decisions).
        assert set(_states(db, rounds["CDS2024"])) == {S.SCORED, S.REJECTED, S.AWARDED}
        # No extension is left open in a round past its filing.
        assert _count(db, sa.select(Extension)) == 0
        # Every submitted dossier carries its council minutes, every nomination an evidence file.
        assert _count(db, sa.select(Submission).where(~Submission.files.any())) == 0
        assert _count(db, sa.select(Nomination).where(~Nomination.files.any())) == 0
        assert _count(db, sa.select(EvidenceFile)) > 70

    @pytest.mark.parametrize("code", ["CDS2024", "CDS2025"])
    def test_reviews_council_and_proposal(self, code: str) -> None:
        from awards import ballots

        db = self.db
        round_ = _rounds(db)[code]
        reviewed = db.session.scalars(
            sa.select(Nomination).where(
                Nomination.round_id == round_.id,
                Nomination.id.in_(_ids_with_event(db, round_, "accept")),
            )
        ).all()
        assert len(reviewed) >= 20
        # Every nomination accepted into review has its three reviews in and a score.
        assert all(n.score is not None and n.reviews_submitted == 3 for n in reviewed)
        assert (
            _count(
                db,
                sa.select(Review)
                .join(Nomination, Nomination.id == Review.nomination_id)
                .where(Nomination.round_id == round_.id, Review.state != ReviewState.SUBMITTED),
            )
            == 0
        )
        # Submitted reviews are dated inside the round, not at load time.
        dates = db.session.scalars(
            sa.select(Review.submitted_at)
            .join(Nomination, Nomination.id == Review.nomination_id)
            .where(Nomination.round_id == round_.id)
        ).all()
        year = code[-4:]
        assert {d.date().isoformat()[:7] for d in dates} <= {f"{year}-09", f"{year}-10"}

        council = db.session.scalars(sa.select(Ballot).where(Ballot.round_id == round_.id)).all()
        assert len(council) == 1
        ballot = council[0]
        assert ballot.state is BallotState.CLOSED
        assert ballot.held_on.isoformat() == f"{year}-10-03"
        assert ballot.title == f"đợt Ngày Chuyển đổi số quốc gia 10/10/{year}"
        assert sorted(m.attendance for m in ballot.members) == sorted(
            [Attendance.PRESENT] * 4 + [Attendance.WRITTEN]
        )
        assert _count(db, sa.select(BallotVote).where(BallotVote.ballot_id == ballot.id)) > 60
        passed = set(ballots.passed_nomination_ids(ballot))
        failing = {n.id for n in reviewed} - passed
        assert failing
        proposed = _ids_with_event(db, round_, "propose")
        assert proposed
        assert proposed <= passed
        assert all(n.state is S.SCORED for n in reviewed if n.id in failing)
        # Within each award form's total quota.
        for form in db.session.scalars(sa.select(AwardForm)):
            in_form = _count(
                db,
                sa.select(Nomination).where(
                    Nomination.id.in_(proposed), Nomination.award_form_id == form.id
                ),
            )
            assert in_form <= form.quota_total

        # Nobody reviews or votes on a nomination of their own unit (or above or below it).
        from awards import assignment

        for review in db.session.scalars(
            sa.select(Review)
            .join(Nomination, Nomination.id == Review.nomination_id)
            .where(Nomination.round_id == round_.id)
        ):
            assert not assignment.is_conflicted(review.reviewer, review.nomination)
        voters = db.session.execute(
            sa.select(Nomination, User)
            .join(BallotVote, BallotVote.nomination_id == Nomination.id)
            .join(User, User.id == BallotVote.user_id)
            .where(BallotVote.ballot_id == ballot.id)
        ).all()
        assert voters
        assert not [(n.id, u.id) for n, u in voters if ballots.is_conflicted(n, u)]

    def test_cds2024_ends_with_issued_decisions(self) -> None:
        from awards import decisions

        db = self.db
        round_ = _rounds(db)["CDS2024"]
        assert round_.phase is RoundPhase.DECIDED
        assert round_.disclosure_starts is None
        states = _states(db, round_)
        approved = _ids_with_event(db, round_, "approve")
        proposed = _ids_with_event(db, round_, "propose")
        assert approved and approved < proposed
        # The approver decided every proposed item: all approved but one, rejected with a reason.
        assert S.PROPOSED not in states and S.APPROVED not in states
        assert states[S.AWARDED] == len(approved)
        assert states[S.REJECTED] == 1
        rejection = db.session.scalars(
            sa.select(NominationEvent)
            .join(Nomination, Nomination.id == NominationEvent.nomination_id)
            .where(Nomination.round_id == round_.id, NominationEvent.action == "reject")
        ).one()
        assert rejection.reason.startswith("Chưa có minh chứng sáng kiến")
        assert rejection.actor.username == "lanhdao"
        assert rejection.created_at.date() == date(2024, 10, 7)

        issued = db.session.scalars(
            sa.select(Decision).where(Decision.round_id == round_.id).order_by(Decision.id)
        ).all()
        assert [(d.state, d.number, d.signed_on, d.year) for d in issued] == [
            (DecisionState.ISSUED, "01/QĐ-UBND", date(2024, 10, 8), 2024),
            (DecisionState.ISSUED, "01/QĐ-SNV", date(2024, 10, 8), 2024),
        ]
        by_ubnd, by_snv = issued
        assert by_ubnd.proposal == (
            "Theo đề nghị của Giám đốc Sở Nội vụ tại Tờ trình số 215/TTr-SNV "
            "ngày 01 tháng 10 năm 2024"
        )
        assert by_ubnd.issuer == "ỦY BAN NHÂN DÂN\nTỈNH BẮC NINH"
        assert by_snv.issuer == "UBND TỈNH BẮC NINH\nSỞ NỘI VỤ"
        for decision in issued:
            # The decree in force on 8 October 2024, not the one the campaign cites today.
            assert "98/2023/NĐ-CP" in decision.legal_basis
            assert "152/2025" not in decision.legal_basis
            assert decision.created_by.username == "bantdkt"
            assert decision.issued_by.username == "lanhdao"
            assert decision.issued_at.date() == date(2024, 10, 8)
            assert decision.items
            assert decisions.stored_pdf_matches(decision)
            assert decisions.decision_data(decision)["number"] == decision.number
            # One decision per award form, holding exactly that form's awarded items.
            assert {item.nomination.award_form_id for item in decision.items} == {
                decision.award_form_id
            }
            assert len(decision.items) <= decision.award_form.quota_total
            assert [item.golden_book for item in decision.items] == list(
                range(1, len(decision.items) + 1)
            )
        items = db.session.scalars(
            sa.select(DecisionItem).join(Decision).where(Decision.round_id == round_.id)
        ).all()
        assert len(items) == len(approved)
        assert {item.nomination_id for item in items} == approved
        assert all(item.nomination.state is S.AWARDED for item in items)
        certificates = db.session.scalars(
            sa.select(Certificate).where(Certificate.item_id.in_([i.id for i in items]))
        ).all()
        assert len(certificates) == len(items)
        assert all(c.status is CertificateStatus.VALID for c in certificates)
        assert len({c.code for c in certificates}) == len(certificates)
        # The board printed them all on 09/10/2024, one batch job per decision (full design).
        assert all(c.printed_count == 1 and c.template_version == 1 for c in certificates)
        prints = db.session.scalars(sa.select(CertificatePrint)).all()
        assert sorted(p.certificate_id for p in prints) == sorted(c.id for c in certificates)
        assert {(p.mode, p.printed_by.username, p.printed_at.date()) for p in prints} == {
            (CertificateMode.FULL, "bantdkt", date(2024, 10, 9))
        }
        jobs = db.session.scalars(sa.select(Job)).all()
        assert [(j.state, j.done, j.total) for j in jobs] == [
            (JobState.DONE, len(d.items), len(d.items)) for d in issued
        ]

    def test_cds2025_waits_at_approval_after_its_disclosure(self) -> None:
        from awards import clock, workflow

        db = self.db
        round_ = _rounds(db)["CDS2025"]
        assert round_.phase is RoundPhase.APPROVING
        states = _states(db, round_)
        assert states[S.PROPOSED] >= 10
        assert not {S.APPROVED, S.REJECTED, S.AWARDED} & set(states)
        assert _count(db, sa.select(Decision).where(Decision.round_id == round_.id)) == 0
        # Published for its 10 working days after the council; the window has ended.
        assert round_.disclosure_days == 10
        assert round_.disclosure_starts == date(2025, 10, 7)
        assert round_.disclosure_ends == workdays.add_working_days(round_.disclosure_starts, 10)
        assert round_.disclosure_ends < clock.today()
        comments = db.session.scalars(
            sa.select(PublicComment)
            .where(PublicComment.round_id == round_.id)
            .order_by(PublicComment.id)
        ).all()
        assert 2 <= len(comments) <= 3
        answered = [c for c in comments if c.answer]
        assert len(answered) == 1
        assert answered[0].answered_by.username == "bantdkt"
        for comment in comments:
            assert round_.disclosure_starts <= comment.created_at.date() <= round_.disclosure_ends
            if comment.nomination is not None:
                assert comment.nomination.state is S.PROPOSED
        # The approver's work is waiting: every proposed item can be approved now.
        approver = db.session.scalar(sa.select(User).where(User.username == "lanhdao"))
        waiting = db.session.scalars(
            sa.select(Nomination).where(
                Nomination.round_id == round_.id, Nomination.state == S.PROPOSED
            )
        ).all()
        assert all("approve" in workflow.allowed_actions(n, approver) for n in waiting)


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


def test_a_filing_round_for_the_browser_tests(runner, db):
    """``seed_filing_round``: a round of its own, caught mid-filing as CDS2025 was before."""
    from awards import clock, workflow

    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    summary = demo.seed_filing_round("E2E2025", "Đợt thử nghiệm giao diện")
    db.session.commit()
    assert "E2E2025" in summary
    round_ = _rounds(db)["E2E2025"]
    assert round_.phase is RoundPhase.NOMINATING
    assert set(_states(db, round_)) == {
        S.DRAFT,
        S.SUBMITTED,
        S.RETURNED,
        S.WITHDRAWN,
        S.IN_REVIEW,
    }
    # The dossier the browser test returns.
    assert (
        _count(
            db,
            sa.select(Submission).where(
                Submission.round_id == round_.id, Submission.number == "19/TTr-CAT"
            ),
        )
        == 1
    )
    # The README's units may still file today.
    for code in ("STTTT", "TP-TS"):
        unit_id = db.session.scalar(sa.select(Unit.id).where(Unit.code == code))
        assert workflow.can_file(round_, unit_id, clock.today())
    # Reviews half-way: three per nomination in review, some submitted, some drafts, some unopened.
    in_review = db.session.scalars(
        sa.select(Nomination).where(
            Nomination.round_id == round_.id, Nomination.state == S.IN_REVIEW
        )
    ).all()
    reviews = dict(
        db.session.execute(
            sa.select(Review.state, sa.func.count())
            .join(Nomination, Nomination.id == Review.nomination_id)
            .where(Nomination.round_id == round_.id)
            .group_by(Review.state)
        ).all()
    )
    assert sum(reviews.values()) == 3 * len(in_review)
    assert reviews[ReviewState.SUBMITTED] > 0 and reviews[ReviewState.DRAFT] > 0
    assert reviews[ReviewState.ASSIGNED] > 0
    scored = [n for n in in_review if n.reviews_submitted == 3]
    assert 1 <= len(scored) < len(in_review)
    # The demo's own rounds are untouched.
    assert _rounds(db)["CDS2025"].phase is RoundPhase.APPROVING
