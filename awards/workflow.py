"""The one function that moves a nomination from state to state (DESIGN.md §3).

``transition(nomination, action, actor, reason=...)`` is the only code that assigns
``Nomination.state``. It

1. looks the action up in ``TRANSITIONS`` (allowed source states, target state, roles that may act);
2. checks the actor: the role, and for unit roles that the nomination belongs to the actor's unit;
   the board and approvers never decide on their own unit's nominations (conflict of interest), nor on
   one they created themselves (segregation of duties, DESIGN.md §1);
3. checks the round: its phase, and for ``submit`` the nomination window (or the unit's extension);
4. applies the side effects: quota taken on entering a counted state and given back on leaving one,
   ``submitted_at``, a reference code on first submission;
5. records a ``NominationEvent`` (the visible history) and an audit event.

It flushes, never commits. Raises ``WorkflowError`` (a refusal to show the user) or its subclass
``NotPermitted`` (the actor may not do this at all: views answer 403).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from awards import audit, clock, nominations, quotas
from awards.extensions import db
from models import (
    APPROVAL_STATES,
    QUOTA_STATES,
    Extension,
    Nomination,
    NominationEvent,
    NominationState,
    Role,
    Round,
    RoundPhase,
    User,
    utcnow,
)

S = NominationState


class WorkflowError(ValueError):
    """The transition is refused; ``str(error)`` tells the user why (Vietnamese)."""


class NotPermitted(WorkflowError):
    """The actor may not perform this action on this nomination."""


@dataclass(frozen=True)
class Transition:
    sources: frozenset[NominationState]
    target: NominationState
    roles: frozenset[Role]
    phases: frozenset[RoundPhase]
    needs_reason: bool = False
    own_unit_only: bool = False  # unit roles act only on their own unit's nominations
    decision: bool = False  # a province-level decision: not by the nomination's unit or creator


_FILING = frozenset({RoundPhase.NOMINATING})
_INTAKE = frozenset({RoundPhase.NOMINATING, RoundPhase.REVIEWING})
_UNIT = frozenset({Role.UNIT_CLERK, Role.UNIT_HEAD})
_JUDGING = frozenset({RoundPhase.REVIEWING, RoundPhase.COUNCIL})
_APPROVING = frozenset({RoundPhase.APPROVING})
_DECIDED = frozenset({RoundPhase.APPROVING, RoundPhase.DECIDED, RoundPhase.CLOSED})
_APPROVER = frozenset({Role.APPROVER})

TRANSITIONS: dict[str, Transition] = {
    "submit": Transition(
        frozenset({S.DRAFT}), S.SUBMITTED, frozenset({Role.UNIT_HEAD}), _FILING, own_unit_only=True
    ),
    "reopen": Transition(frozenset({S.RETURNED}), S.DRAFT, _UNIT, _FILING, own_unit_only=True),
    "withdraw": Transition(
        frozenset({S.DRAFT, S.RETURNED, S.SUBMITTED}),
        S.WITHDRAWN,
        frozenset({Role.UNIT_HEAD}),
        _INTAKE,
        own_unit_only=True,
    ),
    "accept": Transition(
        frozenset({S.SUBMITTED}), S.IN_REVIEW, frozenset({Role.BOARD}), _INTAKE, decision=True
    ),
    "return": Transition(
        frozenset({S.SUBMITTED}),
        S.RETURNED,
        frozenset({Role.BOARD}),
        _INTAKE,
        needs_reason=True,
        decision=True,
    ),
    # Needs the campaign's minimum of submitted reviews (checked in ``_check``).
    "complete_scoring": Transition(
        frozenset({S.IN_REVIEW}), S.SCORED, frozenset({Role.BOARD}), _JUDGING, decision=True
    ),
    "propose": Transition(
        frozenset({S.SCORED}), S.PROPOSED, frozenset({Role.BOARD}), _JUDGING, decision=True
    ),
    # The approver (leader of Sở Nội vụ, signing for the chairman) decides each proposed item; the
    # total quota of the award form is taken again here (``quotas.take_total``). Not while a public
    # disclosure window is still open (checked in ``_check``). An approved item may still be rejected
    # until the decision is issued.
    "approve": Transition(
        frozenset({S.PROPOSED}), S.APPROVED, _APPROVER, _APPROVING, decision=True
    ),
    "reject": Transition(
        frozenset({S.PROPOSED, S.APPROVED}),
        S.REJECTED,
        _APPROVER,
        _APPROVING,
        needs_reason=True,
        decision=True,
    ),
    # Issuing the decision (``awards/decisions.py``) awards its items; revoking it (Law 06/2022 ch. VII)
    # revokes them. The items were decided one by one at approval: issuing and revoking act on the
    # signed document as a whole, so they are not refused for the signer's own unit.
    "award": Transition(frozenset({S.APPROVED}), S.AWARDED, _APPROVER, _DECIDED),
    "revoke": Transition(frozenset({S.AWARDED}), S.REVOKED, _APPROVER, _DECIDED, needs_reason=True),
}

ACTION_LABELS = {
    "create": _l("Tạo hồ sơ"),
    "submit": _l("Trình"),
    "reopen": _l("Mở lại để sửa"),
    "withdraw": _l("Rút hồ sơ"),
    "accept": _l("Tiếp nhận để chấm điểm"),
    "return": _l("Trả lại"),
    "complete_scoring": _l("Chốt điểm"),
    "propose": _l("Đề xuất khen thưởng"),
    "approve": _l("Phê duyệt"),
    "reject": _l("Không phê duyệt"),
    "award": _l("Ban hành quyết định khen thưởng"),
    "revoke": _l("Hủy bỏ khen thưởng"),
}


def allowed_actions(nomination: Nomination, actor: User) -> list[str]:
    """The actions ``actor`` could take on ``nomination`` now (for buttons; ``transition`` re-checks)."""
    actions = []
    for action in TRANSITIONS:
        try:
            _check(nomination, action, actor, reason="-", on=clock.today())
        except WorkflowError:
            continue
        actions.append(action)
    return actions


def can_file(round_: Round, unit_id: int, on: date) -> bool:
    """Whether a unit may still submit in ``round_`` on ``on`` (its window, or an extension)."""
    if round_.phase is not RoundPhase.NOMINATING or on < round_.nomination_opens:
        return False
    if on <= round_.nomination_closes:
        return True
    until = db.session.scalar(
        sa.select(Extension.until).where(
            Extension.round_id == round_.id, Extension.unit_id == unit_id
        )
    )
    return until is not None and on <= until


def disclosure_open(round_: Round, on: date) -> bool:
    """Whether ``round_``'s public comment window has opened and not yet ended on ``on``."""
    return round_.disclosure_ends is not None and on <= round_.disclosure_ends


def _check(nomination: Nomination, action: str, actor: User, reason: str, on: date) -> Transition:
    rule = TRANSITIONS.get(action)
    if rule is None:
        raise WorkflowError(str(_l("Thao tác không hợp lệ.")))
    if not actor.has_role(*rule.roles):
        raise NotPermitted(str(_l("Bạn không có quyền thực hiện thao tác này.")))
    if rule.own_unit_only and actor.unit_id != nomination.unit_id:
        raise NotPermitted(str(_l("Hồ sơ này không thuộc đơn vị của bạn.")))
    if rule.decision and (
        (actor.unit_id is not None and actor.unit_id == nomination.unit_id)
        or actor.id == nomination.created_by_id
    ):
        # Reuses the generic message: a dedicated one needs an entry in the translation catalogue.
        raise NotPermitted(str(_l("Bạn không có quyền thực hiện thao tác này.")))
    if nomination.state not in rule.sources:
        raise WorkflowError(
            str(_l("Không thể thực hiện thao tác này với hồ sơ ở trạng thái hiện tại."))
        )
    if nomination.round.phase not in rule.phases:
        raise WorkflowError(str(_l("Đợt xét không ở giai đoạn cho phép thao tác này.")))
    if action == "submit" and not can_file(nomination.round, nomination.unit_id, on):
        raise WorkflowError(
            str(
                _l(
                    "Đã hết hạn nộp hồ sơ của đợt xét (%(d)s). Đề nghị Ban Thi đua – Khen thưởng gia hạn cho đơn vị.",
                    d=nomination.round.nomination_closes.strftime("%d/%m/%Y"),
                )
            )
        )
    if action == "submit":
        if nomination.submission is None:
            raise WorkflowError(str(_l("Hồ sơ được trình qua Tờ trình của đơn vị.")))
        missing = nominations.missing_for_submission(nomination)
        if missing:
            raise WorkflowError(
                str(
                    _l(
                        "Hồ sơ %(ref)s chưa đủ để trình: %(what)s",
                        ref=nomination.reference,
                        what=" ".join(missing),
                    )
                )
            )
    if action == "complete_scoring" and (
        nomination.reviews_submitted < nomination.round.campaign.min_reviews
    ):
        raise WorkflowError(
            str(
                _l(
                    "Hồ sơ %(ref)s mới có %(n)d/%(min)d phiếu chấm đã nộp: chưa thể chốt điểm.",
                    ref=nomination.reference,
                    n=nomination.reviews_submitted,
                    min=nomination.round.campaign.min_reviews,
                )
            )
        )
    if action == "approve" and disclosure_open(nomination.round, on):
        raise WorkflowError(
            str(
                _l(
                    "Đợt xét đang công khai lấy ý kiến đến hết ngày %(d)s: chưa thể phê duyệt.",
                    d=nomination.round.disclosure_ends.strftime("%d/%m/%Y"),
                )
            )
        )
    if rule.needs_reason and not reason.strip():
        raise WorkflowError(str(_l("Vui lòng nêu lý do.")))
    return rule


def transition(
    nomination: Nomination, action: str, actor: User, *, reason: str = "", on: date | None = None
) -> NominationEvent:
    """Perform ``action`` on ``nomination`` as ``actor`` (see the module docstring for every effect)."""
    on = on or clock.today()
    rule = _check(nomination, action, actor, reason, on)
    source = nomination.state
    target = rule.target
    if target in QUOTA_STATES and source not in QUOTA_STATES:
        if not quotas.take(nomination):
            raise WorkflowError(
                str(
                    _l(
                        "Đơn vị đã dùng hết chỉ tiêu “%(form)s” của đợt xét (%(n)d hồ sơ).",
                        form=nomination.award_form.name,
                        n=nomination.award_form.quota_per_unit,
                    )
                )
            )
    elif source in QUOTA_STATES and target not in QUOTA_STATES:
        quotas.give_back(nomination)
    if target in APPROVAL_STATES and source not in APPROVAL_STATES:
        if not quotas.take_total(nomination):
            raise WorkflowError(
                str(
                    _l(
                        "Đã phê duyệt đủ chỉ tiêu “%(form)s” của đợt xét (%(n)d): không thể phê duyệt thêm hồ sơ %(ref)s.",
                        form=nomination.award_form.name,
                        n=nomination.award_form.quota_total,
                        ref=nomination.reference,
                    )
                )
            )
    elif source in APPROVAL_STATES and target not in APPROVAL_STATES:
        quotas.give_back_total(nomination)
    if action == "submit":
        nomination.submitted_at = utcnow()
    nomination.state = target
    event = NominationEvent(
        nomination=nomination,
        action=action,
        from_state=source,
        to_state=target,
        actor_id=actor.id,
        reason=reason.strip(),
    )
    db.session.add(event)
    db.session.flush()
    if nomination.reference is None:
        nomination.reference = f"{nomination.round.code}-{nomination.id:06d}"
    audit.record(
        f"nomination.{action}",
        "nominations",
        nomination.id,
        before={"state": source},
        after={"state": target, "reason": reason.strip()} if reason.strip() else {"state": target},
        actor=actor,
    )
    return event
