"""The unit's dossier and the board's intake services (``awards/submissions.py``).

``Filing`` is a small world for this area: the campaign of ``tests/test_campaign_setup.py`` with its round
open for nominations, a department under the province with its head and clerk, another unit with its head,
a board officer, and ``draft()`` making complete (or incomplete) drafts. Other test modules import it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask import Flask

from awards import clock, nominations, quotas, submissions, workflow
from awards.extensions import db as _db
from awards.submissions import SubmissionError
from awards.workflow import NotPermitted, WorkflowError
from models import (
    EvidenceFile,
    Extension,
    Nomination,
    NominationEvent,
    NominationState,
    QuotaUsage,
    RecipientKind,
    Role,
    RoundPhase,
    Sex,
    StaffCategory,
    Submission,
    Unit,
    UnitKind,
    User,
    utcnow,
)
from tests.test_campaign_setup import SetupWorld, build_campaign

TODAY = date(2025, 9, 5)


@dataclass
class Filing:
    setup: SetupWorld
    province: Unit
    unit: Unit
    other_unit: Unit
    head: User
    clerk: User
    other_head: User
    board: User
    counter: int = 0

    @property
    def round(self):  # type: ignore[no-untyped-def]
        return self.setup.round

    def draft(
        self,
        kind: RecipientKind = RecipientKind.INDIVIDUAL,
        *,
        form: str = "BK",
        name: str | None = None,
        complete: bool = True,
        unit: Unit | None = None,
        citation: str = "Đã có thành tích xuất sắc trong phong trào thi đua Chuyển đổi số",
    ) -> Nomination:
        """A draft of ``unit`` (the filing unit by default), complete unless told otherwise."""
        self.counter += 1
        unit = unit or self.unit
        author = self.head if unit is self.unit else self.other_head
        individual = kind is RecipientKind.INDIVIDUAL
        data = nominations.NominationData(
            kind=kind,
            award_form_id=self.setup.forms[form].id,
            nominee_name=name
            or (
                f"Nguyễn Thị Hồng {self.counter}" if individual else f"Phòng Số hóa {self.counter}"
            ),
            citation=citation,
            report_profile="Sơ lược lý lịch / đặc điểm tình hình." if complete else "",
            report_achievements="Hoàn thành xuất sắc các chỉ tiêu chuyển đổi số năm 2025.",
            headcount=None if individual else 12,
            women_share=None if individual else Decimal(50),
            sex=Sex.FEMALE if individual else None,
            date_of_birth=date(1985, 3, 1 + self.counter % 27) if individual else None,
            position="Trưởng phòng Công nghệ thông tin" if individual else "",
            staff_category=StaffCategory.LEADER if individual else None,
            workplace="Sở Thông tin và Truyền thông",
            scores=[
                nominations.ScoreInput(criterion_id=c.id, points=c.max_points)
                for c in nominations.criteria_for(self.round, kind)
            ],
        )
        return nominations.create_nomination(self.round, unit, author, data)

    def submit(self, batch: list[Nomination], **overrides: object) -> Submission:
        values: dict[str, object] = {
            "number": "15/TTr-STTTT",
            "signed_on": date(2025, 9, 5),
            "signer_name": "Trần Minh Đức",
            "signer_title": "KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC",
            "minutes_date": date(2025, 9, 2),
            "council_members": 7,
            "votes_for": 6,
            "nomination_ids": [n.id for n in batch],
        }
        values.update(overrides)
        actor = values.pop("actor", self.head)
        return submissions.submit_dossier(self.round, self.unit, actor, **values)  # type: ignore[arg-type]


def build_filing(make_unit: Callable[..., Unit], make_user: Callable[..., User]) -> Filing:
    setup = build_campaign()
    setup.round.phase = RoundPhase.NOMINATING
    province = make_unit("Ủy ban nhân dân tỉnh Bắc Ninh", code="UBND-BN", kind=UnitKind.PROVINCE)
    unit = make_unit("Sở Thông tin và Truyền thông", code="STTTT", parent=province)
    other = make_unit("Ủy ban nhân dân huyện Yên Phong", code="H-YP", kind=UnitKind.DISTRICT)
    filing = Filing(
        setup=setup,
        province=province,
        unit=unit,
        other_unit=other,
        head=make_user(Role.UNIT_HEAD, unit=unit, full_name="Trần Minh Đức"),
        clerk=make_user(Role.UNIT_CLERK, unit=unit, full_name="Lê Thị Thu"),
        other_head=make_user(Role.UNIT_HEAD, unit=other, full_name="Phạm Văn Yên"),
        board=make_user(Role.BOARD, full_name="Đỗ Thị Thi Đua"),
    )
    _db.session.commit()
    return filing


@pytest.fixture()
def today(monkeypatch: pytest.MonkeyPatch) -> Callable[[date], None]:
    """``today(day)`` moves the app's clock; it starts on ``TODAY`` (inside the filing window)."""

    def move(day: date) -> None:
        monkeypatch.setattr(clock, "today", lambda: day)

    move(TODAY)
    return move


@pytest.fixture()
def filing(db: object, make_unit, make_user, today) -> Filing:  # type: ignore[no-untyped-def]
    return build_filing(make_unit, make_user)


@pytest.fixture(autouse=True)
def request_context(app: Flask) -> Iterator[None]:
    with app.app_context(), app.test_request_context():
        yield


def _count(model: type) -> int:
    return _db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _quota_rows() -> list[tuple[int, int, int, int]]:
    return [
        (r.round_id, r.award_form_id, r.unit_id, r.used)
        for r in _db.session.scalars(sa.select(QuotaUsage).order_by(QuotaUsage.id))
    ]


def _states(batch: list[Nomination]) -> list[NominationState]:
    _db.session.expire_all()
    return [_db.session.get(Nomination, n.id).state for n in batch]


# --------------------------------------------------------------------------- submitting


def test_submit_dossier_submits_the_batch_through_one_submission(filing: Filing) -> None:
    batch = [filing.draft(RecipientKind.COLLECTIVE, form="GK"), filing.draft(), filing.draft()]

    submission = filing.submit(batch, number=" 5/ttr-stttt ")
    _db.session.commit()

    assert submission.number == "05/TTr-STTTT"
    assert submission.unit_id == filing.unit.id
    assert submission.submitted_by_id == filing.head.id
    assert [n.id for n in submission.nominations] == [n.id for n in batch]
    assert _states(batch) == [NominationState.SUBMITTED] * 3
    assert [event.action for event in batch[1].events] == ["create", "submit"]
    bk, gk = filing.setup.forms["BK"], filing.setup.forms["GK"]
    assert quotas.used(filing.round.id, bk.id, filing.unit.id) == 2
    assert quotas.used(filing.round.id, gk.id, filing.unit.id) == 1


def test_one_incomplete_nomination_submits_nothing(filing: Filing) -> None:
    good = filing.draft()
    bad = filing.draft(complete=False, name="Hoàng Văn Thiếu")
    _db.session.commit()
    quota_before = _quota_rows()

    with pytest.raises(SubmissionError) as caught:
        filing.submit([good, bad])

    assert [(p.nomination_id, p.name) for p in caught.value.problems] == [
        (bad.id, "Hoàng Văn Thiếu")
    ]
    assert caught.value.problems[0].reasons == (
        "Báo cáo thành tích: thiếu phần I (đặc điểm, tình hình / sơ lược lý lịch).",
    )
    assert caught.value.field == "nomination_ids"
    _db.session.commit()
    assert _count(Submission) == 0
    assert _states([good, bad]) == [NominationState.DRAFT, NominationState.DRAFT]
    assert [n.submission_id for n in (good, bad)] == [None, None]
    assert _quota_rows() == quota_before
    assert _count(NominationEvent) == 2  # the two "create" events only


def test_over_quota_submits_nothing_and_leaves_counters(filing: Filing) -> None:
    filing.setup.forms["BK"].quota_per_unit = 2
    first = filing.draft()
    filing.submit([first], number="14/TTr-STTTT")
    _db.session.commit()
    batch = [filing.draft(), filing.draft(), filing.draft(complete=False)]
    _db.session.commit()
    quota_before = _quota_rows()

    with pytest.raises(SubmissionError) as caught:
        filing.submit(batch)

    # The second of the batch finds the quota full; the third is incomplete: both are named.
    assert [p.nomination_id for p in caught.value.problems] == [batch[1].id, batch[2].id]
    assert "chỉ tiêu" in caught.value.problems[0].reasons[0]
    _db.session.commit()
    assert _count(Submission) == 1
    assert _states(batch) == [NominationState.DRAFT] * 3
    assert _quota_rows() == quota_before
    assert quota_before[0][3] == 1


def test_nomination_not_in_draft_is_refused(filing: Filing) -> None:
    submitted = filing.draft()
    filing.submit([submitted], number="01/TTr-STTTT")
    again = filing.draft()

    with pytest.raises(SubmissionError) as caught:
        filing.submit([submitted, again], number="02/TTr-STTTT")

    assert [p.nomination_id for p in caught.value.problems] == [submitted.id]
    assert _states([again]) == [NominationState.DRAFT]


def test_window_closed_is_refused(filing: Filing, today: Callable[[date], None]) -> None:
    draft = filing.draft()
    today(date(2025, 10, 1))  # the round closed on 30/09/2025

    with pytest.raises(SubmissionError) as caught:
        filing.submit([draft], signed_on=date(2025, 9, 30))

    assert str(caught.value) == (
        "Đã hết hạn nộp hồ sơ của đợt xét (30/09/2025). "
        "Đề nghị Ban Thi đua – Khen thưởng gia hạn cho đơn vị."
    )
    assert _count(Submission) == 0


def test_round_not_open_is_refused(filing: Filing) -> None:
    draft = filing.draft()
    filing.round.phase = RoundPhase.REVIEWING

    with pytest.raises(SubmissionError, match="không ở giai đoạn nhận hồ sơ"):
        filing.submit([draft])


def test_extension_lets_that_unit_file_late_and_only_it(
    filing: Filing, today: Callable[[date], None]
) -> None:
    ours = filing.draft()
    theirs = filing.draft(unit=filing.other_unit)
    submissions.grant_extension(
        filing.round, filing.unit, date(2025, 10, 3), "Chờ kết quả kiểm tra", filing.board
    )
    today(date(2025, 10, 2))

    submission = filing.submit([ours], signed_on=date(2025, 10, 2))
    with pytest.raises(SubmissionError, match="Đã hết hạn"):
        submissions.submit_dossier(
            filing.round,
            filing.other_unit,
            filing.other_head,
            number="03/TTr-UBND",
            signed_on=date(2025, 10, 2),
            signer_name="Phạm Văn Yên",
            signer_title="CHỦ TỊCH",
            minutes_date=date(2025, 10, 1),
            council_members=5,
            votes_for=5,
            nomination_ids=[theirs.id],
        )

    assert submission.nominations == [ours]
    assert _states([ours, theirs]) == [NominationState.SUBMITTED, NominationState.DRAFT]
    today(date(2025, 10, 4))
    later = filing.draft()
    with pytest.raises(SubmissionError, match="Đã hết hạn"):
        filing.submit([later], number="16/TTr-STTTT", signed_on=date(2025, 10, 4))


@pytest.mark.parametrize(
    ("members", "votes", "message"),
    [
        (7, 4, None),
        (7, 3, "biểu quyết đạt trên 50% (3/7 thành viên chưa đạt)"),
        (6, 3, "biểu quyết đạt trên 50% (3/6 thành viên chưa đạt)"),
        (5, 6, "Số phiếu đồng ý phải từ 0 đến số thành viên Hội đồng."),
        (0, 0, "Số thành viên Hội đồng thi đua phải lớn hơn 0."),
    ],
)
def test_vote_needs_a_majority_of_the_council(
    filing: Filing, members: int, votes: int, message: str | None
) -> None:
    draft = filing.draft()
    if message is None:
        assert filing.submit([draft], council_members=members, votes_for=votes).votes_for == votes
        return
    with pytest.raises(SubmissionError) as caught:
        filing.submit([draft], council_members=members, votes_for=votes)
    assert message in str(caught.value)
    assert _count(Submission) == 0


def test_majority_message_reads_as_the_rule(filing: Filing) -> None:
    with pytest.raises(SubmissionError) as caught:
        filing.submit([filing.draft()], council_members=4, votes_for=2)
    assert str(caught.value).startswith(
        "Tập thể/cá nhân phải được Hội đồng thi đua của đơn vị biểu quyết đạt trên 50%"
    )
    assert caught.value.field == "votes_for"


def test_number_is_unique_per_unit_and_round(filing: Filing) -> None:
    filing.submit([filing.draft()], number="15/TTr-STTTT")

    with pytest.raises(SubmissionError) as caught:
        filing.submit([filing.draft()], number="15/ttr-stttt")

    assert str(caught.value) == "Đơn vị đã có Tờ trình số 15/TTr-STTTT trong đợt xét này."
    assert caught.value.field == "number"
    # Another unit may use the same number.
    theirs = filing.draft(unit=filing.other_unit)
    other = submissions.submit_dossier(
        filing.round,
        filing.other_unit,
        filing.other_head,
        number="15/TTr-STTTT",
        signed_on=TODAY,
        signer_name="Phạm Văn Yên",
        signer_title="CHỦ TỊCH",
        minutes_date=TODAY,
        council_members=3,
        votes_for=2,
        nomination_ids=[theirs.id],
    )
    assert other.number == "15/TTr-STTTT"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("15/TTr-STTTT", "15/TTr-STTTT"),
        ("7/TTr-UBND", "07/TTr-UBND"),
        ("123 / ttr-snv-tđkt", "123/TTr-SNV-TĐKT"),
        ("15/TTr", "15/TTr"),
        ("08/TTr-P.KT", "08/TTr-P.KT"),
    ],
)
def test_number_is_normalised(typed: str, stored: str) -> None:
    assert submissions.normalise_number(typed) == stored


@pytest.mark.parametrize("typed", ["", "TTr-STTTT", "15/QĐ-UBND", "15-TTr-STTTT", "15/TTr STTTT"])
def test_number_must_be_a_to_trinh_number(typed: str) -> None:
    with pytest.raises(SubmissionError) as caught:
        submissions.normalise_number(typed)
    assert caught.value.field == "number"


@pytest.mark.parametrize(
    ("signed_on", "minutes_date", "field"),
    [
        (date(2025, 9, 6), date(2025, 9, 2), "signed_on"),
        (date(2025, 9, 5), date(2025, 9, 6), "minutes_date"),
        (date(2025, 9, 1), date(2025, 9, 2), "signed_on"),
    ],
)
def test_dates_not_in_the_future_and_signed_after_the_meeting(
    filing: Filing, signed_on: date, minutes_date: date, field: str
) -> None:
    with pytest.raises(SubmissionError) as caught:
        filing.submit([filing.draft()], signed_on=signed_on, minutes_date=minutes_date)
    assert caught.value.field == field


def test_signer_is_required(filing: Filing) -> None:
    with pytest.raises(SubmissionError) as caught:
        filing.submit([filing.draft()], signer_name="  ")
    assert caught.value.field == "signer_name"
    with pytest.raises(SubmissionError) as caught:
        filing.submit([filing.draft()], signer_title="")
    assert caught.value.field == "signer_title"


def test_batch_must_hold_the_units_own_nominations(filing: Filing) -> None:
    theirs = filing.draft(unit=filing.other_unit)
    with pytest.raises(SubmissionError, match="không thuộc đơn vị"):
        filing.submit([theirs])
    with pytest.raises(SubmissionError, match="ít nhất một hồ sơ"):
        filing.submit([])
    assert _states([theirs]) == [NominationState.DRAFT]


def test_only_the_units_head_submits(filing: Filing) -> None:
    draft = filing.draft()
    for actor in (filing.clerk, filing.other_head, filing.board):
        with pytest.raises(NotPermitted):
            filing.submit([draft], actor=actor)
    assert _count(Submission) == 0


# --------------------------------------------------------------------------- intake


def test_board_accepts_and_returns_with_reason_in_history(filing: Filing) -> None:
    keep, send_back = filing.draft(), filing.draft()
    filing.submit([keep, send_back])

    workflow.transition(keep, "accept", filing.board)
    workflow.transition(send_back, "return", filing.board, reason="Thiếu số liệu năm 2024.")
    _db.session.commit()

    assert _states([keep, send_back]) == [NominationState.IN_REVIEW, NominationState.RETURNED]
    last = send_back.events[-1]
    assert (last.action, last.reason, last.actor_id) == (
        "return",
        "Thiếu số liệu năm 2024.",
        filing.board.id,
    )
    bk = filing.setup.forms["BK"]
    assert quotas.used(filing.round.id, bk.id, filing.unit.id) == 1


def test_accept_complete_accepts_only_complete_waiting_nominations(filing: Filing) -> None:
    batch = [filing.draft(), filing.draft(), filing.draft()]
    submission = filing.submit(batch)
    workflow.transition(batch[0], "return", filing.board, reason="Xem lại trích yếu.")
    batch[1].report_achievements = ""  # lost after submission: no longer complete

    accepted = submissions.accept_complete(submission, filing.board)

    assert accepted == [batch[2]]
    assert _states(batch) == [
        NominationState.RETURNED,
        NominationState.SUBMITTED,
        NominationState.IN_REVIEW,
    ]
    with pytest.raises(NotPermitted):
        submissions.accept_complete(submission, filing.head)


def test_review_dossier_names_missing_minutes_and_sections(filing: Filing) -> None:
    batch = [filing.draft(), filing.draft()]
    submission = filing.submit(batch)
    batch[0].report_profile = ""

    problems, reviews = submissions.review_dossier(submission)

    assert problems == ["Chưa có tệp biên bản họp Hội đồng thi đua của đơn vị kèm Tờ trình."]
    assert [(r.nomination.id, r.complete) for r in reviews] == [
        (batch[0].id, False),
        (batch[1].id, True),
    ]
    _add_file(submission=submission, actor=filing.head)
    assert submissions.review_dossier(submission)[0] == []


def _add_file(
    *, actor: User, submission: Submission | None = None, nomination: Nomination | None = None
) -> EvidenceFile:
    _add_file.n = getattr(_add_file, "n", 0) + 1  # type: ignore[attr-defined]
    row = EvidenceFile(
        submission=submission,
        nomination=nomination,
        storage_key=f"test/{_add_file.n}-{id(actor)}",  # type: ignore[attr-defined]
        original_name="Biên bản họp.pdf",
        content_type="application/pdf",
        size_bytes=10,
        sha256="0" * 64,
        uploaded_by_id=actor.id,
    )
    _db.session.add(row)
    _db.session.flush()
    return row


def test_intake_overview_counts_per_unit(filing: Filing) -> None:
    filing.setup.criteria["3.1"].evidence_required = True
    first = [filing.draft(), filing.draft(), filing.draft(RecipientKind.COLLECTIVE, form="GK")]
    for nomination in first[:2]:
        _add_file(nomination=nomination, actor=filing.head)
    _add_file(nomination=first[2], actor=filing.head)
    d1 = filing.submit(first, number="15/TTr-STTTT")
    _add_file(submission=d1, actor=filing.head)
    second = filing.draft()
    removed = _add_file(nomination=second, actor=filing.head)
    d2 = filing.submit([second], number="16/TTr-STTTT")
    removed.deleted_at = utcnow()  # its only evidence removed after submission: flagged
    filing.draft()  # a draft
    workflow.transition(first[0], "accept", filing.board)
    workflow.transition(first[1], "return", filing.board, reason="Bổ sung minh chứng.")
    submissions.grant_extension(
        filing.round, filing.other_unit, date(2025, 10, 5), "Sáp nhập đơn vị", filing.board
    )
    quiet = Unit(code="X-QUIET", name="Xã Không Nộp", kind=UnitKind.COMMUNE)
    _db.session.add(quiet)
    _db.session.commit()

    rows = submissions.intake_overview(filing.round)

    assert [(r.unit_code, r.total, r.dossier_count, r.extension_until) for r in rows] == [
        ("STTTT", 5, 2, None),
        ("H-YP", 0, 0, date(2025, 10, 5)),
    ]
    ours = rows[0]
    assert {s: n for s, n in ours.counts.items() if n} == {
        NominationState.DRAFT: 1,
        NominationState.SUBMITTED: 2,
        NominationState.IN_REVIEW: 1,
        NominationState.RETURNED: 1,
    }
    assert ours.count(NominationState.SUBMITTED, NominationState.IN_REVIEW) == 3
    assert ours.last_submitted_at == d2.submitted_at
    assert [
        (
            d.number,
            d.nominations,
            d.waiting,
            d.incomplete,
            d.without_evidence,
            d.minutes_files,
            d.complete,
        )
        for d in ours.dossiers
    ] == [
        ("16/TTr-STTTT", 1, 1, 0, 1, 0, False),
        ("15/TTr-STTTT", 3, 1, 0, 0, 1, True),
    ]
    assert rows[1].dossiers == []


def test_intake_overview_query_count_does_not_grow_with_units(filing: Filing, make_unit) -> None:  # type: ignore[no-untyped-def]
    statements: list[str] = []
    engine = _db.engine

    def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        statements.append(statement)

    filing.submit([filing.draft()])
    _db.session.commit()
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        submissions.intake_overview(filing.round)
        few = len(statements)
        for n in range(5):
            unit = make_unit(f"Xã thử {n}", kind=UnitKind.COMMUNE)
            submissions.grant_extension(
                filing.round, unit, date(2025, 10, 1), "Lý do", filing.board
            )
        _db.session.commit()
        statements.clear()
        rows = submissions.intake_overview(filing.round)
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert len(rows) == 6
    assert len(statements) == few


# --------------------------------------------------------------------------- extensions


def test_grant_extension_upserts_per_unit_and_round(filing: Filing) -> None:
    first = submissions.grant_extension(
        filing.round, filing.unit, date(2025, 10, 3), " Chờ  ý kiến ", filing.board
    )
    again = submissions.grant_extension(
        filing.round, filing.unit, date(2025, 10, 6), "Bổ sung hồ sơ", filing.board
    )
    _db.session.commit()

    assert again.id == first.id
    assert _count(Extension) == 1
    assert (again.until, again.reason, again.granted_by_id) == (
        date(2025, 10, 6),
        "Bổ sung hồ sơ",
        filing.board.id,
    )
    assert submissions.extension_until(filing.round, filing.unit.id) == date(2025, 10, 6)
    assert submissions.extensions_of(filing.round) == [again]

    submissions.revoke_extension(again, filing.board)
    _db.session.commit()
    assert _count(Extension) == 0


def test_grant_extension_is_checked(filing: Filing) -> None:
    with pytest.raises(SubmissionError) as caught:
        submissions.grant_extension(
            filing.round, filing.unit, date(2025, 9, 29), "Lý do", filing.board
        )
    assert caught.value.field == "until"
    with pytest.raises(SubmissionError) as caught:
        submissions.grant_extension(filing.round, filing.unit, date(2025, 10, 1), " ", filing.board)
    assert caught.value.field == "reason"
    with pytest.raises(NotPermitted):
        submissions.grant_extension(filing.round, filing.unit, date(2025, 10, 1), "x", filing.head)
    extension = submissions.grant_extension(
        filing.round, filing.unit, date(2025, 9, 30), "Đúng hạn chót", filing.board
    )
    with pytest.raises(NotPermitted):
        submissions.revoke_extension(extension, filing.head)
    filing.round.phase = RoundPhase.REVIEWING
    with pytest.raises(SubmissionError, match="qua giai đoạn nhận hồ sơ"):
        submissions.grant_extension(filing.round, filing.unit, date(2025, 10, 1), "x", filing.board)


def test_workflow_error_is_a_submission_problem_not_a_crash(filing: Filing) -> None:
    # A nomination the transition refuses for a reason the pre-check does not know still lands in
    # the problems list (here: the round's phase changes under the batch).
    draft = filing.draft()

    def refuse(*args: object, **kwargs: object) -> None:
        raise WorkflowError("Từ chối thử nghiệm.")

    original = workflow.transition
    workflow.transition = refuse  # type: ignore[assignment]
    try:
        with pytest.raises(SubmissionError) as caught:
            filing.submit([draft])
    finally:
        workflow.transition = original  # type: ignore[assignment]
    assert caught.value.problems[0].reasons == ("Từ chối thử nghiệm.",)
    assert _count(Submission) == 0


def test_number_race_is_caught_by_the_database(
    filing: Filing, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two heads' requests both found the number free: the UNIQUE constraint refuses the second.
    filing.submit([filing.draft()], number="15/TTr-STTTT")
    _db.session.commit()
    late = filing.draft()
    _db.session.commit()
    monkeypatch.setattr(submissions, "number_taken", lambda *args: False)

    with pytest.raises(SubmissionError) as caught:
        filing.submit([late], number="15/TTr-STTTT")

    assert caught.value.field == "number"
    _db.session.rollback()
    assert _count(Submission) == 1
    assert _states([late]) == [NominationState.DRAFT]


def test_the_signed_document_does_not_change_when_a_nomination_moves_on(db):
    """A nomination returned from one Tờ trình and filed again through another leaves the first
    Tờ trình's list as it was signed."""
    from awards import submissions, workflow
    from models import Role
    from tests import factories

    filing = factories.make_filing()
    unit = factories.make_unit()
    head = factories.make_user(Role.UNIT_HEAD, unit=unit)
    nomination = factories.make_nomination(filing, unit, head)
    first = submissions.submit_dossier(
        filing.round,
        unit,
        head,
        number=f"01/TTr-{unit.code}",
        signed_on=factories.IN_WINDOW,
        signer_name="Hoàng Văn Nam",
        signer_title="GIÁM ĐỐC",
        minutes_date=factories.IN_WINDOW,
        council_members=5,
        votes_for=4,
        nomination_ids=[nomination.id],
        on=factories.IN_WINDOW,
    )
    signed = submissions.document_of(first)
    workflow.transition(
        nomination, "return", filing.board, reason="Bổ sung", on=factories.IN_WINDOW
    )
    workflow.transition(nomination, "reopen", head, on=factories.IN_WINDOW)
    nomination.nominee_name = "Tên đã sửa sau khi trả lại"
    second = submissions.submit_dossier(
        filing.round,
        unit,
        head,
        number=f"02/TTr-{unit.code}",
        signed_on=factories.IN_WINDOW,
        signer_name="Hoàng Văn Nam",
        signer_title="GIÁM ĐỐC",
        minutes_date=factories.IN_WINDOW,
        council_members=5,
        votes_for=4,
        nomination_ids=[nomination.id],
        on=factories.IN_WINDOW,
    )
    db.session.commit()

    assert first.nominations == []
    assert submissions.document_of(first) == signed
    assert signed["total"] == 1
    assert "Tên đã sửa sau khi trả lại" not in str(signed)
    assert "Tên đã sửa sau khi trả lại" in str(submissions.document_of(second))
