"""Per-unit quotas under concurrent requests (DESIGN.md §4): never exceeded, given back exactly.

Each scenario runs twice: on a temporary SQLite file in WAL mode (the in-memory suite database has one
shared connection and cannot run anything in parallel), and on the suite's PostgreSQL database when
``TEST_DATABASE_URL`` points at a server (skipped otherwise). Every thread pushes its own application
context, so it gets its own session and connection — as concurrent requests, or processes, would.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm.exc import StaleDataError

from awards import audit, quotas, workflow
from awards.extensions import db as _db
from awards.workflow import WorkflowError
from models import (
    QUOTA_STATES,
    Nomination,
    NominationEvent,
    NominationState,
    Role,
    Submission,
    User,
)
from tests.factories import (
    IN_WINDOW,
    bring_to,
    count_in,
    make_filing,
    make_nomination,
    make_submission,
    make_unit,
    make_user,
    quota_used,
)

S = NominationState
OK, REFUSED, STALE = "ok", "refused", "stale"
QUOTA = 5
JOIN_TIMEOUT = 30  # seconds; a scenario takes well under one


@pytest.fixture(params=["sqlite", "postgresql"])
def concurrent_app(
    request: pytest.FixtureRequest,
    make_app: Callable[..., Flask],
    database_url: str,
    tmp_path: Path,
) -> Flask:
    """An application whose engine hands each thread a connection of its own."""
    options = {"SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "pool_size": 30}}
    if request.param == "postgresql":
        if not database_url.startswith("postgresql"):
            pytest.skip(
                "PostgreSQL: the suite runs on SQLite (set TEST_DATABASE_URL to include it)"
            )
        return make_app(**options)  # the suite's own throwaway database, emptied after the test
    application = make_app(
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'quota.sqlite3'}", **options
    )
    with application.app_context():
        _db.create_all()
        journal = _db.session.execute(sa.text("PRAGMA journal_mode")).scalar()
        _db.session.rollback()
    assert journal == "wal"
    return application


def run_together(app: Flask, jobs: list[Callable[[], object]]) -> list[object]:
    """Run each job in its own thread and application context, all released at once by a barrier;
    commit what a job did, roll back on refusal. Returns per job ``OK``, ``REFUSED`` (a
    ``WorkflowError``), ``STALE`` (the optimistic lock: someone changed the nomination meanwhile) or
    the unexpected exception itself."""
    # End the caller's transaction first: outside requests even reads begin IMMEDIATE on SQLite, so an
    # open one in the test's own session would hold the write lock while the jobs wait for it.
    _db.session.rollback()
    barrier = threading.Barrier(len(jobs))
    outcomes: list[object] = [None] * len(jobs)

    def work(index: int, job: Callable[[], object]) -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                job()
                _db.session.commit()
                outcomes[index] = OK
            except WorkflowError:
                _db.session.rollback()
                outcomes[index] = REFUSED
            except StaleDataError:
                _db.session.rollback()
                outcomes[index] = STALE
            except Exception as error:  # reported by the caller's assertions
                _db.session.rollback()
                outcomes[index] = error
            finally:
                _db.session.remove()

    threads = [
        threading.Thread(target=work, args=(i, job), name=f"job-{i}") for i, job in enumerate(jobs)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), "a job hung"
    return outcomes


def act(nomination_id: int, action: str, actor_id: int) -> Callable[[], object]:
    """A request's worth of work: load the nomination and the user, make the transition."""

    def job() -> object:
        nomination = _db.session.get(Nomination, nomination_id)
        actor = _db.session.get(User, actor_id)
        return workflow.transition(nomination, action, actor, reason="Bổ sung hồ sơ", on=IN_WINDOW)

    return job


def unexpected(outcomes: list[object]) -> list[object]:
    """Anything but a clean success or refusal: "database is locked", deadlocks, …"""
    return [o for o in outcomes if o not in (OK, REFUSED, STALE)]


class Dossier:
    """One unit with ``drafts`` complete drafts in one Tờ trình, for an award form with a per-unit
    quota of ``QUOTA``; committed, with plain ids for the threads."""

    def __init__(self, drafts: int) -> None:
        self.filing = make_filing(quota_per_unit=QUOTA)
        self.unit = make_unit("Ủy ban nhân dân huyện Yên Phong")
        clerk = make_user(Role.UNIT_CLERK, unit=self.unit)
        self.head = make_user(Role.UNIT_HEAD, unit=self.unit)
        self.board = self.filing.board
        batch = [make_nomination(self.filing, self.unit, clerk) for _ in range(drafts)]
        self.submission = make_submission(self.filing, self.unit, self.head, batch)
        self.ids = [n.id for n in batch]
        self.head_id, self.board_id, self.round_id = (
            self.head.id,
            self.board.id,
            self.filing.round.id,
        )
        _db.session.commit()

    def states(self) -> dict[int, NominationState]:
        _db.session.expire_all()
        rows = _db.session.execute(
            sa.select(Nomination.id, Nomination.state).where(Nomination.id.in_(self.ids))
        )
        return dict(rows.all())

    def used(self) -> int:
        return quota_used(self.filing, self.unit)

    def held(self) -> int:
        return sum(state in QUOTA_STATES for state in self.states().values())

    def events(self, action: str) -> int:
        return _db.session.scalar(
            sa.select(sa.func.count())
            .select_from(NominationEvent)
            .where(NominationEvent.nomination_id.in_(self.ids), NominationEvent.action == action)
        )


def assert_chain_intact() -> None:
    report = audit.verify_chain(_db.session)
    assert report.ok, report


def test_twenty_parallel_submissions_against_a_quota_of_five(concurrent_app):
    with concurrent_app.app_context():
        dossier = Dossier(drafts=20)
        started = time.monotonic()
        outcomes = run_together(
            concurrent_app, [act(i, "submit", dossier.head_id) for i in dossier.ids]
        )
        elapsed = time.monotonic() - started

        assert unexpected(outcomes) == []
        assert (outcomes.count(OK), outcomes.count(REFUSED)) == (QUOTA, 20 - QUOTA)
        assert count_in(S.SUBMITTED, dossier.round_id) == QUOTA
        assert count_in(S.DRAFT, dossier.round_id) == 20 - QUOTA
        assert dossier.used() == QUOTA
        assert dossier.events("submit") == QUOTA
        assert_chain_intact()
        assert elapsed < 10, f"20 submissions took {elapsed:.1f} s"


def test_one_nomination_submitted_by_many_at_once_is_submitted_once(concurrent_app):
    with concurrent_app.app_context():
        dossier = Dossier(drafts=1)
        [nomination_id] = dossier.ids
        outcomes = run_together(
            concurrent_app, [act(nomination_id, "submit", dossier.head_id) for _ in range(8)]
        )

        assert unexpected(outcomes) == []
        assert outcomes.count(OK) == 1
        assert dossier.states() == {nomination_id: S.SUBMITTED}
        assert dossier.used() == 1
        assert dossier.events("submit") == 1
        assert_chain_intact()


def test_concurrent_withdrawals_and_returns_give_back_exactly(concurrent_app):
    """Five submitted (the quota full) and fifteen drafts. At once: each of two nominations withdrawn
    twice, each of two others returned twice, the fifth accepted, and the fifteen drafts submitted.
    Every place given back is given back once, and the counter always equals the nominations holding
    a place — never more than the quota."""
    with concurrent_app.app_context():
        dossier = Dossier(drafts=20)
        held, drafts = dossier.ids[:QUOTA], dossier.ids[QUOTA:]
        for nomination_id in held:
            bring_to(
                _db.session.get(Nomination, nomination_id),
                S.SUBMITTED,
                head=dossier.head,
                board=dossier.board,
            )
        _db.session.commit()
        assert dossier.used() == QUOTA
        withdrawn, returned, accepted = held[:2], held[2:4], held[4]
        head, board = dossier.head_id, dossier.board_id

        jobs = [act(i, "withdraw", head) for i in withdrawn * 2]
        jobs += [act(i, "return", board) for i in returned * 2]
        jobs += [act(accepted, "accept", board)]
        jobs += [act(i, "submit", head) for i in drafts]
        outcomes = run_together(concurrent_app, jobs)

        assert unexpected(outcomes) == []
        gives_back, accept, submits = outcomes[:8], outcomes[8], outcomes[9:]
        assert gives_back.count(OK) == 4  # one of each pair; the other finds the state changed
        assert accept == OK
        states = dossier.states()
        assert [states[i] for i in withdrawn] == [S.WITHDRAWN] * 2
        assert [states[i] for i in returned] == [S.RETURNED] * 2
        assert states[accepted] is S.IN_REVIEW
        assert dossier.events("withdraw") == 2
        assert dossier.events("return") == 2
        # Four places came free while the drafts competed for them: at most four were taken.
        assert submits.count(OK) <= 4
        assert count_in(S.SUBMITTED, dossier.round_id) == submits.count(OK)
        assert dossier.used() == dossier.held() == 1 + submits.count(OK) <= QUOTA
        assert_chain_intact()

        # Whatever the interleaving, the counter now admits exactly the places left.
        left = QUOTA - dossier.used()
        still_draft = [i for i in drafts if states[i] is S.DRAFT]
        outcomes = run_together(concurrent_app, [act(i, "submit", head) for i in still_draft])
        assert unexpected(outcomes) == []
        assert outcomes.count(OK) == min(left, len(still_draft))
        assert dossier.used() == dossier.held() == QUOTA


def test_a_dossier_and_a_lone_withdrawal_do_not_deadlock(concurrent_app, monkeypatch):
    """A unit head submits a Tờ trình — the new Submission row is flushed (and audited) before its
    nomination takes a place — while another request withdraws a submitted nomination of the same
    unit, which gives its place back before its own flush. Both must succeed: the two transactions
    must take the audit chain's lock and the counter's row lock in the same order."""
    with concurrent_app.app_context():
        dossier = Dossier(drafts=2)
        first, second = dossier.ids
        bring_to(
            _db.session.get(Nomination, first), S.SUBMITTED, head=dossier.head, board=dossier.board
        )
        draft = _db.session.get(Nomination, second)
        draft.submission = None
        _db.session.commit()
        head_id, round_id, unit_id = dossier.head_id, dossier.round_id, dossier.unit.id

        dossier_started = threading.Event()
        give_back = quotas.give_back

        def give_back_then_pause(nomination: Nomination) -> None:
            give_back(nomination)
            if threading.current_thread().name == "job-0":  # the lone withdrawal
                dossier_started.wait(5)
                time.sleep(0.5)  # the dossier flushes its Submission and reaches the counter

        monkeypatch.setattr(quotas, "give_back", give_back_then_pause)

        def submit_dossier() -> None:
            dossier_started.set()
            head = _db.session.get(User, head_id)
            nomination = _db.session.get(Nomination, second)
            submission = Submission(
                round_id=round_id,
                unit_id=unit_id,
                number="99/TTr-UBND",
                signed_on=IN_WINDOW,
                signer_name=head.full_name,
                signer_title="Chủ tịch",
                minutes_date=IN_WINDOW,
                council_members=5,
                votes_for=5,
                submitted_by=head,
            )
            _db.session.add(submission)
            _db.session.flush()
            nomination.submission = submission
            workflow.transition(nomination, "submit", head, on=IN_WINDOW)

        outcomes = run_together(concurrent_app, [act(first, "withdraw", head_id), submit_dossier])

        assert outcomes == [OK, OK]
        assert dossier.states() == {first: S.WITHDRAWN, second: S.SUBMITTED}
        assert dossier.used() == 1
        assert_chain_intact()
