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
    assert states_2024 == {NominationState.IN_REVIEW}
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
