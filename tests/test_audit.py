"""The audit trail: every change of an audited model is recorded with before/after, and the hash chain
detects tampering; on a migrated database the table refuses UPDATE and DELETE."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from awards import audit
from awards.extensions import db as _db
from models import (
    AppliesTo,
    AuditEvent,
    AwardForm,
    Campaign,
    Criterion,
    CriterionGroup,
    Role,
    Round,
    RoundPhase,
    Unit,
    UnitKind,
    User,
)
from tests.conftest import login


def _events(db, **filters) -> list[AuditEvent]:
    return db.session.scalars(
        sa.select(AuditEvent).filter_by(**filters).order_by(AuditEvent.id)
    ).all()


def _campaign() -> Campaign:
    return Campaign(
        code="CDS",
        name="Chuyển đổi số",
        period_start=date(2025, 1, 1),
        period_end=date(2025, 12, 31),
    )


# One factory per audited model: (build a new object, attribute to change, new value).
def _unit(db):
    return Unit(code="SNV", name="Sở Nội vụ", kind=UnitKind.PROVINCIAL_BODY), "name", "Sở Tư pháp"


def _user(db):
    user = User(username="can.bo", full_name="Nguyễn Văn Bình", password_hash="x")
    return user, "full_name", "Nguyễn Văn Bính"


def _campaign_case(db):
    return _campaign(), "name", "Chuyển đổi số 2025"


def _round(db):
    round_ = Round(
        campaign=_campaign(),
        code="R1",
        name="Đợt 1",
        nomination_opens=date(2025, 8, 1),
        nomination_closes=date(2025, 9, 1),
        ceremony_date=date(2025, 10, 10),
    )
    return round_, "ceremony_date", date(2025, 10, 11)


def _group(db):
    return CriterionGroup(campaign=_campaign(), code="A", title="Nhóm A"), "title", "Nhóm A mới"


def _criterion(db):
    group = CriterionGroup(campaign=_campaign(), code="A", title="Nhóm A")
    criterion = Criterion(
        campaign=group.campaign,
        group=group,
        code="A1",
        title="Tiêu chí",
        max_points=Decimal(10),
        applies_to=AppliesTo.BOTH,
    )
    return criterion, "max_points", Decimal("12.5")


def _award_form(db):
    form = AwardForm(
        campaign=_campaign(),
        code="BK",
        name="Bằng khen",
        certificate_title="BẰNG KHEN",
        awarding_title="CHỦ TỊCH",
    )
    return form, "quota_total", 7


CASES = {
    "units": _unit,
    "users": _user,
    "campaigns": _campaign_case,
    "rounds": _round,
    "criterion_groups": _group,
    "criteria": _criterion,
    "award_forms": _award_form,
}


@pytest.mark.parametrize("table", CASES)
def test_create_update_delete_are_recorded_with_before_and_after(db, table):
    obj, field, new_value = CASES[table](db)
    db.session.add(obj)
    db.session.flush()
    as_created = json.loads(audit.canonical(audit.snapshot(obj)))
    db.session.commit()
    key = str(obj.id)

    [created] = _events(db, object_type=table, object_id=key, action="create")
    assert created.before == ""
    assert json.loads(created.after) == as_created
    assert as_created["id"] == obj.id

    # After the commit the object is expired: the old value must still reach the trail.
    old_value = audit._jsonable(getattr(db.session.get(type(obj), obj.id), field))
    db.session.expire(obj)
    setattr(obj, field, new_value)
    db.session.commit()
    [updated] = _events(db, object_type=table, object_id=key, action="update")
    assert json.loads(updated.before)[field] == old_value
    assert json.loads(updated.after)[field] == audit._jsonable(new_value)
    assert set(json.loads(updated.before)) == set(json.loads(updated.after))

    snapshot = json.loads(audit.canonical(audit.snapshot(obj)))
    db.session.delete(obj)
    db.session.commit()
    [deleted] = _events(db, object_type=table, object_id=key, action="delete")
    assert json.loads(deleted.before) == snapshot
    assert deleted.after == ""
    assert audit.verify_chain(db.session).ok


def test_secrets_never_reach_the_trail(db, make_user):
    user = make_user(Role.ADMIN, username="quantri")
    [created] = _events(db, object_type="users", action="create", object_id=str(user.id))
    after = json.loads(created.after)
    assert after["username"] == "quantri"
    assert {"password_hash", "session_token", "search_name"}.isdisjoint(after)


def test_canonical_json_is_stable_and_readable():
    data = {
        "b": Decimal("1.50"),
        "a": date(2025, 10, 10),
        "phase": RoundPhase.SETUP,
        "file": b"%PDF",
        "name": "Sở Nội vụ",
    }
    assert audit.canonical(data) == (
        '{"a":"2025-10-10","b":"1.5","file":"'
        + hashlib.sha256(b"%PDF").hexdigest()
        + '","name":"Sở Nội vụ","phase":"setup"}'
    )
    assert audit.canonical({}) == audit.canonical(None) == ""


def test_an_unchanged_assignment_records_nothing(db, make_unit):
    unit = make_unit("Sở Y tế")
    db.session.commit()
    count = len(_events(db))
    unit.name = "Sở Y tế"
    db.session.commit()
    assert len(_events(db)) == count


def test_events_name_the_actor_and_address(client, db, make_user):
    admin = make_user(Role.ADMIN, username="quantri")
    login(client, "quantri")
    client.post(
        "/admin/users/new",
        data={
            "username": "moi",
            "full_name": "Trần Thị Mới",
            "roles": ["reviewer"],
            "unit_id": "0",
            "password": "Mot-mat-khau-dai",
            "locale": "vi",
        },
    )
    new = db.session.scalar(sa.select(User).where(User.username == "moi"))
    [created] = _events(db, object_type="users", action="create", object_id=str(new.id))
    assert (created.actor_id, created.actor_name, created.client_addr) == (
        admin.id,
        "quantri",
        "127.0.0.1",
    )
    [login_event] = _events(db, action="login")
    assert (login_event.actor_id, login_event.object_id) == (admin.id, str(admin.id))


def test_cli_events_name_the_command(runner, db):
    result = runner.invoke(
        args=["create-user", "--username", "quantri", "--full-name", "Quản Trị", "--role", "admin"],
        input="Mat-khau-rat-dai-1\nMat-khau-rat-dai-1\n",
    )
    assert result.exit_code == 0, result.output
    assert {e.actor_name for e in _events(db)} == {"cli:create-user"}


def test_record_outside_a_request_names_the_system(db):
    audit.record("export", "rounds", 5, after={"rows": 3})
    db.session.commit()
    [event] = _events(db)
    assert (event.actor_name, event.actor_id, event.client_addr) == ("system", None, "")
    assert (event.object_type, event.object_id, event.after) == ("rounds", "5", '{"rows":3}')


# --------------------------------------------------------------------------- the hash chain


@pytest.fixture()
def chain(db, make_unit) -> list[AuditEvent]:
    """A few events: three units created, one renamed."""
    units = [make_unit(f"Đơn vị {n}") for n in range(3)]
    db.session.commit()
    units[0].name = "Đơn vị đổi tên"
    db.session.commit()
    events = _events(db)
    assert len(events) == 4
    return events


def test_cli_reports_an_intact_chain(runner, chain):
    result = runner.invoke(args=["audit-verify"])
    assert result.exit_code == 0, result.output
    assert result.output == "Nhật ký toàn vẹn: đã kiểm tra 4 bản ghi.\n"


def test_chain_links_each_event_to_the_previous(chain):
    assert chain[0].prev_hash == audit.GENESIS
    assert [e.prev_hash for e in chain[1:]] == [e.hash for e in chain[:-1]]


def test_verification_reads_in_batches(db, chain):
    report = audit.verify_chain(db.session, batch=3)
    assert (report.ok, report.checked) == (True, 4)


def test_a_tampered_row_is_named(runner, db, chain):
    victim = chain[2]
    db.session.execute(
        sa.text("UPDATE audit_events SET after = :after WHERE id = :id"),
        {"after": victim.after.replace("Đơn vị", "Đơn vị giả"), "id": victim.id},
    )
    db.session.commit()

    report = audit.verify_chain(db.session)
    assert (report.first_broken_id, report.checked) == (victim.id, 2)
    assert report.reason == "content does not match its hash"
    result = runner.invoke(args=["audit-verify"])
    assert result.exit_code == 1
    assert f"bản ghi #{victim.id} không khớp" in result.output


def test_a_deleted_middle_row_is_detected(runner, db, chain):
    db.session.execute(sa.text("DELETE FROM audit_events WHERE id = :id"), {"id": chain[1].id})
    db.session.commit()

    report = audit.verify_chain(db.session)
    assert (report.first_broken_id, report.checked) == (chain[2].id, 1)
    assert report.reason == "prev_hash does not match the previous row"
    result = runner.invoke(args=["audit-verify"])
    assert result.exit_code == 1
    assert f"#{chain[2].id}" in result.output


def test_a_rehashed_forgery_still_breaks_the_next_link(db, chain):
    """Rewriting a row together with its own hash moves the break to the next row."""
    victim = chain[1]
    forged = {
        column: getattr(victim, column)
        for column in ("created_at", "actor_id", "actor_name", "client_addr")
    } | {
        "object_type": victim.object_type,
        "object_id": victim.object_id,
        "action": victim.action,
        "before": victim.before,
        "after": victim.after.replace("Đơn vị", "Đơn vị giả"),
    }
    db.session.execute(
        sa.text("UPDATE audit_events SET after = :after, hash = :hash WHERE id = :id"),
        {
            "after": forged["after"],
            "hash": audit.event_hash(victim.prev_hash, forged),
            "id": victim.id,
        },
    )
    db.session.commit()
    assert audit.verify_chain(db.session).first_broken_id == chain[2].id


# --------------------------------------------------------------------------- append-only in the database


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_migrated_database_refuses_update_and_delete(empty_database, upgraded, dialect):
    app = upgraded(empty_database(dialect))
    with app.app_context():
        audit.record("export", "rounds", 1)
        _db.session.commit()
        for statement in (
            "UPDATE audit_events SET after = 'x'",
            "DELETE FROM audit_events",
        ):
            with (
                pytest.raises(sa.exc.DBAPIError, match="audit_events is append-only"),
                _db.engine.begin() as connection,
            ):
                connection.execute(sa.text(statement))
        assert _db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == 1
        assert audit.verify_chain(_db.session).ok
        _db.session.remove()


# --------------------------------------------------------------------------- browsing the trail


@pytest.fixture()
def dated_events(db, monkeypatch) -> dict[str, int]:
    """Three events at known times (UTC), besides those of the admin's account and login."""
    times = iter(
        [datetime(2025, 10, 1, 8, 0), datetime(2025, 10, 5, 23, 30), datetime(2025, 10, 10, 0, 10)]
    )
    monkeypatch.setattr(audit, "utcnow", lambda: next(times))
    audit.record("export", "rounds", 1)
    with audit.acting_as("cli:import-units"):
        audit.record("import", "units", 2, after={"rows": 40})
    audit.record("export", "rounds", 3)
    db.session.commit()
    monkeypatch.undo()
    ids = db.session.scalars(sa.select(AuditEvent.id).order_by(AuditEvent.id)).all()
    return dict(zip(["first", "import", "last"], ids, strict=True))


def _listed_ids(response) -> list[int]:
    assert response.status_code == 200
    return [int(n) for n in re.findall(r"<tr>\s*<td>(\d+)</td>", response.get_data(as_text=True))]


def test_the_trail_can_be_filtered(client, db, make_user, dated_events):
    make_user(Role.ADMIN, username="quantri")
    login(client, "quantri")
    first, imported, last = dated_events["first"], dated_events["import"], dated_events["last"]

    def shown(**query) -> list[int]:
        return _listed_ids(client.get("/admin/audit/", query_string=query))

    everything = shown()
    assert everything == sorted(everything, reverse=True)  # newest first
    assert everything[-3:] == [last, imported, first]
    assert shown(action="export") == [last, first]
    assert shown(actor=" CLI:Import-Units ") == [imported]
    assert shown(object_type="rounds", object_id="3") == [last]
    # Days are Hà Nội days (UTC+7): 5 Oct 23:30 UTC is 6 Oct 06:30 there.
    assert shown(until="2025-10-05") == [first]
    assert shown(until="2025-10-06") == [imported, first]  # the whole last day counts
    assert shown(since="2025-10-06", until="2025-10-09") == [imported]
    assert shown(since="2025-10-07", action="export") == [last]
    page = client.get("/admin/audit/", query_string={"since": "hôm qua"})
    assert _listed_ids(page) == everything  # an invalid filter filters nothing, and says so
    assert "is-invalid" in page.get_data(as_text=True)


def test_the_trail_shows_what_changed(client, db, make_user, make_unit):
    make_user(Role.ADMIN, username="quantri")
    unit = make_unit("Sở Y tế")
    db.session.commit()
    unit.name = "Sở Y tế tỉnh"
    db.session.commit()
    login(client, "quantri")
    html = client.get("/admin/audit/", query_string={"object_type": "units", "action": "update"})
    [row] = re.findall(r"<tr>\s*<td>\d+</td>.*?</tr>", html.get_data(as_text=True), re.S)
    text = " ".join(re.sub(r"<[^>]+>", " ", row).split())
    assert "Sở Y tế tỉnh" in text and "Sở Y tế " in text.replace("Sở Y tế tỉnh", "")


def test_audit_day_filters_are_vietnamese_calendar_days(client, db, login_as):
    """Days in the filter are days in Hà Nội (UTC+7): 2 Oct begins at 17:00 UTC on 1 Oct."""
    from datetime import date, datetime, timedelta

    from awards.clock import start_of_day_utc, today

    assert start_of_day_utc(date(2025, 10, 2)) == datetime(2025, 10, 1, 17, 0)
    login_as(Role.ADMIN)
    audit.record("probe", "units", 1)
    db.session.commit()

    found = client.get(f"/admin/audit/?action=probe&since={today()}&until={today()}")
    assert ">probe<" in found.get_data(as_text=True)
    yesterday = today() - timedelta(days=1)
    missed = client.get(f"/admin/audit/?action=probe&since={yesterday}&until={yesterday}")
    assert ">probe<" not in missed.get_data(as_text=True)
