"""The approver's decisions on the proposed list (``awards/approvals.py``, issue 5).

Permissions and segregation of duties (only approvers decide; never on their own unit's items nor on
items they created), reasons for rejections, the phase, the total quota of an award form taken again at
approval — also by parallel approvers, each with a session and connection of its own, on a SQLite file
in WAL mode and on PostgreSQL when ``TEST_DATABASE_URL`` names a server — the per-unit counts of the
proposed list, and the outcome told to the proposing unit in the app and through the outbox.

``Approval`` and ``parallel_app`` are shared with ``tests/test_numbering.py`` and
``tests/test_decisions.py``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm.exc import StaleDataError

from awards import approvals, audit, clock, quotas, workflow
from awards.extensions import db as _db
from awards.workflow import NotPermitted, WorkflowError
from models import (
    AwardForm,
    Nomination,
    NominationEvent,
    NominationState,
    Notification,
    OutboxMessage,
    RecipientKind,
    Role,
    RoundPhase,
    Unit,
    User,
)
from tests.factories import (
    Filing,
    bring_to,
    count_in,
    make_award_form,
    make_filing,
    make_nomination,
    make_submission,
    make_unit,
    make_user,
)

S = NominationState
REASON = "Thành tích chưa tiêu biểu so với các tập thể được đề nghị khác"
QUOTA_MESSAGE = "Đã phê duyệt đủ chỉ tiêu"
JOIN_TIMEOUT = 60  # seconds


# --------------------------------------------------------------------------- builders


class Approval:
    """A round waiting for approval: one award form (``quota_total``), two proposing units with a clerk
    and a head (both with an e-mail address), ``per_unit[i]`` proposed nominations of unit ``i`` (scores
    90, 89, … across the units, in order), an approver and the board officer, neither of any unit.

    ``kinds`` and ``names`` give the kind and the nominee's name of each nomination in creation order
    (default: collectives, generated names)."""

    def __init__(
        self,
        *,
        per_unit: tuple[int, ...] = (3, 2),
        quota_total: int | None = None,
        kinds: list[RecipientKind] | None = None,
        names: list[str] | None = None,
        filing: Filing | None = None,
        form: AwardForm | None = None,
    ) -> None:
        self.filing = filing or make_filing()
        self.form = form or self.filing.form
        self.form.quota_total = quota_total
        self.round = self.filing.round
        self.round.phase = RoundPhase.NOMINATING  # nominations are created while filing is open
        self.board = self.filing.board
        self.approver = make_user(Role.APPROVER)
        unit_names = [
            "Sở Thông tin và Truyền thông",
            "Ủy ban nhân dân huyện Tiên Du",
            "Sở Tài chính",
        ]
        self.units: list[Unit] = []
        self.clerks: list[User] = []
        self.heads: list[User] = []
        self.by_unit: list[list[Nomination]] = []
        kinds = list(kinds or [])
        names_left = list(names or [])
        score = 90
        for index, count in enumerate(per_unit):
            unit = make_unit(unit_names[index % 3] + ("" if index < 3 else f" {index}"))
            clerk = make_user(Role.UNIT_CLERK, unit=unit)
            head = make_user(Role.UNIT_HEAD, unit=unit)
            clerk.email = f"vanthu{clerk.id}@bacninh.gov.vn"
            head.email = f"lanhdao{head.id}@bacninh.gov.vn"
            submission = make_submission(self.filing, unit, head)
            batch = []
            for _ in range(count):
                kind = kinds.pop(0) if kinds else RecipientKind.COLLECTIVE
                name = names_left.pop(0) if names_left else None
                nomination = make_nomination(
                    self.filing, unit, clerk, kind=kind, form=self.form, name=name
                )
                nomination.submission = submission
                bring_to(nomination, S.PROPOSED, head=head, board=self.board)
                nomination.score = Decimal(score)
                score -= 1
                batch.append(nomination)
            self.units.append(unit)
            self.clerks.append(clerk)
            self.heads.append(head)
            self.by_unit.append(batch)
        self.round.phase = RoundPhase.APPROVING
        _db.session.flush()

    @property
    def nominations(self) -> list[Nomination]:
        """Every nomination, best score first."""
        return [n for batch in self.by_unit for n in batch]

    @property
    def ids(self) -> list[int]:
        return [n.id for n in self.nominations]

    def approved(self) -> int:
        """The total-quota counter of the award form."""
        return quotas.approved(self.round.id, self.form.id)

    def states(self) -> dict[int, NominationState]:
        _db.session.expire_all()
        rows = _db.session.execute(
            sa.select(Nomination.id, Nomination.state).where(Nomination.id.in_(self.ids))
        )
        return dict(rows.all())


@pytest.fixture()
def request_ctx(app: Flask, db: object) -> Iterator[None]:
    """Services build links with ``url_for``, as they do inside a request."""
    with app.test_request_context("/", method="POST"):
        yield


@pytest.fixture()
def scene(request_ctx: None) -> Approval:
    return Approval()


@pytest.fixture(params=["sqlite", "postgresql"])
def parallel_app(
    request: pytest.FixtureRequest,
    make_app: Callable[..., Flask],
    database_url: str,
    tmp_path: Path,
) -> Flask:
    """An application whose engine hands each thread a connection of its own: on a SQLite file in WAL
    mode, or on the suite's PostgreSQL database (skipped when the suite runs on SQLite). Stored files go
    to a temporary folder."""
    options = {
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "pool_size": 30},
        "UPLOAD_ROOT": str(tmp_path / "uploads"),
        # Issuing renders the PDF while it holds the write lock (the number is printed in it): twenty
        # issues at once queue for some ten seconds, longer than the usual busy timeout on a slow machine.
        "SQLITE_BUSY_TIMEOUT_MS": 120_000,
    }
    if request.param == "postgresql":
        if not database_url.startswith("postgresql"):
            pytest.skip(
                "PostgreSQL: the suite runs on SQLite (set TEST_DATABASE_URL to include it)"
            )
        return make_app(**options)
    application = make_app(
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'parallel.sqlite3'}", **options
    )
    with application.app_context():
        _db.create_all()
        journal = _db.session.execute(sa.text("PRAGMA journal_mode")).scalar()
        _db.session.rollback()
    assert journal == "wal"
    return application


def run_in_parallel(app: Flask, jobs: list[Callable[[], object]]) -> list[object]:
    """Run each job in a thread of its own, inside its own application and request context (so its own
    session and connection, as a request served by another worker), all released at once by a
    barrier; commit what a job did, roll back if it raised. Returns each job's result, or the
    exception it raised."""
    _db.session.rollback()  # the caller's open transaction would hold SQLite's write lock
    barrier = threading.Barrier(len(jobs))
    results: list[object] = [None] * len(jobs)

    def work(index: int, job: Callable[[], object]) -> None:
        with app.app_context(), app.test_request_context("/", method="POST"):
            try:
                barrier.wait(timeout=10)
                result = job()
                _db.session.commit()
                results[index] = result
            except Exception as error:  # reported by the caller's assertions
                _db.session.rollback()
                results[index] = error
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
    return results


def assert_chain_intact() -> None:
    report = audit.verify_chain(_db.session)
    assert report.ok, report


def events(nomination_id: int) -> list[tuple[str, NominationState, str]]:
    return [
        (event.action, event.to_state, event.reason)
        for event in _db.session.scalars(
            sa.select(NominationEvent)
            .where(NominationEvent.nomination_id == nomination_id)
            .order_by(NominationEvent.id)
        )
    ]


# --------------------------------------------------------------------------- who may decide


@pytest.mark.parametrize("role", [Role.BOARD, Role.REVIEWER, Role.UNIT_HEAD, Role.ADMIN])
def test_only_approvers_approve_or_reject(scene: Approval, role: Role) -> None:
    other = make_unit("Sở Xây dựng")
    actor = make_user(role, unit=other if role is Role.UNIT_HEAD else None)
    first, second = scene.nominations[:2]

    with pytest.raises(NotPermitted):
        approvals.decide(scene.round, actor, approve=[first.id], reject={second.id: REASON})
    with pytest.raises(NotPermitted):
        approvals.approve_all(scene.round, scene.form, actor)
    for action in ("approve", "reject"):
        with pytest.raises(NotPermitted):
            workflow.transition(first, action, actor, reason=REASON)

    assert set(scene.states().values()) == {S.PROPOSED}
    assert scene.approved() == 0
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 0


def test_an_approver_may_decide_other_units_items(scene: Approval) -> None:
    first, second = scene.nominations[:2]
    outcome = approvals.decide(
        scene.round, scene.approver, approve=[first.id], reject={second.id: REASON}
    )

    assert (outcome.approved, outcome.rejected, outcome.refused) == (1, 1, [])
    states = scene.states()
    assert (states[first.id], states[second.id]) == (S.APPROVED, S.REJECTED)
    assert scene.approved() == 1
    assert events(first.id)[-1] == ("approve", S.APPROVED, "")
    assert events(second.id)[-1] == ("reject", S.REJECTED, REASON)


def test_an_approver_cannot_decide_items_of_their_own_unit(scene: Approval) -> None:
    approver = make_user(Role.APPROVER, unit=scene.units[0])
    own, other = scene.by_unit[0][0], scene.by_unit[1][0]

    outcome = approvals.decide(scene.round, approver, approve=[own.id, other.id])

    assert outcome.approved == 1
    assert [ref for ref, _ in outcome.refused] == [own.reference]
    assert scene.states()[own.id] is S.PROPOSED
    assert scene.states()[other.id] is S.APPROVED
    with pytest.raises(NotPermitted):
        workflow.transition(own, "reject", approver, reason=REASON)
    # The list shows which rows the viewer may decide.
    [section] = approvals.proposed_list(scene.round, approver)
    decidable = {item.nomination_id: item.decidable for item in section.items}
    assert {i for i, ok in decidable.items() if not ok} == {n.id for n in scene.by_unit[0]}
    assert {i for i, ok in decidable.items() if ok} == {n.id for n in scene.by_unit[1]}


def test_an_approver_cannot_decide_an_item_they_created(scene: Approval) -> None:
    nomination = scene.nominations[0]
    nomination.created_by_id = scene.approver.id
    _db.session.flush()

    outcome = approvals.decide(
        scene.round, scene.approver, approve=[nomination.id], reject={scene.ids[1]: REASON}
    )

    assert (outcome.approved, outcome.rejected) == (0, 1)
    assert [ref for ref, _ in outcome.refused] == [nomination.reference]
    assert scene.states()[nomination.id] is S.PROPOSED
    [section] = approvals.proposed_list(scene.round, scene.approver)
    assert [item.decidable for item in section.items if item.nomination_id == nomination.id] == [
        False
    ]


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_rejection_needs_a_reason(scene: Approval, reason: str) -> None:
    nomination = scene.nominations[0]

    outcome = approvals.decide(scene.round, scene.approver, reject={nomination.id: reason})

    assert outcome.rejected == 0
    assert outcome.refused == [(nomination.reference, "Vui lòng nêu lý do.")]
    assert scene.states()[nomination.id] is S.PROPOSED
    assert [e[0] for e in events(nomination.id)].count("reject") == 0


@pytest.mark.parametrize("phase", [p for p in RoundPhase if p is not RoundPhase.APPROVING])
def test_approving_only_while_the_round_is_at_approval(scene: Approval, phase: RoundPhase) -> None:
    scene.round.phase = phase
    first, second = scene.nominations[:2]

    outcome = approvals.decide(
        scene.round, scene.approver, approve=[first.id], reject={second.id: REASON}
    )

    assert (outcome.approved, outcome.rejected) == (0, 0)
    assert [why for _, why in outcome.refused] == [
        "Đợt xét không ở giai đoạn cho phép thao tác này."
    ] * 2
    assert set(scene.states().values()) == {S.PROPOSED}
    assert scene.approved() == 0


def test_only_proposed_items_can_be_approved(scene: Approval) -> None:
    nomination = scene.nominations[0]
    approvals.decide(scene.round, scene.approver, reject={nomination.id: REASON})

    outcome = approvals.decide(scene.round, scene.approver, approve=[nomination.id])

    assert outcome.approved == 0
    assert scene.states()[nomination.id] is S.REJECTED
    assert scene.approved() == 0


def test_ids_outside_the_round_are_ignored(scene: Approval) -> None:
    elsewhere = Approval(per_unit=(1,))
    outcome = approvals.decide(scene.round, scene.approver, approve=elsewhere.ids)

    assert (outcome.approved, outcome.rejected, outcome.refused) == (0, 0, [])
    assert elsewhere.states() == {elsewhere.ids[0]: S.PROPOSED}


def test_an_approved_item_can_still_be_rejected_and_gives_its_place_back(
    request_ctx: None,
) -> None:
    scene = Approval(per_unit=(1, 1), quota_total=1)
    first, second = scene.nominations

    assert approvals.decide(scene.round, scene.approver, approve=[first.id]).approved == 1
    refused = approvals.decide(scene.round, scene.approver, approve=[second.id])
    assert refused.approved == 0 and QUOTA_MESSAGE in refused.refused[0][1]
    assert scene.approved() == 1

    outcome = approvals.decide(scene.round, scene.approver, reject={first.id: REASON})
    assert outcome.rejected == 1
    assert scene.states()[first.id] is S.REJECTED
    assert scene.approved() == 0
    assert [e[:2] for e in events(first.id)][-2:] == [
        ("approve", S.APPROVED),
        ("reject", S.REJECTED),
    ]

    # The place it gave back is free for the next one.
    assert approvals.decide(scene.round, scene.approver, approve=[second.id]).approved == 1
    assert scene.approved() == 1


def test_rejections_in_a_batch_free_their_places_before_its_approvals(request_ctx: None) -> None:
    """The quota is full with a lower-scored item; the approver swaps it for a better one in one go
    (reject the one, approve the other): the place the rejection frees is there for the approval."""
    scene = Approval(per_unit=(1, 1), quota_total=1)
    better, worse = scene.nominations  # scores 90 and 89
    assert approvals.decide(scene.round, scene.approver, approve=[worse.id]).approved == 1

    outcome = approvals.decide(
        scene.round, scene.approver, approve=[better.id], reject={worse.id: REASON}
    )

    assert (outcome.approved, outcome.rejected, outcome.refused) == (1, 1, [])
    assert scene.states() == {better.id: S.APPROVED, worse.id: S.REJECTED}
    assert scene.approved() == 1


def test_disclosure_window_blocks_approval_until_it_has_ended(scene: Approval) -> None:
    first, second = scene.nominations[:2]
    today = clock.today()
    scene.round.disclosure_starts = today - timedelta(days=6)
    scene.round.disclosure_ends = today  # comments are taken until the end of the day

    outcome = approvals.decide(scene.round, scene.approver, approve=[first.id])
    assert outcome.approved == 0
    [(reference, why)] = outcome.refused
    assert reference == first.reference
    assert why == (
        f"Đợt xét đang công khai lấy ý kiến đến hết ngày {today:%d/%m/%Y}: chưa thể phê duyệt."
    )
    assert scene.approved() == 0
    # A rejection does not wait for the window.
    assert approvals.decide(scene.round, scene.approver, reject={second.id: REASON}).rejected == 1

    scene.round.disclosure_ends = today - timedelta(days=1)
    assert approvals.decide(scene.round, scene.approver, approve=[first.id]).approved == 1


# --------------------------------------------------------------------------- the total quota


def test_approve_all_approves_up_to_the_total_quota_best_first(request_ctx: None) -> None:
    scene = Approval(per_unit=(3, 2), quota_total=3)

    outcome = approvals.approve_all(scene.round, scene.form, scene.approver)

    assert outcome.approved == 3
    assert outcome.rejected == 0
    best, rest = scene.nominations[:3], scene.nominations[3:]
    assert [ref for ref, _ in outcome.refused] == [n.reference for n in rest]
    for nomination, (_, why) in zip(rest, outcome.refused, strict=True):
        assert why == (
            f"Đã phê duyệt đủ chỉ tiêu “{scene.form.name}” của đợt xét (3): không thể phê duyệt "
            f"thêm hồ sơ {nomination.reference}."
        )
    states = scene.states()
    assert [states[n.id] for n in best] == [S.APPROVED] * 3
    assert [states[n.id] for n in rest] == [S.PROPOSED] * 2
    assert scene.approved() == 3
    assert count_in(S.APPROVED, scene.round.id) == 3
    [section] = approvals.proposed_list(scene.round, scene.approver)
    assert (section.approved_total, section.quota_left) == (3, 0)


def test_approve_all_leaves_other_award_forms_alone(request_ctx: None) -> None:
    scene = Approval(per_unit=(2,), quota_total=5)
    other_form = make_award_form(scene.filing)
    other = Approval(per_unit=(2,), filing=scene.filing, form=other_form)

    outcome = approvals.approve_all(scene.round, scene.form, scene.approver)

    assert outcome.approved == 2
    assert set(other.states().values()) == {S.PROPOSED}
    assert quotas.approved(scene.round.id, other_form.id) == 0


def test_total_quota_is_per_award_form(request_ctx: None) -> None:
    scene = Approval(per_unit=(2, 1), quota_total=2)
    other_form = make_award_form(scene.filing)
    other = Approval(per_unit=(2,), filing=scene.filing, form=other_form, quota_total=1)

    assert approvals.approve_all(scene.round, scene.form, scene.approver).approved == 2
    assert approvals.approve_all(scene.round, other_form, other.approver).approved == 1
    assert (scene.approved(), other.approved()) == (2, 1)


def test_without_a_total_quota_everything_may_be_approved(request_ctx: None) -> None:
    scene = Approval(per_unit=(4, 3), quota_total=None)

    outcome = approvals.approve_all(scene.round, scene.form, scene.approver)

    assert (outcome.approved, outcome.refused) == (7, [])
    assert scene.approved() == 7
    [section] = approvals.proposed_list(scene.round, scene.approver)
    assert section.quota_left is None


# --------------------------------------------------------------------------- the proposed list


def test_proposed_list_counts_per_unit_and_per_kind(request_ctx: None) -> None:
    COL, IND = RecipientKind.COLLECTIVE, RecipientKind.INDIVIDUAL
    scene = Approval(per_unit=(3, 2), quota_total=4, kinds=[COL, IND, IND, COL, IND])
    a1, a2, _ = scene.by_unit[0]
    b1, _ = scene.by_unit[1]
    approvals.decide(scene.round, scene.approver, approve=[a1.id, a2.id], reject={b1.id: REASON})

    [section] = approvals.proposed_list(scene.round, scene.board)

    assert section.form.id == scene.form.id
    assert [item.nomination_id for item in section.items] == scene.ids  # by score, best first
    assert [item.state for item in section.items] == [
        S.APPROVED,
        S.APPROVED,
        S.PROPOSED,
        S.REJECTED,
        S.PROPOSED,
    ]
    assert [(c.unit_name, c.proposed, c.approved) for c in section.units] == sorted(
        [
            ("Sở Thông tin và Truyền thông", 3, 2),
            ("Ủy ban nhân dân huyện Tiên Du", 1, 0),  # the rejected one no longer counts
        ]
    )
    assert (section.collectives, section.individuals) == (1, 3)
    assert section.count(S.PROPOSED) == 2
    assert section.count(S.APPROVED, S.AWARDED) == 2
    assert section.count(S.REJECTED) == 1
    assert (section.approved_total, section.quota_left) == (2, 2)
    assert all(item.decidable for item in section.items)  # the board officer belongs to no unit


def test_proposed_list_leaves_out_what_was_never_proposed(request_ctx: None) -> None:
    scene = Approval(per_unit=(2,))
    clerk, head = scene.clerks[0], scene.heads[0]
    scene.round.phase = RoundPhase.NOMINATING
    draft = make_nomination(scene.filing, scene.units[0], clerk)
    scored = make_nomination(scene.filing, scene.units[0], clerk)
    scored.submission = make_submission(scene.filing, scene.units[0], head)
    bring_to(scored, S.SCORED, head=head, board=scene.board)
    scene.round.phase = RoundPhase.APPROVING

    [section] = approvals.proposed_list(scene.round, scene.approver)

    listed = {item.nomination_id for item in section.items}
    assert listed == set(scene.ids)
    assert draft.id not in listed and scored.id not in listed


# --------------------------------------------------------------------------- notifications


def test_the_unit_is_told_of_each_outcome_in_the_app_and_by_mail(scene: Approval) -> None:
    unit = scene.units[0]
    quiet_head = make_user(Role.UNIT_HEAD, unit=unit)  # no e-mail address: in the app only
    gone = make_user(Role.UNIT_CLERK, unit=unit)
    gone.email = "danghi@bacninh.gov.vn"
    gone.active = False
    approved, rejected = scene.by_unit[0][:2]
    _db.session.flush()

    approvals.decide(
        scene.round, scene.approver, approve=[approved.id], reject={rejected.id: REASON}
    )

    told = {scene.clerks[0].id, scene.heads[0].id, quiet_head.id}
    notes = _db.session.scalars(sa.select(Notification).order_by(Notification.id)).all()
    assert {note.user_id for note in notes} == told
    assert len(notes) == 2 * len(told)
    link = f"/nominations/{approved.id}"
    approval_notes = [note for note in notes if note.link == link]
    assert len(approval_notes) == 3
    assert approval_notes[0].message == (
        f"Hồ sơ {approved.reference} ({approved.nominee_name}) đã được phê duyệt đề nghị tặng "
        f"{scene.form.name}."
    )
    rejection_notes = [note for note in notes if note.link == f"/nominations/{rejected.id}"]
    assert len(rejection_notes) == 3
    assert all(rejected.reference in note.message for note in rejection_notes)
    assert all(note.message.endswith(f"Lý do: {REASON}") for note in rejection_notes)

    mails = _db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert sorted(mail.to_address for mail in mails) == sorted(
        [scene.clerks[0].email, scene.heads[0].email] * 2
    )
    approval_mail = next(m for m in mails if approved.reference in m.body)
    assert approval_mail.sent_at is None
    assert approval_mail.body.endswith(link)  # the public address of the nomination's page
    # Nobody of the other unit hears about it.
    assert not {scene.clerks[1].id, scene.heads[1].id} & {note.user_id for note in notes}


def test_a_refused_decision_tells_nobody(scene: Approval) -> None:
    scene.round.phase = RoundPhase.COUNCIL
    approvals.decide(scene.round, scene.approver, approve=scene.ids)

    assert _db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 0
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0


# --------------------------------------------------------------------------- under concurrency

PARALLEL = 12
TOTAL_QUOTA = 5


def test_parallel_approvers_never_exceed_the_total_quota(parallel_app: Flask) -> None:
    """Twelve approvers at once, each approving a different proposed nomination of one award form
    whose total quota is five: exactly five are approved, and the counter says five."""
    with parallel_app.app_context(), parallel_app.test_request_context("/", method="POST"):
        scene = Approval(per_unit=(6, 6), quota_total=TOTAL_QUOTA)
        approvers = [make_user(Role.APPROVER) for _ in range(PARALLEL)]
        round_id = scene.round.id
        pairs = [(n.id, a.id) for n, a in zip(scene.nominations, approvers, strict=True)]
        _db.session.commit()

        def approve(nomination_id: int, approver_id: int) -> Callable[[], object]:
            def job() -> object:
                round_ = _db.session.get(Nomination, nomination_id).round
                assert round_.id == round_id
                actor = _db.session.get(User, approver_id)
                return approvals.decide(round_, actor, approve=[nomination_id])

            return job

        results = run_in_parallel(parallel_app, [approve(*pair) for pair in pairs])

        errors = [r for r in results if not isinstance(r, approvals.Outcome)]
        assert errors == []
        assert sum(r.approved for r in results) == TOTAL_QUOTA
        refused = [why for r in results for _, why in r.refused]
        assert len(refused) == PARALLEL - TOTAL_QUOTA
        assert all(QUOTA_MESSAGE in why for why in refused)
        states = scene.states()
        assert list(states.values()).count(S.APPROVED) == TOTAL_QUOTA
        assert list(states.values()).count(S.PROPOSED) == PARALLEL - TOTAL_QUOTA
        assert scene.approved() == TOTAL_QUOTA
        assert (
            _db.session.scalar(
                sa.select(sa.func.count())
                .select_from(NominationEvent)
                .where(NominationEvent.action == "approve")
            )
            == TOTAL_QUOTA
        )
        assert_chain_intact()


def test_parallel_rejections_and_approvals_keep_the_counter_exact(parallel_app: Flask) -> None:
    """The quota is full; at once two approved items are rejected (each twice) while six proposed
    ones compete for the places: the counter always equals the approved items, never above the quota."""
    with parallel_app.app_context(), parallel_app.test_request_context("/", method="POST"):
        scene = Approval(per_unit=(4, 4), quota_total=2)
        approvals.approve_all(scene.round, scene.form, scene.approver)
        _db.session.commit()
        held = [i for i, state in scene.states().items() if state is S.APPROVED]
        waiting = [i for i, state in scene.states().items() if state is S.PROPOSED]
        assert (len(held), len(waiting)) == (2, 6)
        approvers = [make_user(Role.APPROVER).id for _ in range(len(held) * 2 + len(waiting))]
        round_id = scene.round.id
        _db.session.commit()

        def job_for(nomination_id: int, approver_id: int, reject: bool) -> Callable[[], object]:
            def job() -> object:
                round_ = _db.session.get(Nomination, nomination_id).round
                actor = _db.session.get(User, approver_id)
                assert round_.id == round_id
                if reject:
                    return approvals.decide(round_, actor, reject={nomination_id: REASON})
                return approvals.decide(round_, actor, approve=[nomination_id])

            return job

        jobs = [job_for(i, a, True) for i, a in zip(held * 2, approvers, strict=False)]
        jobs += [job_for(i, a, False) for i, a in zip(waiting, approvers[4:], strict=True)]
        results = run_in_parallel(parallel_app, jobs)

        # The second rejection of an item finds it rejected already (SQLite: writers queue, so it is
        # refused) or changed under it (PostgreSQL: the optimistic lock; a view answers 409).
        rejections, approvals_ = results[:4], results[4:]
        assert [
            r for r in rejections if not isinstance(r, approvals.Outcome | StaleDataError)
        ] == []
        assert [r for r in approvals_ if not isinstance(r, approvals.Outcome)] == []
        done = [r for r in rejections if isinstance(r, approvals.Outcome)]
        assert sum(r.rejected for r in done) == 2  # each approved item rejected once
        approved_now = sum(r.approved for r in approvals_)
        assert approved_now <= 2
        states = scene.states()
        assert [states[i] for i in held] == [S.REJECTED] * 2
        assert list(states.values()).count(S.APPROVED) == approved_now == scene.approved()
        assert_chain_intact()


def test_workflow_error_is_what_a_full_quota_raises(scene: Approval) -> None:
    """``transition`` itself refuses (the views and ``decide`` rely on the exception type)."""
    scene.form.quota_total = 1
    first, second = scene.nominations[:2]
    workflow.transition(first, "approve", scene.approver)
    with pytest.raises(WorkflowError) as refused:
        workflow.transition(second, "approve", scene.approver)
    assert not isinstance(refused.value, NotPermitted)
    assert QUOTA_MESSAGE in str(refused.value)
    assert second.state is S.PROPOSED
