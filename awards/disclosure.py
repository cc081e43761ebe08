"""Public disclosure of a round's proposed list (DOMAIN.md §3.5; optional per round).

When the board moves a round into ``disclosure`` (``campaign_setup.set_round_phase``), ``open_window``
publishes the list: comments are accepted from that day to the end of the ``disclosure_days``-th working
day after it (weekends and Vietnamese public holidays excluded, ``awards/workdays.py``). The public page
shows each proposed collective and individual with its unit, award form and citation — nothing else
about a person. Comments (name, contact, text) are kept for the board, who answers each. The round
cannot leave ``disclosure``, and nothing can be approved, before the window has ended.

Services flush, never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from awards import workdays
from awards.extensions import db
from awards.text import clean
from models import (
    AwardForm,
    Nomination,
    NominationState,
    PublicComment,
    RecipientKind,
    Role,
    Round,
    RoundPhase,
    Unit,
    User,
    utcnow,
)

PUBLISHED_STATES = (NominationState.PROPOSED, NominationState.APPROVED)
MAX_NAME = 255
MAX_CONTACT = 255
MAX_BODY = 4000


class DisclosureError(ValueError):
    """Refused; ``str(error)`` tells the user why."""


def open_window(round_: Round, on: date) -> None:
    """Publish ``round_``'s list on ``on`` for ``round_.disclosure_days`` working days."""
    if not round_.disclosure_days:
        raise DisclosureError(str(_l("Đợt xét không có thời gian công khai lấy ý kiến.")))
    round_.disclosure_starts = on
    round_.disclosure_ends = workdays.add_working_days(on, round_.disclosure_days)


def is_open(round_: Round, on: date) -> bool:
    """Whether comments are accepted on ``on``."""
    return (
        round_.phase is RoundPhase.DISCLOSURE
        and round_.disclosure_starts is not None
        and round_.disclosure_ends is not None
        and round_.disclosure_starts <= on <= round_.disclosure_ends
    )


def has_ended(round_: Round, on: date) -> bool:
    return round_.disclosure_ends is not None and on > round_.disclosure_ends


def is_published(round_: Round) -> bool:
    """Whether the public list page of ``round_`` exists (published, and not yet decided)."""
    return round_.disclosure_starts is not None and round_.phase in (
        RoundPhase.DISCLOSURE,
        RoundPhase.APPROVING,
    )


def published_rounds() -> list[Round]:
    return [
        round_
        for round_ in db.session.scalars(
            sa.select(Round)
            .where(Round.disclosure_starts.is_not(None))
            .order_by(Round.disclosure_starts.desc())
        )
        if is_published(round_)
    ]


@dataclass(frozen=True)
class PublicRow:
    """What the public sees of a proposed nominee: no birth date, no citizen id, no contact."""

    nomination_id: int
    name: str
    kind: RecipientKind
    unit_name: str
    award_form: str
    citation: str


def public_list(round_: Round) -> list[PublicRow]:
    """The proposed list of ``round_``: award form, then collectives before individuals, by name."""
    rows = db.session.execute(
        sa.select(
            Nomination.id,
            Nomination.nominee_name,
            Nomination.kind,
            Unit.name,
            AwardForm.name,
            Nomination.citation,
        )
        .join(Unit, Unit.id == Nomination.unit_id)
        .join(AwardForm, AwardForm.id == Nomination.award_form_id)
        .where(Nomination.round_id == round_.id, Nomination.state.in_(PUBLISHED_STATES))
        .order_by(AwardForm.position, AwardForm.id, Nomination.kind, Nomination.search_name)
    )
    return [PublicRow(*row) for row in rows]


def add_comment(
    round_: Round,
    *,
    name: str,
    contact: str,
    body: str,
    nomination_id: int | None,
    client_addr: str,
    on: date,
) -> PublicComment:
    """Record a public comment while the window is open. Raises ``DisclosureError`` otherwise, or when
    a field is empty or too long, or the nomination is not on the published list."""
    if not is_open(round_, on):
        raise DisclosureError(str(_l("Thời gian lấy ý kiến của đợt xét này đã kết thúc.")))
    name, contact, body = clean(name), clean(contact), clean(body)
    if not name or not contact or not body:
        raise DisclosureError(
            str(_l("Vui lòng nhập họ tên, thông tin liên hệ và nội dung ý kiến."))
        )
    if len(name) > MAX_NAME or len(contact) > MAX_CONTACT or len(body) > MAX_BODY:
        raise DisclosureError(str(_l("Nội dung ý kiến quá dài.")))
    if nomination_id is not None:
        listed = db.session.scalar(
            sa.select(Nomination.id).where(
                Nomination.id == nomination_id,
                Nomination.round_id == round_.id,
                Nomination.state.in_(PUBLISHED_STATES),
            )
        )
        if listed is None:
            raise DisclosureError(str(_l("Tập thể, cá nhân được chọn không có trong danh sách.")))
    comment = PublicComment(
        round_id=round_.id,
        nomination_id=nomination_id,
        name=name,
        contact=contact,
        body=body,
        client_addr=client_addr[:64],
    )
    db.session.add(comment)
    db.session.flush()
    return comment


def comments_of(round_: Round) -> list[PublicComment]:
    return list(
        db.session.scalars(
            sa.select(PublicComment)
            .where(PublicComment.round_id == round_.id)
            .order_by(PublicComment.created_at, PublicComment.id)
        )
    )


def answer(comment: PublicComment, text: str, actor: User) -> None:
    """The board's answer to a comment (may be revised; the audit trail keeps every version)."""
    if not actor.has_role(Role.BOARD):
        raise DisclosureError(str(_l("Bạn không có quyền thực hiện thao tác này.")))
    text = clean(text)
    if not text:
        raise DisclosureError(str(_l("Vui lòng nhập nội dung trả lời.")))
    comment.answer = text
    comment.answered_by_id = actor.id
    comment.answered_at = utcnow()
    db.session.flush()
