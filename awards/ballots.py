"""The provincial council's ballot (DOMAIN.md §3.4): a session for a round, its members' attendance, one
yes/no per member and nomination, the tally against each award form's threshold, and the minutes.

Rules kept here:

* **Members** are council members (users with ``Role.REVIEWER``), fixed when the ballot is opened.
* **Quorum**: present members ≥ ``quorum_percent`` % of all members. Members who are absent but gave a
  written opinion (``Attendance.WRITTEN``) vote, yet do not count as present.
* **Votes**: one per member and nomination (``uq_ballot_votes_member`` is the last line); a member may
  change their vote while the ballot is open. Only members present or with a written opinion vote; a
  written opinion may be recorded by the board on the member's behalf (the audit event names the board
  user as the actor). Only nominations of the ballot's round in state ``scored`` are voted on.
* **Conflict of interest**: nobody votes on a nomination of their own unit. The voting list leaves those
  out in its query, and ``vote_refusal`` (used by ``cast_vote``) repeats the rule.
* **Threshold** per award form: ``ballot_base`` ALL_MEMBERS counts yes over every member of the ballot,
  VOTING over the votes cast. A threshold of exactly 50 % means "more than half" (the council "decides by
  majority", DOMAIN.md §3.4); any other threshold means "at least" (≥ 80 %, ≥ 90 % for higher titles).
  A nomination passes when the quorum is met and the share reaches its threshold.

Services flush, never commit. Refusals raise ``BallotError`` (a message for the user) or its subclass
``BallotNotPermitted`` (the actor may not do this at all: views answer 403).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from awards import assignment, audit
from awards.extensions import db
from awards.templating import long_date
from models import (
    Attendance,
    AwardForm,
    Ballot,
    BallotBase,
    BallotMember,
    BallotState,
    BallotVote,
    Nomination,
    NominationState,
    RecipientKind,
    Role,
    Round,
    Unit,
    User,
    UserRole,
    utcnow,
)

VOTING_ATTENDANCE = frozenset({Attendance.PRESENT, Attendance.WRITTEN})
MAJORITY = Decimal(50)


class BallotError(ValueError):
    """The request is refused; ``str(error)`` tells the user why (Vietnamese)."""


class BallotNotPermitted(BallotError):
    """The actor may not do this at all."""


# --------------------------------------------------------------------------- predicates


def is_board(user: User) -> bool:
    return user.has_role(Role.BOARD)


def member_of(ballot: Ballot, user: User) -> BallotMember | None:
    return db.session.scalar(
        sa.select(BallotMember).where(
            BallotMember.ballot_id == ballot.id, BallotMember.user_id == user.id
        )
    )


def is_conflicted(nomination: Nomination, member: User) -> bool:
    """A member never votes where they may not score: the one conflict-of-interest rule of
    ``awards.assignment`` (own unit, its ancestors and descendants, the filer, the nominee in person);
    the voting list's query applies the same rule in SQL."""
    return assignment.is_conflicted(member, nomination)


def vote_refusal(
    ballot: Ballot, nomination: Nomination, member: User, by: User | None = None
) -> str | None:
    """Why ``by`` (default: the member) may not record ``member``'s vote on ``nomination``; None if
    they may. The checks of ``cast_vote``, for pages that want to know before posting."""
    by = by or member
    if ballot.state is not BallotState.OPEN:
        return str(_l("Phiên họp đã kết thúc biểu quyết, không thể ghi nhận phiếu."))
    row = member_of(ballot, member)
    if row is None:
        return str(_l("Người này không phải thành viên của phiên họp."))
    if by.id != member.id:
        if not is_board(by):
            return str(_l("Bạn không có quyền thực hiện thao tác này."))
        if row.attendance is not Attendance.WRITTEN:
            return str(_l("Chỉ ghi phiếu thay cho thành viên vắng mặt có ý kiến bằng văn bản."))
    elif row.attendance not in VOTING_ATTENDANCE:
        return str(_l("Thành viên vắng mặt không có ý kiến bằng văn bản không biểu quyết."))
    if nomination.round_id != ballot.round_id:
        return str(_l("Hồ sơ này không thuộc đợt xét của phiên họp."))
    if nomination.state is not NominationState.SCORED:
        return str(_l("Chỉ biểu quyết hồ sơ đã chấm điểm xong."))
    if is_conflicted(nomination, member):
        return str(_l("Thành viên không biểu quyết hồ sơ của đơn vị mình (xung đột lợi ích)."))
    return None


# --------------------------------------------------------------------------- the session


def _require_board(by: User) -> None:
    if not is_board(by):
        raise BallotNotPermitted(str(_l("Bạn không có quyền thực hiện thao tác này.")))


def _require_open(ballot: Ballot) -> None:
    if ballot.state is not BallotState.OPEN:
        raise BallotError(str(_l("Phiên họp đã kết thúc biểu quyết, không thể ghi nhận phiếu.")))


def council_members() -> list[User]:
    """Active users who may sit on the council (reviewers), by name."""
    return list(
        db.session.scalars(
            sa.select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == Role.REVIEWER, User.active.is_(True))
            .order_by(User.full_name, User.id)
        )
    )


def open_ballot(
    round_: Round,
    *,
    title: str,
    held_on: date,
    place: str,
    chair_name: str,
    secretary_name: str,
    quorum_percent: Decimal | int = 80,
    member_ids: Iterable[int],
    by: User,
) -> Ballot:
    """Open a council session for ``round_`` with the given members, all marked present.

    Adds a ``Ballot`` and its ``BallotMember`` rows. Raises ``BallotNotPermitted`` unless ``by`` is of
    the board, ``BallotError`` when no member is named, a member is not an active council member
    (reviewer), or the quorum is outside 1–100 %.
    """
    _require_board(by)
    ids = sorted(set(member_ids))
    if not ids:
        raise BallotError(str(_l("Chọn ít nhất một thành viên Hội đồng.")))
    quorum = Decimal(quorum_percent)
    if not Decimal(0) < quorum <= Decimal(100):
        raise BallotError(str(_l("Tỷ lệ có mặt tối thiểu phải từ 1 đến 100%.")))
    valid = set(
        db.session.scalars(
            sa.select(User.id)
            .join(UserRole, UserRole.user_id == User.id)
            .where(User.id.in_(ids), UserRole.role == Role.REVIEWER, User.active.is_(True))
        )
    )
    if valid != set(ids):
        raise BallotError(
            str(_l("Thành viên phiên họp phải là thành viên Hội đồng đang hoạt động."))
        )
    ballot = Ballot(
        round_id=round_.id,
        title=title.strip(),
        held_on=held_on,
        place=place.strip(),
        chair_name=chair_name.strip(),
        secretary_name=secretary_name.strip(),
        quorum_percent=quorum,
        created_by_id=by.id,
    )
    ballot.members = [BallotMember(user_id=user_id) for user_id in ids]
    db.session.add(ballot)
    db.session.flush()
    return ballot


def set_attendance(ballot: Ballot, user: User, attendance: Attendance, *, by: User) -> BallotMember:
    """Mark ``user``'s attendance. Votes of a member later marked absent stay stored but no longer
    count. Raises ``BallotNotPermitted`` unless ``by`` is of the board, ``BallotError`` when the ballot
    is closed or ``user`` is not a member."""
    _require_board(by)
    _require_open(ballot)
    row = member_of(ballot, user)
    if row is None:
        raise BallotError(str(_l("Người này không phải thành viên của phiên họp.")))
    row.attendance = attendance
    db.session.flush()
    return row


def cast_vote(
    ballot: Ballot, nomination: Nomination, member: User, approve: bool, by: User
) -> BallotVote:
    """Record (or change) ``member``'s vote on ``nomination``; ``by`` is the member or, for a written
    opinion, the board user recording it (the audit event names ``by``).

    Inserts or updates one ``BallotVote``. Raises ``BallotNotPermitted`` when ``by`` records for
    someone else without being of the board, ``BallotError`` for every other refusal
    (see ``vote_refusal``).
    """
    refusal = vote_refusal(ballot, nomination, member, by)
    if refusal is not None:
        if by.id != member.id and not is_board(by):
            raise BallotNotPermitted(refusal)
        raise BallotError(refusal)
    key = (
        BallotVote.ballot_id == ballot.id,
        BallotVote.nomination_id == nomination.id,
        BallotVote.user_id == member.id,
    )
    vote = db.session.scalar(sa.select(BallotVote).where(*key))
    if vote is None:
        try:
            with db.session.begin_nested():
                vote = BallotVote(
                    ballot_id=ballot.id,
                    nomination_id=nomination.id,
                    user_id=member.id,
                    approve=approve,
                )
                db.session.add(vote)
        except IntegrityError:
            # A concurrent request of the same member inserted first: the UNIQUE constraint held,
            # so this request changes that vote instead.
            vote = db.session.scalars(sa.select(BallotVote).where(*key)).one()
    if vote.approve != approve:
        vote.approve = approve
        vote.cast_at = utcnow()
    db.session.flush()
    if by.id != member.id:
        audit.record(
            "ballot.written_vote",
            "ballot_votes",
            vote.id,
            after={"member_id": member.id, "approve": approve},
            actor=by,
        )
    return vote


def cast_votes(ballot: Ballot, member: User, choices: Mapping[int, bool], by: User) -> int:
    """Record ``member``'s votes on several nominations at once (``{nomination_id: approve}``), all or
    nothing: the first refusal raises (the caller rolls back). Returns the number recorded."""
    if not choices:
        return 0
    nominations = {
        n.id: n for n in db.session.scalars(sa.select(Nomination).where(Nomination.id.in_(choices)))
    }
    for nomination_id, approve in choices.items():
        nomination = nominations.get(nomination_id)
        if nomination is None:
            raise BallotError(str(_l("Hồ sơ này không thuộc đợt xét của phiên họp.")))
        cast_vote(ballot, nomination, member, approve, by)
    return len(choices)


def close_ballot(ballot: Ballot, by: User) -> Ballot:
    """End voting: the ballot becomes closed and its tally final. Raises ``BallotNotPermitted`` unless
    ``by`` is of the board, ``BallotError`` when it is already closed."""
    _require_board(by)
    _require_open(ballot)
    ballot.state = BallotState.CLOSED
    ballot.closed_at = utcnow()
    db.session.flush()
    return ballot


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class VoteItem:
    nomination: Nomination
    approve: bool | None  # the member's current vote, None if not yet cast


def voting_list(ballot: Ballot, member: User) -> list[VoteItem]:
    """The nominations ``member`` may vote on in ``ballot`` (round's scored ones, own unit's excluded
    in the query), with the vote already cast, by award form and name."""
    query = (
        sa.select(Nomination, BallotVote.approve)
        .options(joinedload(Nomination.unit), joinedload(Nomination.award_form))
        .join(AwardForm, AwardForm.id == Nomination.award_form_id)
        .outerjoin(
            BallotVote,
            sa.and_(
                BallotVote.nomination_id == Nomination.id,
                BallotVote.ballot_id == ballot.id,
                BallotVote.user_id == member.id,
            ),
        )
        .where(
            Nomination.round_id == ballot.round_id,
            Nomination.state == NominationState.SCORED,
        )
        .order_by(AwardForm.position, AwardForm.id, Nomination.kind, Nomination.nominee_name)
    )
    query = query.where(~sa.exists().where(User.id == member.id, assignment.conflict_clause()))
    return [VoteItem(nomination, approve) for nomination, approve in db.session.execute(query)]


def members_of(ballot: Ballot) -> list[tuple[BallotMember, User, Unit | None]]:
    """The members with their user and unit, by name."""
    rows = db.session.execute(
        sa.select(BallotMember, User, Unit)
        .join(User, User.id == BallotMember.user_id)
        .outerjoin(Unit, Unit.id == User.unit_id)
        .where(BallotMember.ballot_id == ballot.id)
        .order_by(User.full_name, User.id)
    )
    return [(m, u, unit) for m, u, unit in rows]


def ballots_of(round_: Round) -> list[Ballot]:
    return list(
        db.session.scalars(
            sa.select(Ballot)
            .options(selectinload(Ballot.members))
            .where(Ballot.round_id == round_.id)
            .order_by(Ballot.held_on.desc(), Ballot.id.desc())
        )
    )


def ballots_of_member(user: User) -> list[Ballot]:
    """The ballots ``user`` sits on, open ones first, newest first."""
    return list(
        db.session.scalars(
            sa.select(Ballot)
            .options(joinedload(Ballot.round))
            .join(BallotMember, BallotMember.ballot_id == Ballot.id)
            .where(BallotMember.user_id == user.id)
            .order_by(Ballot.state.desc(), Ballot.held_on.desc(), Ballot.id.desc())
        )
    )


# --------------------------------------------------------------------------- the tally


@dataclass(frozen=True)
class TallyRow:
    nomination_id: int
    reference: str
    nominee_name: str
    kind: RecipientKind
    unit_name: str
    position: str
    workplace: str
    award_form_id: int
    award_form_name: str
    award_form_position: int
    threshold: Decimal
    base: BallotBase
    yes: int
    no: int
    members: int
    present: int
    quorum_percent: Decimal

    @property
    def votes(self) -> int:
        return self.yes + self.no

    @property
    def base_count(self) -> int:
        """What the share is counted over: every member, or the votes cast."""
        return self.members if self.base is BallotBase.ALL_MEMBERS else self.votes

    @property
    def percent(self) -> Decimal:
        """yes / base × 100, to two places (0 when nobody counts)."""
        if not self.base_count:
            return Decimal(0)
        return (Decimal(self.yes) * 100 / self.base_count).quantize(Decimal("0.01"), ROUND_HALF_UP)

    @property
    def quorum_met(self) -> bool:
        return quorum_met(self.present, self.members, self.quorum_percent)

    @property
    def reaches_threshold(self) -> bool:
        return reaches_threshold(self.yes, self.base_count, self.threshold)

    @property
    def passed(self) -> bool:
        return self.quorum_met and self.reaches_threshold


def quorum_met(present: int, members: int, quorum_percent: Decimal) -> bool:
    """present ≥ quorum % of members, compared exactly (no rounding): 8 of 10 meets 80 %."""
    return members > 0 and Decimal(present) * 100 >= Decimal(quorum_percent) * members


def reaches_threshold(yes: int, base: int, threshold: Decimal) -> bool:
    """yes / base against the threshold, exactly: a 50 % threshold is a majority (more than half),
    any other threshold is reached at or above it."""
    if base <= 0:
        return False
    share, needed = Decimal(yes) * 100, Decimal(threshold) * base
    return share > needed if Decimal(threshold) == MAJORITY else share >= needed


def tally(ballot: Ballot) -> list[TallyRow]:
    """One row per nomination on the ballot (the round's scored nominations, and any nomination that
    has counted votes), computed by one GROUP BY query: yes and no among members present or with a
    written opinion, with the members and present counts as scalar subqueries."""
    voting_members = sa.select(BallotMember.user_id).where(
        BallotMember.ballot_id == ballot.id,
        BallotMember.attendance.in_([a.value for a in VOTING_ATTENDANCE]),
    )
    members_total = (
        sa.select(sa.func.count(BallotMember.id))
        .where(BallotMember.ballot_id == ballot.id)
        .scalar_subquery()
    )
    present_total = (
        sa.select(sa.func.count(BallotMember.id))
        .where(
            BallotMember.ballot_id == ballot.id,
            BallotMember.attendance == Attendance.PRESENT,
        )
        .scalar_subquery()
    )
    yes = sa.func.coalesce(sa.func.sum(sa.case((BallotVote.approve.is_(True), 1), else_=0)), 0)
    no = sa.func.coalesce(sa.func.sum(sa.case((BallotVote.approve.is_(False), 1), else_=0)), 0)
    query = (
        sa.select(
            Nomination.id,
            Nomination.reference,
            Nomination.nominee_name,
            Nomination.kind,
            Unit.name,
            Nomination.position,
            Nomination.workplace,
            AwardForm.id,
            AwardForm.name,
            AwardForm.position,
            AwardForm.ballot_threshold,
            AwardForm.ballot_base,
            yes,
            no,
            members_total,
            present_total,
        )
        .join(AwardForm, AwardForm.id == Nomination.award_form_id)
        .join(Unit, Unit.id == Nomination.unit_id)
        .outerjoin(
            BallotVote,
            sa.and_(
                BallotVote.nomination_id == Nomination.id,
                BallotVote.ballot_id == ballot.id,
                BallotVote.user_id.in_(voting_members),
            ),
        )
        .where(Nomination.round_id == ballot.round_id)
        .group_by(
            Nomination.id,
            Nomination.reference,
            Nomination.nominee_name,
            Nomination.kind,
            Unit.name,
            Nomination.position,
            Nomination.workplace,
            AwardForm.id,
            AwardForm.name,
            AwardForm.position,
            AwardForm.ballot_threshold,
            AwardForm.ballot_base,
            Nomination.state,
        )
        .having(
            sa.or_(Nomination.state == NominationState.SCORED, sa.func.count(BallotVote.id) > 0)
        )
        .order_by(AwardForm.position, AwardForm.id, Nomination.kind, Nomination.nominee_name)
    )
    quorum = Decimal(ballot.quorum_percent)
    return [
        TallyRow(
            nomination_id=row[0],
            reference=row[1] or "",
            nominee_name=row[2],
            kind=row[3],
            unit_name=row[4],
            position=row[5] or "",
            workplace=row[6] or "",
            award_form_id=row[7],
            award_form_name=row[8],
            award_form_position=row[9],
            threshold=Decimal(row[10]),
            base=row[11],
            yes=int(row[12]),
            no=int(row[13]),
            members=int(row[14] or 0),
            present=int(row[15] or 0),
            quorum_percent=quorum,
        )
        for row in db.session.execute(query)
    ]


def latest_closed(round_: Round) -> Ballot | None:
    """The round's most recently closed council session, if any: its result is what counts."""
    return db.session.scalar(
        sa.select(Ballot)
        .where(Ballot.round_id == round_.id, Ballot.state == BallotState.CLOSED)
        .order_by(Ballot.closed_at.desc(), Ballot.id.desc())
        .limit(1)
    )


def passed_nomination_ids(ballot: Ballot) -> list[int]:
    """The nominations the council approved in ``ballot`` (quorum met, threshold reached): what feeds
    the proposal. Reads the tally as it stands: the proposal step should read a closed ballot."""
    return [row.nomination_id for row in tally(ballot) if row.passed]


# --------------------------------------------------------------------------- the minutes


def _percent_text(value: Decimal) -> str:
    """Vietnamese percentage: 85,71 — 100 — 66,67."""
    text = format(value.normalize(), "f") if value != value.to_integral() else str(int(value))
    return text.replace(".", ",")


def _share(part: int, whole: int) -> Decimal:
    if not whole:
        return Decimal(0)
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.01"), ROUND_HALF_UP)


def _rule_text(threshold: Decimal, base: BallotBase) -> str:
    over = (
        "tổng số thành viên Hội đồng" if base is BallotBase.ALL_MEMBERS else "số phiếu biểu quyết"
    )
    if Decimal(threshold) == MAJORITY:
        return f"trên 50% {over} đồng ý"
    return f"từ {_percent_text(Decimal(threshold))}% {over} đồng ý trở lên"


def minutes_data(
    ballot: Ballot,
    *,
    place: str = "Bắc Ninh",
    superior: str = "UBND TỈNH BẮC NINH",
    council: str = "HỘI ĐỒNG THI ĐUA – KHEN THƯỞNG",
) -> dict[str, Any]:
    """The plain values of the minutes (biên bản) of ``ballot``: header, session, attendance, the tally
    per award form and the conclusion. Reads the members once and the tally once."""
    campaign = ballot.round.campaign
    members = members_of(ballot)
    rows = tally(ballot)
    total = len(members)
    present = sum(1 for m, _u, _unit in members if m.attendance is Attendance.PRESENT)
    written = [
        {"name": u.full_name, "unit": unit.name if unit else ""}
        for m, u, unit in members
        if m.attendance is Attendance.WRITTEN
    ]
    absent = [
        {"name": u.full_name, "unit": unit.name if unit else ""}
        for m, u, unit in members
        if m.attendance is Attendance.ABSENT
    ]
    met = quorum_met(present, total, Decimal(ballot.quorum_percent))
    forms: list[dict[str, Any]] = []
    for row in rows:
        if not forms or forms[-1]["id"] != row.award_form_id:
            forms.append(
                {
                    "id": row.award_form_id,
                    "name": row.award_form_name,
                    "rule": _rule_text(row.threshold, row.base),
                    "rows": [],
                }
            )
        place_of = row.unit_name
        if row.kind is RecipientKind.INDIVIDUAL:
            place_of = ", ".join(p for p in (row.position, row.workplace or row.unit_name) if p)
        forms[-1]["rows"].append(
            {
                "name": row.nominee_name,
                "kind": "Tập thể" if row.kind is RecipientKind.COLLECTIVE else "Cá nhân",
                "unit": place_of,
                "yes": row.yes,
                "no": row.no,
                "percent": _percent_text(row.percent),
                "passed": row.passed,
                "result": "Đạt" if row.passed else "Không đạt",
            }
        )
    passed = [r for r in rows if r.passed]
    title = ballot.title.strip() or f"đợt {ballot.round.name}"
    return {
        "superior": superior,
        "council": council,
        "place": place,
        "date_line": long_date(ballot.held_on),
        "title": title,
        "subject": (
            f"Họp Hội đồng Thi đua – Khen thưởng tỉnh xét khen thưởng {title} "
            f"trong phong trào thi đua “{campaign.name}”"
        ),
        "held_on": ballot.held_on.strftime("%d/%m/%Y"),
        "held_on_long": long_date(ballot.held_on),
        "meeting_place": ballot.place,
        "chair": ballot.chair_name,
        "secretary": ballot.secretary_name,
        "members_total": total,
        "present": present,
        "present_percent": _percent_text(_share(present, total)),
        "quorum_percent": _percent_text(Decimal(ballot.quorum_percent)),
        "quorum_met": met,
        "written": written,
        "absent": absent,
        "forms": forms,
        "passed_count": len(passed),
        "considered": len(rows),
        "closed": ballot.state is BallotState.CLOSED,
    }
