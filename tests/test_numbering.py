"""Gapless numbers (``awards/numbering.py``): decision numbers and golden-book numbers per issuing body
and year, taken inside the transaction that uses them (issue 5).

Sequential per key, ranges for several items, nothing skipped when a transaction rolls back — and
twenty decisions issued at once, each by its own thread with its own session and connection, on a
SQLite file in WAL mode and on PostgreSQL (when ``TEST_DATABASE_URL`` names a server): the numbers are
exactly 1..20, the golden-book numbers exactly 1..total, with no duplicate and no gap.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm.exc import StaleDataError

from awards import approvals, decisions, numbering
from awards.extensions import db as _db
from models import (
    Certificate,
    Counter,
    Decision,
    DecisionItem,
    DecisionState,
    NominationState,
    Role,
    User,
)
from tests.factories import make_user
from tests.test_approvals import Approval, assert_chain_intact, parallel_app, run_in_parallel

__all__ = ["parallel_app"]  # the fixture, imported for this module's tests

KEY = "decision:QĐ-UBND:2025"
DRAFTS = 20


@pytest.fixture()
def session(app: Flask, db: object) -> object:
    return _db.session


def test_numbers_are_taken_one_after_another(session: object) -> None:
    assert numbering.current(KEY) == 0
    assert [numbering.take(KEY) for _ in range(3)] == [1, 2, 3]
    assert numbering.current(KEY) == 3


def test_each_key_counts_on_its_own(session: object) -> None:
    other_year = numbering.decision_key("QĐ-UBND", 2026)
    other_body = numbering.decision_key("QĐ-SNV", 2025)
    golden = numbering.golden_book_key("QĐ-UBND", 2025)
    assert len({KEY, other_year, other_body, golden}) == 4

    assert numbering.take(KEY) == 1
    assert numbering.take(KEY) == 2
    assert numbering.take(other_year) == 1
    assert numbering.take(other_body) == 1
    assert numbering.take(golden) == 1
    assert numbering.take(KEY) == 3
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(Counter)) == 4


def test_several_numbers_at_once_are_a_range(session: object) -> None:
    assert numbering.take(KEY, 4) == 1  # 1, 2, 3, 4
    assert numbering.take(KEY) == 5
    assert numbering.take(KEY, 3) == 6  # 6, 7, 8
    assert numbering.current(KEY) == 8
    with pytest.raises(ValueError):
        numbering.take(KEY, 0)
    assert numbering.current(KEY) == 8


def test_a_rolled_back_number_is_taken_again(session: object) -> None:
    assert numbering.take(KEY) == 1
    _db.session.commit()

    assert numbering.take(KEY) == 2
    assert numbering.take(KEY, 5) == 3
    _db.session.rollback()  # the decision that took them was not issued

    assert numbering.current(KEY) == 1
    assert numbering.take(KEY) == 2
    _db.session.commit()
    assert numbering.current(KEY) == 2


def test_a_counter_created_in_a_rolled_back_transaction_starts_again(session: object) -> None:
    assert numbering.take(KEY) == 1
    _db.session.rollback()
    assert numbering.take(KEY) == 1


def test_take_below_stops_at_the_limit_and_give_back_never_goes_below_zero(
    session: object,
) -> None:
    key = "approved:1:1"
    assert [numbering.take_below(key, 2) for _ in range(3)] == [True, True, False]
    assert numbering.current(key) == 2
    numbering.give_back(key)
    assert numbering.take_below(key, 2) is True
    for _ in range(4):
        numbering.give_back(key)
    assert numbering.current(key) == 0
    assert all(numbering.take_below(key, None) for _ in range(5))  # no limit
    assert numbering.current(key) == 5


# --------------------------------------------------------------------------- under concurrency


def test_twenty_decisions_issued_at_once_get_gapless_numbers(parallel_app: Flask) -> None:
    """Twenty drafts of one issuing body (same symbol, same year), holding 1 to 3 items each, issued
    by twenty threads at once."""
    sizes = [1 + i % 3 for i in range(DRAFTS)]  # 1, 2, 3, 1, 2, 3, …
    with parallel_app.app_context(), parallel_app.test_request_context("/", method="POST"):
        scene = Approval(per_unit=(sum(sizes) // 2, sum(sizes) - sum(sizes) // 2))
        scene.form.cash_multiple_collective = Decimal(3)
        scene.form.signer_title = "PHÓ CHỦ TỊCH"
        scene.form.signer_name = "Nguyễn Hữu Thành"
        ids = iter(scene.ids)
        drafts = []
        for size in sizes:
            batch = [next(ids) for _ in range(size)]
            assert approvals.decide(scene.round, scene.approver, approve=batch).approved == size
            drafts.append(decisions.create_draft(scene.round, scene.form, scene.board))
        assert [len(d.items) for d in drafts] == sizes
        year = drafts[0].year
        assert {(d.symbol, d.year) for d in drafts} == {("QĐ-UBND", year)}
        approvers = [make_approver() for _ in range(DRAFTS)]
        _db.session.commit()
        jobs = [issue_job(d.id, a) for d, a in zip(drafts, approvers, strict=True)]
        total = sum(sizes)

        started = time.monotonic()
        results = run_in_parallel(parallel_app, jobs)
        elapsed = time.monotonic() - started

        assert [r for r in results if not isinstance(r, str)] == []
        _db.session.expire_all()
        issued = _db.session.scalars(sa.select(Decision).order_by(Decision.seq)).all()
        assert [d.state for d in issued] == [DecisionState.ISSUED] * DRAFTS
        assert [d.seq for d in issued] == list(range(1, DRAFTS + 1))
        assert [d.number for d in issued] == [f"{n:02d}/QĐ-UBND" for n in range(1, DRAFTS + 1)]
        assert sorted(results) == [d.number for d in issued]  # each thread got the number it saved
        # Golden-book numbers: exactly 1..total, each decision a consecutive run in annex order.
        books = _db.session.scalars(sa.select(DecisionItem.golden_book)).all()
        assert sorted(books) == list(range(1, total + 1))
        for decision in issued:
            run = [item.golden_book for item in decision.items]
            assert run == list(range(run[0], run[0] + len(run)))
        # Certificates: one per item, serials and codes unique.
        serials = _db.session.scalars(sa.select(Certificate.serial)).all()
        codes = _db.session.scalars(sa.select(Certificate.code)).all()
        assert len(serials) == len(set(serials)) == total
        assert len(codes) == len(set(codes)) == total
        assert sorted(serials) == [f"{year}-QD-UBND-{n:05d}" for n in range(1, total + 1)]
        # The counters stand where the numbers stopped; every nomination awarded once.
        assert numbering.current(numbering.decision_key("QĐ-UBND", year)) == DRAFTS
        assert numbering.current(numbering.golden_book_key("QĐ-UBND", year)) == total
        assert set(scene.states().values()) == {NominationState.AWARDED}
        assert all(decisions.stored_pdf_matches(d) for d in issued)
        assert_chain_intact()
        assert elapsed < 60, f"20 issues took {elapsed:.1f} s"


def test_one_draft_issued_by_several_at_once_is_issued_once(parallel_app: Flask) -> None:
    """Five approvers press "Ban hành" on the same draft together: one issues it; the others find it
    issued (SQLite: writers queue) or changed under them (PostgreSQL: the optimistic lock; the number
    they took rolls back with them). One number used, no gap."""
    with parallel_app.app_context(), parallel_app.test_request_context("/", method="POST"):
        scene = Approval(per_unit=(2, 1))
        scene.form.signer_title = "PHÓ CHỦ TỊCH"
        scene.form.signer_name = "Nguyễn Hữu Thành"
        approvals.approve_all(scene.round, scene.form, scene.approver)
        draft = decisions.create_draft(scene.round, scene.form, scene.board)
        year = draft.year
        approvers = [make_approver() for _ in range(5)]
        _db.session.commit()

        results = run_in_parallel(parallel_app, [issue_job(draft.id, a) for a in approvers])

        assert results.count("01/QĐ-UBND") == 1
        refused = [r for r in results if r != "01/QĐ-UBND"]
        assert all(isinstance(r, decisions.DecisionError | StaleDataError) for r in refused), (
            refused
        )
        assert numbering.current(numbering.decision_key("QĐ-UBND", year)) == 1
        assert numbering.current(numbering.golden_book_key("QĐ-UBND", year)) == 3
        assert _db.session.scalar(sa.select(sa.func.count()).select_from(Certificate)) == 3
        assert set(scene.states().values()) == {NominationState.AWARDED}
        assert_chain_intact()

        # The next decision of the body gets the next number.
        other = Approval(per_unit=(1,), filing=scene.filing, form=scene.form)
        approvals.approve_all(scene.round, scene.form, other.approver)
        second = decisions.issue(
            decisions.create_draft(scene.round, scene.form, scene.board), other.approver
        )
        assert (second.number, [i.golden_book for i in second.items]) == ("02/QĐ-UBND", [4])


def make_approver() -> int:
    return make_user(Role.APPROVER).id


def issue_job(decision_id: int, approver_id: int) -> Callable[[], object]:
    """A request's worth of work: load the draft and the approver, issue it; returns the number."""

    def job() -> object:
        decision = _db.session.get(Decision, decision_id)
        actor = _db.session.get(User, approver_id)
        return decisions.issue(decision, actor).number

    return job
