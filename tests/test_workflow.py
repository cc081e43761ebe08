"""The transition function (``awards/workflow.py``) against DESIGN.md §3–§4, restated here as data.

The expected outcomes are written out below independently of ``workflow.TRANSITIONS``: every action × every
state × every role, each role as a member of the nomination's own unit, of another unit and of none.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from awards import audit, clock, nominations, workflow
from awards.extensions import db as _db
from awards.workflow import NotPermitted, WorkflowError
from models import (
    AuditEvent,
    Extension,
    Nomination,
    NominationEvent,
    NominationState,
    RecipientKind,
    Role,
    RoundPhase,
    Unit,
    User,
)
from tests.factories import (
    CLOSES,
    IN_WINDOW,
    OPENS,
    Filing,
    add_evidence,
    bring_to,
    make_award_form,
    make_filing,
    make_nomination,
    make_submission,
    make_unit,
    make_user,
    quota_used,
)

S = NominationState
R = Role
OWN, OTHER, NONE = "own unit", "other unit", "no unit"
OK, FORBIDDEN, REFUSED = "ok", "forbidden (NotPermitted)", "refused (WorkflowError)"

# --------------------------------------------------------------------------- the rules, as data

# action: {source state: (target state, change of the unit's quota counter)}
EDGES: dict[str, dict[NominationState, tuple[NominationState, int]]] = {
    "submit": {S.DRAFT: (S.SUBMITTED, +1)},
    "reopen": {S.RETURNED: (S.DRAFT, 0)},
    "withdraw": {
        S.DRAFT: (S.WITHDRAWN, 0),
        S.RETURNED: (S.WITHDRAWN, 0),
        S.SUBMITTED: (S.WITHDRAWN, -1),
    },
    "accept": {S.SUBMITTED: (S.IN_REVIEW, 0)},
    "return": {S.SUBMITTED: (S.RETURNED, -1)},
    "complete_scoring": {S.IN_REVIEW: (S.SCORED, 0)},
    "propose": {S.SCORED: (S.PROPOSED, 0)},
    "approve": {S.PROPOSED: (S.APPROVED, 0)},
    "reject": {S.PROPOSED: (S.REJECTED, -1), S.APPROVED: (S.REJECTED, -1)},
    "award": {S.APPROVED: (S.AWARDED, 0)},
    "revoke": {S.AWARDED: (S.REVOKED, -1)},
}
# action: the (role, where the actor belongs) pairs that may act. Unit roles act on their own unit's
# nominations only; the board decides, never on its own unit's nominations (conflict of interest).
WHO: dict[str, set[tuple[Role, str]]] = {
    "submit": {(R.UNIT_HEAD, OWN)},
    "reopen": {(R.UNIT_CLERK, OWN), (R.UNIT_HEAD, OWN)},
    "withdraw": {(R.UNIT_HEAD, OWN)},
    "accept": {(R.BOARD, OTHER), (R.BOARD, NONE)},
    "return": {(R.BOARD, OTHER), (R.BOARD, NONE)},
    "complete_scoring": {(R.BOARD, OTHER), (R.BOARD, NONE)},
    "propose": {(R.BOARD, OTHER), (R.BOARD, NONE)},
    # The approver decides items, never of their own unit; issuing and revoking act on the signed
    # decision as a whole (its items were decided one by one).
    "approve": {(R.APPROVER, OTHER), (R.APPROVER, NONE)},
    "reject": {(R.APPROVER, OTHER), (R.APPROVER, NONE)},
    "award": {(R.APPROVER, OWN), (R.APPROVER, OTHER), (R.APPROVER, NONE)},
    "revoke": {(R.APPROVER, OWN), (R.APPROVER, OTHER), (R.APPROVER, NONE)},
}
# action: the round phases in which it may happen.
PHASES: dict[str, set[RoundPhase]] = {
    "submit": {RoundPhase.NOMINATING},
    "reopen": {RoundPhase.NOMINATING},
    "withdraw": {RoundPhase.NOMINATING, RoundPhase.REVIEWING},
    "accept": {RoundPhase.NOMINATING, RoundPhase.REVIEWING},
    "return": {RoundPhase.NOMINATING, RoundPhase.REVIEWING},
    "complete_scoring": {RoundPhase.REVIEWING, RoundPhase.COUNCIL},
    "propose": {RoundPhase.REVIEWING, RoundPhase.COUNCIL},
    "approve": {RoundPhase.APPROVING},
    "reject": {RoundPhase.APPROVING},
    "award": {RoundPhase.APPROVING, RoundPhase.DECIDED, RoundPhase.CLOSED},
    "revoke": {RoundPhase.APPROVING, RoundPhase.DECIDED, RoundPhase.CLOSED},
}
ACTIONS = list(EDGES)
WHERE = (OWN, OTHER, NONE)
REASON = "Thiếu biên bản họp Hội đồng Thi đua – Khen thưởng của đơn vị"


def open_phase(action: str) -> RoundPhase:
    """The earliest phase in which ``action`` may happen."""
    order = list(RoundPhase)
    return min(PHASES[action], key=order.index)


def expected(action: str, state: NominationState, role: Role, where: str) -> str:
    """Who may not act at all is refused as such (views answer 403) whatever the state; then the
    state decides."""
    if (role, where) not in WHO[action]:
        return FORBIDDEN
    if state not in EDGES[action]:
        return REFUSED
    return OK


def test_the_expected_matrix_covers_every_action():
    assert set(workflow.TRANSITIONS) == set(ACTIONS)


# --------------------------------------------------------------------------- helpers


def attempt(nomination: Nomination, action: str, actor: User, **kwargs: object) -> str:
    kwargs.setdefault("reason", REASON)
    kwargs.setdefault("on", IN_WINDOW)
    try:
        workflow.transition(nomination, action, actor, **kwargs)
    except NotPermitted:
        return FORBIDDEN
    except WorkflowError:
        return REFUSED
    return OK


def counts() -> tuple[int, int, int]:
    """(nomination events, ``nomination.*`` audit entries, all audit entries) in the database."""
    count = sa.select(sa.func.count())
    return (
        _db.session.scalar(count.select_from(NominationEvent)),
        _db.session.scalar(
            count.select_from(AuditEvent).where(AuditEvent.action.startswith("nomination."))
        ),
        _db.session.scalar(count.select_from(AuditEvent)),
    )


def cast(own: Unit, other: Unit) -> dict[tuple[Role, str], User]:
    """One user per role and affiliation."""
    units = {OWN: own, OTHER: other, NONE: None}
    return {(role, where): make_user(role, unit=units[where]) for role in Role for where in WHERE}


class Scene:
    """A round open for filing, the nominating unit and another, their people, and one complete draft
    of the nominating unit in its Tờ trình."""

    def __init__(self, *, quota_per_unit: int | None = None) -> None:
        self.filing: Filing = make_filing(quota_per_unit=quota_per_unit)
        self.unit = make_unit("Sở Thông tin và Truyền thông")
        self.other = make_unit("Sở Tài chính")
        self.clerk = make_user(R.UNIT_CLERK, unit=self.unit)
        self.head = make_user(R.UNIT_HEAD, unit=self.unit)
        self.other_head = make_user(R.UNIT_HEAD, unit=self.other)
        self.board = self.filing.board
        self.approver = make_user(R.APPROVER)
        self.submission = make_submission(self.filing, self.unit, self.head)
        self.nomination = self.new()

    def new(self, **kwargs: object) -> Nomination:
        nomination = make_nomination(self.filing, self.unit, self.clerk, **kwargs)
        nomination.submission = self.submission
        # Enough submitted reviews for ``complete_scoring`` (awards/scoring.py keeps this count).
        nomination.reviews_submitted = self.filing.campaign.min_reviews
        _db.session.flush()
        return nomination

    def used(self) -> int:
        return quota_used(self.filing, self.unit)


@pytest.fixture()
def scene(db: object) -> Scene:
    return Scene()


# --------------------------------------------------------------------------- the matrix


def nominations_in_every_state(scene: Scene) -> dict[NominationState, Nomination]:
    return {state: bring_to(scene.new(), state, head=scene.head, board=scene.board) for state in S}


@pytest.mark.parametrize("action", ACTIONS)
def test_transition_matrix(db, action: str) -> None:
    """Every state × every role × own unit / other unit / no unit, for one action."""
    scene = Scene()
    actors = cast(scene.unit, scene.other)
    by_state = nominations_in_every_state(scene)
    scene.filing.round.phase = open_phase(action)
    mismatches = []
    for state, nomination in by_state.items():
        version, used, before = nomination.version, scene.used(), counts()
        for (role, where), actor in actors.items():
            want = expected(action, state, role, where)
            savepoint = db.session.begin_nested()
            got = attempt(nomination, action, actor)
            if got != want:
                mismatches.append(f"{state}, {role} ({where}): expected {want}, got {got}")
            elif got == OK:
                target, delta = EDGES[action][state]
                assert nomination.state is target
                assert scene.used() == used + delta
                assert counts()[:2] == (before[0] + 1, before[1] + 1)
            else:  # nothing changed: state, version, quota counter, history, audit trail
                db.session.flush()
                assert (nomination.state, nomination.version) == (state, version)
                assert (scene.used(), counts()) == (used, before)
            savepoint.rollback()
    assert not mismatches, f"{action}:\n" + "\n".join(mismatches)


def test_allowed_actions_offer_exactly_what_the_rules_allow(db, monkeypatch):
    monkeypatch.setattr(clock, "today", lambda: IN_WINDOW)
    scene = Scene()
    actors = cast(scene.unit, scene.other)
    by_state = nominations_in_every_state(scene)
    for phase in (RoundPhase.NOMINATING, RoundPhase.REVIEWING):
        scene.filing.round.phase = phase
        for state, nomination in by_state.items():
            for (role, where), actor in actors.items():
                want = [
                    a
                    for a in ACTIONS
                    if expected(a, state, role, where) == OK and phase in PHASES[a]
                ]
                got = workflow.allowed_actions(nomination, actor)
                assert got == want, (phase, state, role, where)


def test_refusals_say_why(scene):
    with pytest.raises(NotPermitted, match="không có quyền"):
        workflow.transition(scene.nomination, "submit", scene.clerk, on=IN_WINDOW)
    with pytest.raises(NotPermitted, match="không thuộc đơn vị"):
        workflow.transition(scene.nomination, "submit", scene.other_head, on=IN_WINDOW)
    with pytest.raises(WorkflowError, match="trạng thái hiện tại"):
        workflow.transition(scene.nomination, "reopen", scene.head, on=IN_WINDOW)
    with pytest.raises(WorkflowError, match="không hợp lệ"):
        workflow.transition(scene.nomination, "dance", scene.board, on=IN_WINDOW)
    assert scene.nomination.state is S.DRAFT


def test_the_person_who_filed_a_nomination_never_decides_it(db):
    """Segregation of duties: a board officer (of no unit) who created a nomination cannot accept or
    return it; another board officer can."""
    scene = Scene()
    filer = make_user(R.BOARD)
    nomination = make_nomination(scene.filing, scene.unit, filer)
    nomination.submission = scene.submission
    workflow.transition(nomination, "submit", scene.head, on=IN_WINDOW)
    for action in ("accept", "return"):
        with pytest.raises(NotPermitted):
            workflow.transition(nomination, action, filer, reason=REASON, on=IN_WINDOW)
    workflow.transition(nomination, "accept", scene.board, on=IN_WINDOW)
    assert nomination.state is S.IN_REVIEW


def test_a_user_with_a_board_and_a_unit_role_decides_only_for_other_units(db):
    scene = Scene()
    both = make_user(R.UNIT_HEAD, R.BOARD, unit=scene.unit)
    workflow.transition(scene.nomination, "submit", both, on=IN_WINDOW)  # as the unit head
    with pytest.raises(NotPermitted):
        workflow.transition(scene.nomination, "accept", both, on=IN_WINDOW)
    other = Scene()
    workflow.transition(other.nomination, "submit", other.head, on=IN_WINDOW)
    workflow.transition(other.nomination, "accept", both, on=IN_WINDOW)
    assert other.nomination.state is S.IN_REVIEW


# --------------------------------------------------------------------------- effects of a transition


@pytest.mark.parametrize("action", ACTIONS)
def test_a_successful_transition_records_one_event_and_one_audit_entry(db, action):
    scene = Scene()
    actor = (
        scene.head
        if action in ("submit", "reopen", "withdraw")
        else scene.approver
        if action in ("approve", "reject", "award", "revoke")
        else scene.board
    )
    for source, (target, delta) in EDGES[action].items():
        scene.filing.round.phase = RoundPhase.NOMINATING  # to file the next one
        nomination = bring_to(scene.new(), source, head=scene.head, board=scene.board)
        scene.filing.round.phase = open_phase(action)
        db.session.commit()
        used = scene.used()
        last_event = db.session.scalar(sa.select(sa.func.max(NominationEvent.id))) or 0
        last_audit = db.session.scalar(sa.select(sa.func.max(AuditEvent.id))) or 0

        event = workflow.transition(nomination, action, actor, reason=f"  {REASON} ", on=IN_WINDOW)
        db.session.commit()

        assert nomination.state is target
        assert scene.used() == used + delta
        events = db.session.scalars(
            sa.select(NominationEvent).where(NominationEvent.id > last_event)
        ).all()
        assert events == [event]
        assert (event.nomination_id, event.action, event.actor_id) == (
            nomination.id,
            action,
            actor.id,
        )
        assert (event.from_state, event.to_state, event.reason) == (source, target, REASON)
        entries = db.session.scalars(
            sa.select(AuditEvent).where(
                AuditEvent.id > last_audit, AuditEvent.action == f"nomination.{action}"
            )
        ).all()
        assert len(entries) == 1, source
        entry = entries[0]
        assert (entry.object_type, entry.object_id) == ("nominations", str(nomination.id))
        assert entry.actor_id == actor.id
        assert json.loads(entry.before) == {"state": source.value}
        assert json.loads(entry.after) == {"state": target.value, "reason": REASON}
    report = audit.verify_chain(db.session)
    assert report.ok, report


def test_submit_keeps_the_reference_and_gives_one_when_missing(scene):
    first = scene.nomination
    reference = first.reference
    assert reference == f"{scene.filing.round.code}-{first.id:06d}"
    workflow.transition(first, "submit", scene.head, on=IN_WINDOW)
    assert first.reference == reference
    assert first.submitted_at is not None

    second = scene.new()
    second.reference = None
    _db.session.flush()
    workflow.transition(second, "submit", scene.head, on=IN_WINDOW)
    _db.session.commit()
    assert second.reference == f"{scene.filing.round.code}-{second.id:06d}"


# --------------------------------------------------------------------------- submit: dossier, window, phase


def test_submit_needs_the_units_submission(scene):
    scene.nomination.submission = None
    _db.session.flush()
    assert nominations.missing_for_submission(scene.nomination) == []
    with pytest.raises(WorkflowError, match="Tờ trình"):
        workflow.transition(scene.nomination, "submit", scene.head, on=IN_WINDOW)
    assert (scene.nomination.state, scene.used()) == (S.DRAFT, 0)
    scene.nomination.submission = scene.submission
    workflow.transition(scene.nomination, "submit", scene.head, on=IN_WINDOW)
    assert (scene.nomination.state, scene.used()) == (S.SUBMITTED, 1)


def _blank(field: str) -> Callable[[Nomination], None]:
    return lambda n: setattr(n, field, "")


def _drop_score(code: str) -> Callable[[Nomination], None]:
    def drop(n: Nomination) -> None:
        n.self_scores.remove(next(s for s in n.self_scores if s.criterion.code == code))

    return drop


def _no_figure(code: str) -> Callable[[Nomination], None]:
    def clear(n: Nomination) -> None:
        next(s for s in n.self_scores if s.criterion.code == code).reported_value = None

    return clear


def _delete_files(n: Nomination) -> None:
    for file in n.files:
        file.deleted_at = IN_WINDOW


INCOMPLETE = {
    "no citation": (RecipientKind.COLLECTIVE, _blank("citation"), "bằng khen"),
    "no report part I": (RecipientKind.COLLECTIVE, _blank("report_profile"), "phần I"),
    "no report part II": (RecipientKind.COLLECTIVE, _blank("report_achievements"), "phần II"),
    "criterion not scored": (RecipientKind.COLLECTIVE, _drop_score("1.3"), "tiêu chí 1.3"),
    "no reported figure": (RecipientKind.COLLECTIVE, _no_figure("1.2"), "số liệu"),
    "evidence deleted": (RecipientKind.COLLECTIVE, _delete_files, "minh chứng"),
    "individual without position": (RecipientKind.INDIVIDUAL, _blank("position"), "chức vụ"),
    "individual criterion not scored": (RecipientKind.INDIVIDUAL, _drop_score("2.1"), "2.1"),
}


def test_submit_needs_a_complete_dossier(scene):
    for case, (kind, spoil, message) in INCOMPLETE.items():
        nomination = scene.new(kind=kind)
        assert nominations.missing_for_submission(nomination) == [], case
        spoil(nomination)
        _db.session.flush()
        missing = nominations.missing_for_submission(nomination)
        assert len(missing) == 1, (case, missing)
        assert message.casefold() in missing[0].casefold(), case
        with pytest.raises(WorkflowError, match="chưa đủ để trình"):
            workflow.transition(nomination, "submit", scene.head, on=IN_WINDOW)
        assert (nomination.state, scene.used()) == (S.DRAFT, 0), case


def test_evidence_for_one_criterion_does_not_stand_for_another(db):
    """With two criteria requiring evidence, a file attached to the first leaves the second missing;
    a general file (attached to no criterion) covers both."""
    scene = Scene()
    second = scene.filing.criteria["1.3"]
    second.evidence_required = True
    nomination = scene.new()  # one file for 1.1, one for 1.3: delete the second
    for file in nomination.files:
        if file.criterion_id == second.id:
            file.deleted_at = IN_WINDOW
    db.session.flush()
    assert [f.criterion.code for f in nominations.live_files(nomination)] == ["1.1"]
    assert len(nominations.missing_for_submission(nomination)) == 1
    add_evidence(nomination, scene.clerk)
    assert nominations.missing_for_submission(nomination) == []


def test_criteria_without_an_evidence_requirement_need_no_file(db):
    filing = make_filing(evidence_required=False)
    unit = make_unit()
    head = make_user(R.UNIT_HEAD, unit=unit)
    nomination = make_nomination(filing, unit, head, evidence=False)
    make_submission(filing, unit, head, [nomination])
    assert nominations.missing_for_submission(nomination) == []
    workflow.transition(nomination, "submit", head, on=IN_WINDOW)
    assert nomination.state is S.SUBMITTED


WINDOW = [
    (OPENS - timedelta(days=1), None, REFUSED),
    (OPENS, None, OK),
    (CLOSES, None, OK),
    (CLOSES + timedelta(days=1), None, REFUSED),
    (CLOSES + timedelta(days=1), OWN, OK),
    (CLOSES + timedelta(days=10), OWN, OK),  # the extension's last day
    (CLOSES + timedelta(days=11), OWN, REFUSED),
    (CLOSES + timedelta(days=1), OTHER, REFUSED),  # another unit's extension
    (OPENS - timedelta(days=1), OWN, REFUSED),  # an extension does not open the window early
]


def test_the_nomination_window_and_extensions(scene):
    for on, extension, outcome in WINDOW:
        case = (on, extension)
        savepoint = _db.session.begin_nested()
        if extension is not None:
            _db.session.add(
                Extension(
                    round=scene.filing.round,
                    unit=scene.unit if extension == OWN else scene.other,
                    until=CLOSES + timedelta(days=10),
                    reason="Đơn vị bị ảnh hưởng bởi bão số 3",
                    granted_by_id=scene.board.id,
                )
            )
            _db.session.flush()
        assert workflow.can_file(scene.filing.round, scene.unit.id, on) is (outcome == OK), case
        assert attempt(scene.nomination, "submit", scene.head, on=on) == outcome, case
        if outcome == REFUSED:
            assert (scene.nomination.state, scene.used()) == (S.DRAFT, 0), case
            with pytest.raises(WorkflowError, match=CLOSES.strftime("%d/%m/%Y")):
                workflow.transition(scene.nomination, "submit", scene.head, on=on)
        else:
            assert (scene.nomination.state, scene.used()) == (S.SUBMITTED, 1), case
        savepoint.rollback()


def test_the_window_follows_the_civil_date_in_vietnam(scene, monkeypatch):
    """Without ``on``, the transition reads ``clock.today()``."""
    monkeypatch.setattr(clock, "today", lambda: CLOSES + timedelta(days=1))
    with pytest.raises(WorkflowError):
        workflow.transition(scene.nomination, "submit", scene.head)
    monkeypatch.setattr(clock, "today", lambda: CLOSES)
    workflow.transition(scene.nomination, "submit", scene.head)
    assert scene.nomination.state is S.SUBMITTED


@pytest.mark.parametrize("action", ACTIONS)
def test_every_action_is_refused_outside_its_phases(db, action):
    scene = Scene()
    source = next(iter(EDGES[action]))
    target = EDGES[action][source][0]
    role, where = sorted(WHO[action])[0]  # someone who may act
    actor = {
        (R.UNIT_CLERK, OWN): scene.clerk,
        (R.UNIT_HEAD, OWN): scene.head,
        (R.BOARD, OTHER): make_user(R.BOARD, unit=scene.other),
        (R.BOARD, NONE): scene.board,
        (R.APPROVER, NONE): scene.approver,
        (R.APPROVER, OTHER): make_user(R.APPROVER, unit=scene.other),
    }[role, where]
    nomination = bring_to(scene.nomination, source, head=scene.head, board=scene.board)
    used = scene.used()
    for phase in RoundPhase:
        scene.filing.round.phase = phase
        db.session.flush()
        savepoint = db.session.begin_nested()
        want = OK if phase in PHASES[action] else REFUSED
        assert attempt(nomination, action, actor) == want, phase
        if want == REFUSED:
            assert (nomination.state, scene.used()) == (source, used)
        else:
            assert nomination.state is target
        savepoint.rollback()


# --------------------------------------------------------------------------- return needs a reason


def test_return_needs_a_reason(scene):
    bring_to(scene.nomination, S.SUBMITTED, head=scene.head, board=scene.board)
    before = counts()
    for reason in ("", "   ", "\n\t "):
        with pytest.raises(WorkflowError, match="lý do"):
            workflow.transition(
                scene.nomination, "return", scene.board, reason=reason, on=IN_WINDOW
            )
        assert (scene.nomination.state, scene.used(), counts()) == (S.SUBMITTED, 1, before)
    event = workflow.transition(
        scene.nomination, "return", scene.board, reason=" Thiếu ", on=IN_WINDOW
    )
    assert (event.reason, scene.nomination.state) == ("Thiếu", S.RETURNED)


# --------------------------------------------------------------------------- quotas


def test_quota_taken_on_submit_and_given_back_on_return_and_withdraw(db):
    scene = Scene(quota_per_unit=2)
    a, b, c, d = scene.nomination, scene.new(), scene.new(), scene.new()
    head, board = scene.head, scene.board

    def submit(n: Nomination) -> str:
        return attempt(n, "submit", head)

    assert [submit(a), submit(b)] == [OK, OK]
    assert scene.used() == 2
    with pytest.raises(WorkflowError, match="hết chỉ tiêu"):
        workflow.transition(c, "submit", head, on=IN_WINDOW)
    assert (c.state, scene.used()) == (S.DRAFT, 2)

    assert attempt(d, "withdraw", head) == OK  # from draft: held no place
    assert scene.used() == 2
    assert attempt(a, "return", board) == OK
    assert scene.used() == 1
    assert submit(c) == OK
    assert scene.used() == 2
    assert attempt(a, "reopen", scene.clerk) == OK
    assert submit(a) == REFUSED  # full again
    assert attempt(b, "accept", board) == OK  # in review still holds its place
    assert scene.used() == 2
    assert attempt(c, "withdraw", head) == OK  # from submitted: gives it back
    assert scene.used() == 1
    assert attempt(a, "withdraw", head) == OK  # from draft (after reopen): nothing to give
    assert scene.used() == 1
    held = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Nomination)
        .where(Nomination.state.in_([S.SUBMITTED, S.IN_REVIEW]))
    )
    assert held == scene.used() == 1


def test_quotas_are_per_unit_and_per_award_form(db):
    scene = Scene(quota_per_unit=1)
    other_form = make_award_form(scene.filing, quota_per_unit=1)
    assert attempt(scene.nomination, "submit", scene.head) == OK
    assert attempt(scene.new(), "submit", scene.head) == REFUSED
    assert attempt(scene.new(form=other_form), "submit", scene.head) == OK

    other_head = make_user(R.UNIT_HEAD, unit=scene.other)
    theirs = make_nomination(scene.filing, scene.other, other_head)
    make_submission(scene.filing, scene.other, other_head, [theirs])
    assert attempt(theirs, "submit", other_head) == OK
    assert quota_used(scene.filing, scene.unit) == 1
    assert quota_used(scene.filing, scene.unit, other_form) == 1
    assert quota_used(scene.filing, scene.other) == 1


def test_a_zero_quota_admits_none_and_no_quota_admits_all(db):
    for quota, accepted in ((0, 0), (None, 4)):
        scene = Scene(quota_per_unit=quota)
        batch = [scene.nomination, scene.new(), scene.new(), scene.new()]
        outcomes = [attempt(n, "submit", scene.head) for n in batch]
        assert outcomes.count(OK) == scene.used() == accepted, quota


# --------------------------------------------------------------------------- optimistic locking


@pytest.fixture()
def engine(make_app: Callable[..., Flask]) -> Iterator[sa.Engine]:
    """An engine on which two sessions really are two connections: a temporary SQLite file (the
    in-memory suite database has one shared connection), or the suite's PostgreSQL database."""
    application = make_app()
    with application.app_context():
        yield _db.engine


def test_two_sessions_editing_one_nomination_the_second_is_refused(engine):
    nomination_id = Scene().nomination.id
    _db.session.commit()

    first = Session(engine, expire_on_commit=False)
    second = Session(engine, expire_on_commit=False)
    try:
        mine = first.get(Nomination, nomination_id)
        first.commit()  # a form rendered: the transaction ends, the object stays as loaded
        theirs = second.get(Nomination, nomination_id)
        second.commit()
        version = mine.version
        assert theirs.version == version

        mine.citation = "Có thành tích xuất sắc (bản sửa thứ nhất)"
        first.commit()
        assert mine.version == version + 1
        theirs.citation = "Có thành tích xuất sắc (bản sửa thứ hai)"
        with pytest.raises(StaleDataError):
            second.flush()
        second.rollback()
    finally:
        first.close()
        second.close()
    with Session(engine) as check:
        stored = check.get(Nomination, nomination_id)
        assert stored.version == version + 1
        assert stored.citation == "Có thành tích xuất sắc (bản sửa thứ nhất)"
