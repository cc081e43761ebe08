"""The council ballot (``awards/ballots.py``, ``awards/ballot_views.py``): quorum, thresholds over all
members or over the votes cast, the majority rule, one vote per member and nomination, conflict of
interest, the tally's single query, the minutes PDF, and the pages. Access: tests/access_rules/ballots.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from pypdf import PdfReader

from awards import ballots
from awards.ballots import BallotError, BallotNotPermitted
from awards.extensions import db
from exports.minutes import minutes_filename, render_minutes
from models import (
    Attendance,
    AuditEvent,
    AwardForm,
    Ballot,
    BallotBase,
    BallotState,
    BallotVote,
    Nomination,
    NominationState,
    Role,
    Unit,
    User,
)
from tests import factories as f
from tests.conftest import login

HELD_ON = date(2025, 10, 3)


@dataclass
class Council:
    filing: f.Filing
    units: list[Unit]
    heads: list[User]
    members: list[User]
    nominations: list[Nomination] = field(default_factory=list)

    @property
    def board(self) -> User:
        return self.filing.board

    def nominate(
        self, unit_index: int = 1, *, form: AwardForm | None = None, name: str | None = None
    ) -> Nomination:
        """A nomination of ``units[unit_index]`` brought to scored."""
        unit, head = self.units[unit_index], self.heads[unit_index]
        nomination = f.make_nomination(
            self.filing, unit, head, form=form, name=name, evidence=False
        )
        f.make_submission(self.filing, unit, head, [nomination])
        f.bring_to(nomination, NominationState.SCORED, head=head, board=self.board)
        self.nominations.append(nomination)
        return nomination

    def open(self, members: list[User] | None = None, **kwargs: object) -> Ballot:
        values: dict[str, object] = {
            "title": "Ngày Chuyển đổi số 10/10/2025",
            "held_on": HELD_ON,
            "place": "Phòng họp số 1, Sở Nội vụ",
            "chair_name": "Nguyễn Văn Chủ Tịch",
            "secretary_name": "Trần Thị Thư Ký",
            "member_ids": [m.id for m in (members or self.members)],
            "by": self.board,
        }
        values.update(kwargs)
        return ballots.open_ballot(self.filing.round, **values)  # type: ignore[arg-type]

    def attend(self, ballot: Ballot, attendance: Attendance, members: list[User]) -> None:
        for member in members:
            ballots.set_attendance(ballot, member, attendance, by=self.board)

    def vote(
        self, ballot: Ballot, nomination: Nomination, yes: int, no: int, offset: int = 0
    ) -> None:
        """The first ``yes`` members from ``offset`` approve, the next ``no`` reject (written opinions
        recorded by the board)."""
        for i, member in enumerate(self.members[offset : offset + yes + no]):
            row = ballots.member_of(ballot, member)
            assert row is not None
            by = self.board if row.attendance is Attendance.WRITTEN else member
            ballots.cast_vote(ballot, nomination, member, i < yes, by)


@pytest.fixture()
def council(db: object) -> Council:
    """Three units, ten council members (the first of them belongs to ``units[0]``)."""
    filing = f.make_filing(evidence_required=False)
    units = [f.make_unit(name) for name in ("Sở Tư pháp", "Sở Y tế", "UBND huyện Tiên Du")]
    heads = [f.make_user(Role.UNIT_HEAD, unit=unit) for unit in units]
    members = [f.make_user(Role.REVIEWER, unit=units[0] if i == 0 else None) for i in range(10)]
    return Council(filing, units, heads, members)


def _row(ballot: Ballot, nomination: Nomination) -> ballots.TallyRow:
    rows = {row.nomination_id: row for row in ballots.tally(ballot)}
    return rows[nomination.id]


def _form(council: Council, threshold: int, base: BallotBase) -> AwardForm:
    form = f.make_award_form(council.filing)
    form.ballot_threshold = Decimal(threshold)
    form.ballot_base = base
    db.session.flush()
    return form


# --------------------------------------------------------------------------- quorum


def test_quorum_met_with_exactly_80_percent_present(council: Council) -> None:
    nomination = council.nominate()
    ballot = council.open()
    council.attend(ballot, Attendance.ABSENT, council.members[8:])
    council.vote(ballot, nomination, yes=8, no=0)

    row = _row(ballot, nomination)
    assert (row.members, row.present, row.yes, row.no) == (10, 8, 8, 0)
    assert row.quorum_met is True
    assert row.passed is True
    assert ballots.passed_nomination_ids(ballot) == [nomination.id]


def test_quorum_fails_below_and_written_opinions_do_not_count_as_present(
    council: Council,
) -> None:
    nomination = council.nominate()
    ballot = council.open()
    council.attend(ballot, Attendance.WRITTEN, council.members[7:8])
    council.attend(ballot, Attendance.ABSENT, council.members[8:])
    council.vote(ballot, nomination, yes=8, no=0)  # the written opinion is a vote

    row = _row(ballot, nomination)
    assert (row.present, row.yes, row.votes) == (7, 8, 8)
    assert row.quorum_met is False
    assert row.reaches_threshold is True
    assert row.passed is False
    assert ballots.passed_nomination_ids(ballot) == []


def test_quorum_arithmetic_is_exact() -> None:
    assert ballots.quorum_met(8, 10, Decimal(80)) is True
    assert ballots.quorum_met(7, 10, Decimal(80)) is False
    assert ballots.quorum_met(4, 5, Decimal(80)) is True
    assert ballots.quorum_met(0, 0, Decimal(80)) is False


# --------------------------------------------------------------------------- thresholds


def test_threshold_over_all_members_and_over_votes_cast(council: Council) -> None:
    over_all = council.nominate(form=_form(council, 80, BallotBase.ALL_MEMBERS))
    over_votes = council.nominate(form=_form(council, 80, BallotBase.VOTING))
    ballot = council.open()
    council.attend(ballot, Attendance.ABSENT, council.members[8:])
    council.vote(ballot, over_all, yes=7, no=1)
    council.vote(ballot, over_votes, yes=7, no=1)

    all_row, voting_row = _row(ballot, over_all), _row(ballot, over_votes)
    assert (all_row.base_count, all_row.percent, all_row.passed) == (10, Decimal("70.00"), False)
    assert (voting_row.base_count, voting_row.percent, voting_row.passed) == (
        8,
        Decimal("87.50"),
        True,
    )
    assert ballots.passed_nomination_ids(ballot) == [over_votes.id]


def test_fifty_percent_means_more_than_half(council: Council) -> None:
    tie = council.nominate(form=_form(council, 50, BallotBase.VOTING))
    majority = council.nominate(form=_form(council, 50, BallotBase.VOTING))
    ballot = council.open()
    council.vote(ballot, tie, yes=5, no=5)
    council.vote(ballot, majority, yes=6, no=4)

    assert (_row(ballot, tie).percent, _row(ballot, tie).passed) == (Decimal("50.00"), False)
    assert (_row(ballot, majority).percent, _row(ballot, majority).passed) == (
        Decimal("60.00"),
        True,
    )


def test_other_thresholds_are_reached_at_the_line(council: Council) -> None:
    at_line = council.nominate(form=_form(council, 60, BallotBase.ALL_MEMBERS))
    below = council.nominate(form=_form(council, 60, BallotBase.ALL_MEMBERS))
    ballot = council.open()
    council.vote(ballot, at_line, yes=6, no=4)
    council.vote(ballot, below, yes=5, no=5)

    assert _row(ballot, at_line).passed is True
    assert _row(ballot, below).passed is False


def test_threshold_rule_arithmetic() -> None:
    assert ballots.reaches_threshold(1, 2, Decimal(50)) is False
    assert ballots.reaches_threshold(2, 3, Decimal(50)) is True
    assert ballots.reaches_threshold(9, 10, Decimal(90)) is True
    assert ballots.reaches_threshold(8, 10, Decimal(90)) is False
    assert ballots.reaches_threshold(0, 0, Decimal(50)) is False


# --------------------------------------------------------------------------- votes


def _votes(ballot: Ballot) -> list[tuple[int, int, bool]]:
    return [
        (v.nomination_id, v.user_id, v.approve)
        for v in db.session.scalars(
            sa.select(BallotVote).where(BallotVote.ballot_id == ballot.id).order_by(BallotVote.id)
        )
    ]


def test_changing_a_vote_updates_it_and_close_freezes_it(council: Council) -> None:
    nomination = council.nominate()
    ballot = council.open()
    member = council.members[1]
    ballots.cast_vote(ballot, nomination, member, True, member)
    ballots.cast_vote(ballot, nomination, member, False, member)

    assert _votes(ballot) == [(nomination.id, member.id, False)]
    assert (_row(ballot, nomination).yes, _row(ballot, nomination).no) == (0, 1)

    ballots.close_ballot(ballot, council.board)
    assert ballot.state is BallotState.CLOSED
    with pytest.raises(BallotError, match="kết thúc biểu quyết"):
        ballots.cast_vote(ballot, nomination, member, True, member)
    with pytest.raises(BallotError):
        ballots.close_ballot(ballot, council.board)
    with pytest.raises(BallotError):
        ballots.set_attendance(ballot, member, Attendance.ABSENT, by=council.board)
    assert _votes(ballot) == [(nomination.id, member.id, False)]


def test_the_unique_constraint_is_the_last_line(council: Council) -> None:
    nomination = council.nominate()
    ballot = council.open()
    member = council.members[1]
    ballots.cast_vote(ballot, nomination, member, True, member)
    with pytest.raises(sa.exc.IntegrityError), db.session.begin_nested():
        db.session.add(
            BallotVote(
                ballot_id=ballot.id, nomination_id=nomination.id, user_id=member.id, approve=False
            )
        )
    assert _votes(ballot) == [(nomination.id, member.id, True)]


def test_own_unit_nomination_refused_and_left_out_of_the_list(council: Council) -> None:
    own = council.nominate(0)
    other = council.nominate(1)
    ballot = council.open()
    member = council.members[0]  # of units[0]

    assert [item.nomination.id for item in ballots.voting_list(ballot, member)] == [other.id]
    assert ballots.is_conflicted(own, member) is True
    with pytest.raises(BallotError, match="xung đột lợi ích"):
        ballots.cast_vote(ballot, own, member, True, member)
    # Another member sees both.
    assert {i.nomination.id for i in ballots.voting_list(ballot, council.members[1])} == {
        own.id,
        other.id,
    }
    assert _votes(ballot) == []


def test_only_members_present_or_with_written_opinion_vote(council: Council) -> None:
    nomination = council.nominate()
    ballot = council.open()
    absent, written, present = council.members[7], council.members[8], council.members[1]
    council.attend(ballot, Attendance.ABSENT, [absent])
    council.attend(ballot, Attendance.WRITTEN, [written])

    with pytest.raises(BallotError, match="vắng mặt"):
        ballots.cast_vote(ballot, nomination, absent, True, absent)
    # The board records a written opinion, never a present member's vote.
    ballots.cast_vote(ballot, nomination, written, True, council.board)
    with pytest.raises(BallotError, match="văn bản"):
        ballots.cast_vote(ballot, nomination, present, True, council.board)
    # A member never votes for another.
    with pytest.raises(BallotNotPermitted):
        ballots.cast_vote(ballot, nomination, written, False, present)
    # An outsider is not a member.
    outsider = f.make_user(Role.REVIEWER)
    with pytest.raises(BallotError, match="không phải thành viên"):
        ballots.cast_vote(ballot, nomination, outsider, True, outsider)

    assert _votes(ballot) == [(nomination.id, written.id, True)]
    event = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "ballot.written_vote")
    ).one()
    assert (event.actor_id, event.object_type) == (council.board.id, "ballot_votes")


def test_votes_of_a_member_later_marked_absent_stop_counting(council: Council) -> None:
    nomination = council.nominate()
    ballot = council.open()
    council.vote(ballot, nomination, yes=3, no=1)
    council.attend(ballot, Attendance.ABSENT, council.members[:1])

    assert (_row(ballot, nomination).yes, _row(ballot, nomination).no) == (2, 1)


def test_only_scored_nominations_of_the_round(council: Council) -> None:
    in_review = f.make_nomination(
        council.filing, council.units[1], council.heads[1], evidence=False
    )
    f.make_submission(council.filing, council.units[1], council.heads[1], [in_review])
    f.bring_to(in_review, NominationState.IN_REVIEW, head=council.heads[1], board=council.board)
    other_round = Council(
        f.make_filing(evidence_required=False), council.units, council.heads, council.members
    )
    foreign = other_round.nominate()
    ballot = council.open()
    member = council.members[1]

    with pytest.raises(BallotError, match="chấm điểm xong"):
        ballots.cast_vote(ballot, in_review, member, True, member)
    with pytest.raises(BallotError, match="không thuộc đợt xét"):
        ballots.cast_vote(ballot, foreign, member, True, member)
    assert ballots.voting_list(ballot, member) == []
    assert ballots.tally(ballot) == []


def test_cast_votes_is_all_or_nothing(council: Council) -> None:
    own, other = council.nominate(0), council.nominate(1)
    ballot = council.open()
    member = council.members[0]
    assert ballots.cast_votes(ballot, member, {}, member) == 0
    with pytest.raises(BallotError):
        ballots.cast_votes(ballot, member, {other.id: True, own.id: True}, member)
    with pytest.raises(BallotError):
        ballots.cast_votes(ballot, member, {999999: True}, member)
    assert ballots.cast_votes(ballot, member, {other.id: False}, member) == 1
    assert _votes(ballot) == [(other.id, member.id, False)]


def test_open_ballot_checks(council: Council) -> None:
    with pytest.raises(BallotNotPermitted):
        council.open(by=council.members[0])
    with pytest.raises(BallotError, match="ít nhất một"):
        council.open(member_ids=[])
    with pytest.raises(BallotError, match="thành viên Hội đồng"):
        council.open(member_ids=[council.heads[0].id])
    with pytest.raises(BallotError, match="1 đến 100"):
        council.open(quorum_percent=0)
    ballot = council.open(quorum_percent=Decimal("66.67"))
    assert ballot.quorum_percent == Decimal("66.67")
    assert [m.attendance for m in ballot.members] == [Attendance.PRESENT] * 10
    assert ballots.ballots_of(council.filing.round) == [ballot]
    assert ballots.ballots_of_member(council.members[3]) == [ballot]
    with pytest.raises(BallotNotPermitted):
        ballots.set_attendance(ballot, council.members[1], Attendance.ABSENT, by=council.members[1])
    with pytest.raises(BallotError):
        ballots.set_attendance(ballot, council.heads[0], Attendance.ABSENT, by=council.board)
    with pytest.raises(BallotNotPermitted):
        ballots.close_ballot(ballot, council.members[1])


# --------------------------------------------------------------------------- the tally's queries


@contextmanager
def _counting() -> Iterator[list[str]]:
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements.append(statement)

    engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


def test_tally_is_one_query_whatever_the_number_of_nominations(council: Council) -> None:
    ballot = council.open()
    first = council.nominate()
    council.vote(ballot, first, yes=6, no=2)
    db.session.flush()
    with _counting() as small:
        assert len(ballots.tally(ballot)) == 1
    for _ in range(5):
        council.vote(ballot, council.nominate(2), yes=3, no=5)
    db.session.flush()
    with _counting() as large:
        rows = ballots.tally(ballot)
    assert len(rows) == 6
    assert (len(small), len(large)) == (1, 1)


# --------------------------------------------------------------------------- the minutes


def _pdf_text(data: bytes) -> str:
    return " ".join(
        " ".join(page.extract_text().split()) for page in PdfReader(BytesIO(data)).pages
    )


def _session(council: Council) -> tuple[Ballot, Nomination, Nomination]:
    passing = council.nominate(1, name="Phòng Chuyển đổi số Sở Y tế")
    failing = council.nominate(
        2, form=_form(council, 90, BallotBase.ALL_MEMBERS), name="Văn phòng UBND huyện Tiên Du"
    )
    ballot = council.open()
    council.attend(ballot, Attendance.WRITTEN, council.members[8:9])
    council.attend(ballot, Attendance.ABSENT, council.members[9:])
    council.vote(ballot, passing, yes=7, no=2)
    council.vote(ballot, failing, yes=7, no=2)
    return ballot, passing, failing


def test_minutes_data(council: Council) -> None:
    ballot, _passing, _failing = _session(council)
    data = ballots.minutes_data(ballot)

    assert (data["members_total"], data["present"], data["present_percent"]) == (10, 8, "80")
    assert data["quorum_met"] is True
    assert [p["name"] for p in data["written"]] == [council.members[8].full_name]
    assert [p["name"] for p in data["absent"]] == [council.members[9].full_name]
    assert data["date_line"] == "ngày 03 tháng 10 năm 2025"
    assert [
        (r["name"], r["yes"], r["no"], r["percent"], r["result"])
        for form in data["forms"]
        for r in form["rows"]
    ] == [
        ("Phòng Chuyển đổi số Sở Y tế", 7, 2, "77,78", "Đạt"),
        ("Văn phòng UBND huyện Tiên Du", 7, 2, "70", "Không đạt"),
    ]
    assert [form["rule"] for form in data["forms"]] == [
        "trên 50% số phiếu biểu quyết đồng ý",
        "từ 90% tổng số thành viên Hội đồng đồng ý trở lên",
    ]
    assert (data["passed_count"], data["considered"]) == (1, 2)


def test_minutes_pdf_text(council: Council) -> None:
    ballot, _passing, _failing = _session(council)
    text = _pdf_text(render_minutes(ballots.minutes_data(ballot)))

    for expected in (
        "UBND TỈNH BẮC NINH",
        "HỘI ĐỒNG THI ĐUA – KHEN THƯỞNG",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Bắc Ninh, ngày 03 tháng 10 năm 2025",
        "BIÊN BẢN",
        "Họp Hội đồng Thi đua – Khen thưởng tỉnh xét khen thưởng",
        "có mặt 8/10 thành viên (đạt 80%)",
        council.members[8].full_name,
        "Phòng Chuyển đổi số Sở Y tế",
        "77,78",
        "Không đạt",
        "THƯ KÝ HỘI ĐỒNG",
        "Trần Thị Thư Ký",
        "CHỦ TỊCH HỘI ĐỒNG",
        "Nguyễn Văn Chủ Tịch",
        "đề nghị khen thưởng 01/02 tập thể, cá nhân",
    ):
        assert expected in text, expected


def test_minutes_without_quorum_say_so(council: Council) -> None:
    council.nominate()
    ballot = council.open()
    council.attend(ballot, Attendance.ABSENT, council.members[5:])
    text = _pdf_text(render_minutes(ballots.minutes_data(ballot)))
    assert "có mặt 5/10 thành viên (đạt 50%)" in text
    assert "không đủ tỷ lệ" in text.lower()


def test_minutes_filename() -> None:
    assert minutes_filename("03/10/2025", 7) == "Bien-ban-hop-Hoi-dong-03-10-2025-7.pdf"


# --------------------------------------------------------------------------- pages


def _as(client: FlaskClient, user: User) -> None:
    db.session.commit()
    assert login(client, user.username).status_code == 302


def _html(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True)


def test_board_opens_a_session(council: Council, client: FlaskClient) -> None:
    _as(client, council.board)
    code = council.filing.round.code
    page = _html(client.get(f"/ballots/?round={code}"))
    assert council.members[0].full_name in page

    response = client.post(
        f"/ballots/?round={code}",
        data={
            "title": "Ngày Chuyển đổi số 10/10/2025",
            "held_on": "03/10/2025",
            "place": "Sở Nội vụ",
            "chair_name": "Nguyễn Văn Chủ Tịch",
            "secretary_name": "Trần Thị Thư Ký",
            "quorum_percent": "80",
            "member_ids": [str(m.id) for m in council.members[:4]],
        },
    )
    ballot = db.session.scalars(sa.select(Ballot)).one()
    assert response.status_code == 302
    assert response.headers["Location"] == f"/ballots/{ballot.id}"
    assert (len(ballot.members), ballot.held_on) == (4, HELD_ON)

    # No member: the form comes back with the service's message.
    again = client.post(
        f"/ballots/?round={code}",
        data={
            "title": "Phiên 2",
            "held_on": "04/10/2025",
            "chair_name": "A",
            "secretary_name": "B",
            "quorum_percent": "80",
        },
    )
    assert again.status_code == 200
    assert "Chọn ít nhất một thành viên Hội đồng." in _html(again)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Ballot)) == 1
    assert "Họp Hội đồng" in _html(client.get("/ballots/"))


def test_board_runs_the_session(council: Council, client: FlaskClient) -> None:
    nomination = council.nominate(1, name="Phòng Chuyển đổi số Sở Y tế")
    ballot = council.open()
    written = council.members[9]
    _as(client, council.board)

    response = client.post(
        f"/ballots/{ballot.id}/attendance",
        data={"user_id": str(written.id), "attendance": "written"},
    )
    assert response.status_code == 302
    assert ballots.member_of(ballot, written).attendance is Attendance.WRITTEN

    page = _html(client.get(f"/ballots/{ballot.id}"))
    assert "Phòng Chuyển đổi số Sở Y tế" in page
    assert f"/ballots/{ballot.id}/vote?member={written.id}" in page

    # The written opinion, recorded by the board on the vote page.
    form_page = client.get(f"/ballots/{ballot.id}/vote?member={written.id}")
    assert written.full_name in _html(form_page)
    response = client.post(
        f"/ballots/{ballot.id}/vote?member={written.id}", data={f"n{nomination.id}": "yes"}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/ballots/{ballot.id}"
    assert _votes(ballot) == [(nomination.id, written.id, True)]
    # Without a member, the board is sent to the session.
    assert client.get(f"/ballots/{ballot.id}/vote").headers["Location"] == f"/ballots/{ballot.id}"
    # A present member's vote is not the board's to record.
    refused = client.post(
        f"/ballots/{ballot.id}/vote?member={council.members[1].id}",
        data={f"n{nomination.id}": "no"},
        follow_redirects=True,
    )
    assert "Chỉ ghi phiếu thay cho thành viên vắng mặt" in _html(refused)

    pdf = client.get(f"/ballots/{ballot.id}/minutes.pdf")
    assert pdf.mimetype == "application/pdf"
    assert "Phòng Chuyển đổi số Sở Y tế" in _pdf_text(pdf.data)

    assert client.post(f"/ballots/{ballot.id}/close").status_code == 302
    db.session.expire_all()
    assert db.session.get(Ballot, ballot.id).state is BallotState.CLOSED
    bad = client.post(
        f"/ballots/{ballot.id}/attendance",
        data={"user_id": str(written.id), "attendance": "present"},
        follow_redirects=True,
    )
    assert "Phiên họp đã kết thúc biểu quyết" in _html(bad)
    assert client.get("/ballots/999999").status_code == 404


def test_member_votes_on_their_list(council: Council, client: FlaskClient) -> None:
    own = council.nominate(0, name="Phòng của đơn vị mình")
    other = council.nominate(1, name="Phòng Chuyển đổi số Sở Y tế")
    ballot = council.open()
    member = council.members[0]
    _as(client, member)

    mine = _html(client.get("/ballots/"))
    assert f"/ballots/{ballot.id}/vote" in mine
    page = _html(client.get(f"/ballots/{ballot.id}/vote"))
    assert "Phòng Chuyển đổi số Sở Y tế" in page
    assert "Phòng của đơn vị mình" not in page
    assert "Đồng ý" in page and "Không đồng ý" in page

    response = client.post(f"/ballots/{ballot.id}/vote", data={f"n{other.id}": "yes"})
    assert response.status_code == 302
    client.post(f"/ballots/{ballot.id}/vote", data={f"n{other.id}": "no"})
    assert _votes(ballot) == [(other.id, member.id, False)]
    # The own-unit nomination has no field: posting it changes nothing.
    client.post(f"/ballots/{ballot.id}/vote", data={f"n{own.id}": "yes"})
    assert _votes(ballot) == [(other.id, member.id, False)]
    checked = re.findall(r"<input checked[^>]*>", _html(client.get(f"/ballots/{ballot.id}/vote")))
    assert [re.search(r'value="(\w+)"', tag).group(1) for tag in checked] == ["no"]

    ballots.close_ballot(db.session.get(Ballot, ballot.id), council.board)
    db.session.commit()
    closed = client.post(
        f"/ballots/{ballot.id}/vote", data={f"n{other.id}": "yes"}, follow_redirects=True
    )
    assert "Phiên họp đã kết thúc biểu quyết" in _html(closed)
    assert _votes(ballot) == [(other.id, member.id, False)]


def test_non_member_reviewer_and_absent_member(council: Council, client: FlaskClient) -> None:
    council.nominate()
    ballot = council.open(members=council.members[:3])
    ballots.set_attendance(ballot, council.members[2], Attendance.ABSENT, by=council.board)
    _as(client, council.members[5])
    assert client.get(f"/ballots/{ballot.id}/vote").status_code == 403
    assert client.post("/ballots/").status_code == 403

    client.post("/logout")
    _as(client, council.members[2])
    page = _html(client.get(f"/ballots/{ballot.id}/vote"))
    assert "Thành viên vắng mặt không có ý kiến bằng văn bản không biểu quyết." in page
    nomination = council.nominations[0]
    refused = client.post(
        f"/ballots/{ballot.id}/vote", data={f"n{nomination.id}": "yes"}, follow_redirects=True
    )
    assert "không biểu quyết" in _html(refused)
    assert _votes(ballot) == []


def test_a_concurrent_first_vote_becomes_a_change(
    council: Council, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two requests of one member both find no vote and insert: the UNIQUE constraint refuses the
    second insert, which then changes the vote the first one stored (simulated in one session: the
    lookup misses the row another request inserted)."""
    nomination = council.nominate()
    ballot = council.open()
    member = council.members[1]
    ballots.cast_vote(ballot, nomination, member, True, member)
    real_scalar = db.session.scalar

    def blind_to_votes(statement, *args, **kwargs):  # type: ignore[no-untyped-def]
        if BallotVote.__table__ in statement.get_final_froms():
            return None
        return real_scalar(statement, *args, **kwargs)

    monkeypatch.setattr(db.session, "scalar", blind_to_votes)
    vote = ballots.cast_vote(ballot, nomination, member, False, member)
    monkeypatch.undo()

    assert vote.approve is False
    assert _votes(ballot) == [(nomination.id, member.id, False)]


def test_pages_refuse_bad_requests(council: Council, client: FlaskClient) -> None:
    nomination = council.nominate()
    ballot = council.open(members=council.members[:3])
    _as(client, council.board)

    bad = client.post(
        f"/ballots/{ballot.id}/attendance",
        data={"user_id": "abc", "attendance": "present"},
        follow_redirects=True,
    )
    assert "Yêu cầu không hợp lệ" in _html(bad)
    assert client.get(f"/ballots/{ballot.id}/vote?member=abc").status_code == 404
    outsider = council.members[5]
    assert client.get(f"/ballots/{ballot.id}/vote?member={outsider.id}").status_code == 404

    client.post("/logout")
    _as(client, council.members[1])
    wrong = client.post(
        f"/ballots/{ballot.id}/vote", data={f"n{nomination.id}": "maybe"}, follow_redirects=True
    )
    assert "Yêu cầu không hợp lệ" in _html(wrong)
    assert _votes(ballot) == []


def test_the_conflict_rule_is_the_reviewers_one_including_the_unit_tree(council: Council) -> None:
    """A member of a unit below (or above) the proposing unit votes neither: the same rule as for
    scoring (awards.assignment), in the list's SQL and in the predicate."""
    nomination = council.nominate(1)
    below = f.make_unit("Phòng thuộc Sở Y tế")
    below.parent = council.units[1]
    member = f.make_user(Role.REVIEWER, unit=below)
    ballot = council.open(members=[*council.members, member])

    assert ballots.is_conflicted(nomination, member) is True
    assert ballots.voting_list(ballot, member) == []
    assert [i.nomination.id for i in ballots.voting_list(ballot, council.members[1])] == [
        nomination.id
    ]
