"""The approver's decision on the proposed list of a round (DESIGN.md §3, issue 5).

The board has proposed nominations from the ranking (``awards/ranking.py: propose_within_quota``); the
approver (leader of Sở Nội vụ, signing for the chairman) approves or rejects each item, with a reason for
a rejection, or approves the whole remaining list. Every move goes through ``workflow.transition``, which

* refuses items of the approver's own unit and items they filed (conflict of interest, segregation of
  duties) and any approval while the round's public comment window is open;
* takes the award form's total quota again, with one atomic UPDATE (``quotas.take_total``): concurrent
  approvers can never approve more than the quota, on SQLite and PostgreSQL.

Each item is decided in its own SAVEPOINT, so one refusal (quota full, say) does not undo the others;
the result says what was done and why the rest was not. Outcomes are told to the proposing unit
(``notifications.notify_unit``). Services flush, never commit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa
from flask import url_for
from flask_babel import lazy_gettext as _l

from awards import clock, notifications, quotas, workflow
from awards.extensions import db
from models import (
    AwardForm,
    Nomination,
    NominationState,
    RecipientKind,
    Round,
    Unit,
    User,
)

S = NominationState
# What the approval page lists: proposed items and those already decided in this phase.
LISTED = (S.PROPOSED, S.APPROVED, S.REJECTED, S.AWARDED)


@dataclass
class Item:
    nomination_id: int
    reference: str
    name: str
    kind: RecipientKind
    unit_id: int
    unit_name: str
    score: Decimal | None
    citation: str
    state: NominationState
    version: int
    decidable: bool  # the viewer may approve or reject it (not their own unit, not filed by them)


@dataclass
class UnitCount:
    unit_name: str
    proposed: int = 0
    approved: int = 0


@dataclass
class FormSection:
    """One award form's part of the proposed list, with its totals and quota use."""

    form: AwardForm
    items: list[Item] = field(default_factory=list)
    units: list[UnitCount] = field(default_factory=list)
    approved_total: int = 0  # the total-quota counter (approved + awarded)

    def count(self, *states: NominationState) -> int:
        return sum(1 for item in self.items if item.state in states)

    @property
    def collectives(self) -> int:
        return sum(
            1
            for item in self.items
            if item.kind is RecipientKind.COLLECTIVE and item.state is not S.REJECTED
        )

    @property
    def individuals(self) -> int:
        return sum(
            1
            for item in self.items
            if item.kind is RecipientKind.INDIVIDUAL and item.state is not S.REJECTED
        )

    @property
    def quota_left(self) -> int | None:
        if self.form.quota_total is None:
            return None
        return max(self.form.quota_total - self.approved_total, 0)


def _decidable(nomination_unit: int, created_by: int, viewer: User) -> bool:
    return viewer.unit_id != nomination_unit and viewer.id != created_by


def proposed_list(round_: Round, viewer: User) -> list[FormSection]:
    """The round's proposed list per award form (items ordered by score, then reference), with
    per-unit counts and the quota use. One query for the items, one per form for the counter."""
    rows = db.session.execute(
        sa.select(Nomination, Unit.name)
        .join(Unit, Unit.id == Nomination.unit_id)
        .where(Nomination.round_id == round_.id, Nomination.state.in_(LISTED))
        .order_by(
            Nomination.award_form_id,
            Nomination.score.desc().nulls_last(),
            Nomination.reference,
        )
    ).all()
    forms = sorted(round_.campaign.award_forms, key=lambda form: (form.position, form.id))
    sections = {form.id: FormSection(form=form) for form in forms}
    per_unit: dict[int, dict[int, UnitCount]] = defaultdict(dict)
    for nomination, unit_name in rows:
        section = sections.get(nomination.award_form_id)
        if section is None:
            continue
        section.items.append(
            Item(
                nomination_id=nomination.id,
                reference=nomination.reference or "",
                name=nomination.nominee_name,
                kind=nomination.kind,
                unit_id=nomination.unit_id,
                unit_name=unit_name,
                score=nomination.score,
                citation=nomination.citation,
                state=nomination.state,
                version=nomination.version,
                decidable=_decidable(nomination.unit_id, nomination.created_by_id, viewer),
            )
        )
        count = per_unit[nomination.award_form_id].setdefault(
            nomination.unit_id, UnitCount(unit_name)
        )
        if nomination.state is not S.REJECTED:
            count.proposed += 1
        if nomination.state in (S.APPROVED, S.AWARDED):
            count.approved += 1
    for form_id, section in sections.items():
        section.units = sorted(per_unit[form_id].values(), key=lambda c: c.unit_name)
        section.approved_total = quotas.approved(round_.id, form_id)
    return [section for section in sections.values() if section.items]


@dataclass
class Outcome:
    approved: int = 0
    rejected: int = 0
    refused: list[tuple[str, str]] = field(default_factory=list)  # (reference, why)


def _tell_unit(nomination: Nomination, action: str, reason: str) -> None:
    link = url_for("nominations.detail", nomination_id=nomination.id)
    form_name = nomination.award_form.name
    if action == "approve":

        def message() -> str:
            return str(
                _l(
                    "Hồ sơ %(ref)s (%(name)s) đã được phê duyệt đề nghị tặng %(form)s.",
                    ref=nomination.reference,
                    name=nomination.nominee_name,
                    form=form_name,
                )
            )
    else:

        def message() -> str:
            return str(
                _l(
                    "Hồ sơ %(ref)s (%(name)s) không được phê duyệt đề nghị tặng %(form)s. Lý do: %(reason)s",
                    ref=nomination.reference,
                    name=nomination.nominee_name,
                    form=form_name,
                    reason=reason,
                )
            )

    notifications.notify_unit(nomination.unit_id, message, link)


def decide(
    round_: Round,
    actor: User,
    approve: Iterable[int] = (),
    reject: Mapping[int, str] | None = None,
) -> Outcome:
    """Approve the nominations ``approve`` and reject those of ``reject`` (id → reason) in ``round_``.

    Ids outside the round are ignored. Each item is moved in its own SAVEPOINT through
    ``workflow.transition``; refusals are collected with their reason, never raised — except
    ``NotPermitted`` for an actor without the approver role (nothing is done then)."""
    reject = dict(reject or {})
    if not actor.has_role(*workflow.TRANSITIONS["approve"].roles):
        raise workflow.NotPermitted(str(_l("Bạn không có quyền thực hiện thao tác này.")))
    wanted = {int(i): ("approve", "") for i in approve}
    wanted.update({int(i): ("reject", reason) for i, reason in reject.items()})
    if not wanted:
        return Outcome()
    nominations = db.session.scalars(
        sa.select(Nomination)
        .where(Nomination.round_id == round_.id, Nomination.id.in_(wanted))
        .order_by(Nomination.score.desc().nulls_last(), Nomination.id)
    ).all()
    # Rejections first: a place in the total quota that one frees is there for this batch's approvals.
    nominations = sorted(nominations, key=lambda n: wanted[n.id][0] == "approve")
    outcome = Outcome()
    today = clock.today()
    for nomination in nominations:
        action, reason = wanted[nomination.id]
        try:
            with db.session.begin_nested():
                workflow.transition(nomination, action, actor, reason=reason, on=today)
        except workflow.WorkflowError as error:
            outcome.refused.append((nomination.reference or str(nomination.id), str(error)))
            continue
        _tell_unit(nomination, action, reason)
        if action == "approve":
            outcome.approved += 1
        else:
            outcome.rejected += 1
    return outcome


def approve_all(round_: Round, award_form: AwardForm, actor: User) -> Outcome:
    """Approve every proposed item of ``award_form`` in ``round_`` that ``actor`` may decide, best
    score first, while the total quota allows; the rest is reported as refused."""
    ids = db.session.scalars(
        sa.select(Nomination.id).where(
            Nomination.round_id == round_.id,
            Nomination.award_form_id == award_form.id,
            Nomination.state == S.PROPOSED,
        )
    ).all()
    return decide(round_, actor, approve=ids)
