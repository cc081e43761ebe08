"""Demo approval, public disclosure and award decisions for the rounds CDS2024 and CDS2025.

``CDS2024`` (no disclosure) ends with issued decisions: the approver ``lanhdao`` approves the
proposed list on 7 October 2024 but one item, rejected with a reason; the board ``bantdkt`` drafts
one decision per award form, signed on 8 October 2024 (before the ceremony of 10 October) on the
Tờ trình of Sở Nội vụ; ``lanhdao`` issues them, which awards the items and creates their
certificates; the round is decided. ``CDS2025`` waits at approval: its proposed list was published
for its 10 working days of public comment (from 7 October 2025), three comments came in and the
board answered one; the round is in ``approving`` and nothing is approved yet.

Everything goes through the services the interface uses (``campaign_setup.set_round_phase``,
``approvals``, ``decisions``, ``disclosure``). Those take "today" from ``awards.clock``: the demo
runs them as on the day of the story (``_on``), inside a request context for the links their
notifications carry (``_acting``). Timestamps set to "now" are then moved into the story's calendar,
as ``demo_nominations`` does; the audit trail keeps the real load times.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields, replace
from datetime import date, datetime, time

import sqlalchemy as sa
from flask import current_app, g

from awards import approvals, audit, campaign_setup, clock, decisions, disclosure, workdays
from awards.extensions import db
from models import (
    AwardForm,
    Certificate,
    CertificateMode,
    CertificatePrint,
    Decision,
    DecisionItem,
    DecisionState,
    Job,
    Nomination,
    NominationEvent,
    NominationState,
    Notification,
    PublicComment,
    RecipientKind,
    Round,
    RoundPhase,
    Unit,
    User,
)

APPROVED_ON_2024 = date(2024, 10, 7)
SIGNED_ON_2024 = date(2024, 10, 8)
PUBLISHED_ON_2025 = date(2025, 10, 7)

PROPOSAL_UBND = (
    "Theo đề nghị của Giám đốc Sở Nội vụ tại Tờ trình số 215/TTr-SNV ngày 01 tháng 10 năm 2024"
)
# A decision of the Director of Sở Nội vụ is proposed by the board and executed in the department.
PROPOSAL_SNV = "Theo đề nghị của Trưởng Ban Thi đua – Khen thưởng"
EXECUTORS_SNV = (
    "Chánh Văn phòng Sở, Trưởng Ban Thi đua – Khen thưởng, Thủ trưởng các cơ quan, "
    "đơn vị có liên quan"
)
RECIPIENTS_SNV = "Như Điều 3\nLưu: VT, TĐKT"
SNV_MANDATE = (
    "Căn cứ Quyết định của Ủy ban nhân dân tỉnh Bắc Ninh quy định chức năng, nhiệm vụ, "
    "quyền hạn và cơ cấu tổ chức của Sở Nội vụ"
)
# The campaign cites the decree in force when the demo is explored; in October 2024, the 2023 one.
DECREE_NOW = "Nghị định số 152/2025/NĐ-CP của Chính phủ"
DECREE_2024 = "Nghị định số 98/2023/NĐ-CP ngày 31 tháng 12 năm 2023 của Chính phủ"

REJECTION_REASON = (
    "Chưa có minh chứng sáng kiến được công nhận ở cấp tỉnh như yêu cầu của hình thức Bằng khen; "
    "đề nghị đơn vị xem xét khen thưởng theo thẩm quyền."
)

# (day, name, contact, text, about this unit's collective nomination or None, the board's answer)
COMMENTS_2025 = [
    (
        date(2025, 10, 8),
        "Nguyễn Văn Bình",
        "binh.nguyen@example.com",
        "Tôi là người dân phường Đình Bảng, thường xuyên nộp hồ sơ trực tuyến tại Bộ phận Một cửa. "
        "Đề nghị cho biết UBND phường được đề xuất khen thưởng dựa trên những kết quả cụ thể nào?",
        "P-DINHBANG",
        "Ban Thi đua – Khen thưởng trả lời: tỷ lệ hồ sơ thủ tục hành chính của phường được "
        "xử lý trực tuyến toàn trình năm 2025 đạt trên 90%, 100% kết quả giải quyết được số "
        "hóa; số liệu có minh chứng kèm theo trong hồ sơ đề nghị. Cảm ơn ông đã quan tâm.",
    ),
    (
        date(2025, 10, 10),
        "Trần Thị Thủy",
        "0912 345 678",
        "Đồng ý với danh sách đề xuất. Đề nghị năm sau công khai thêm bảng điểm theo từng tiêu chí "
        "để các đơn vị học tập kinh nghiệm.",
        None,
        "",
    ),
    (
        date(2025, 10, 15),
        "Lê Hoàng Nam",
        "lehoangnam@example.com",
        "Đề nghị Hội đồng xem xét lại: trong tháng 8/2025 có mấy ngày Bộ phận Một cửa huyện "
        "Tiên Du không tiếp nhận được hồ sơ trực tuyến do lỗi hệ thống, người dân phải nộp "
        "trực tiếp.",
        "H-TD",
        "",
    ),
]


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    """A naive UTC timestamp (as stored): ``hour`` UTC is ``hour`` + 7 in Hà Nội."""
    return datetime.combine(day, time(hour, minute))


@contextmanager
def _on(day: date) -> Iterator[None]:
    """Run services that read ``awards.clock.today()`` as on ``day`` (the demo's story is past)."""
    real = clock.today
    clock.today = lambda: day
    try:
        yield
    finally:
        clock.today = real


@contextmanager
def _acting(user: User) -> Iterator[None]:
    """A request context for the services that link their notifications (``url_for``), with what
    they record attributed to ``user``. It shares the command's application context (and so its
    database session); what it leaves in ``g`` is removed afterwards."""
    before = set(g)
    with current_app.test_request_context(
        base_url=current_app.config["PUBLIC_BASE_URL"], environ_base={"REMOTE_ADDR": ""}
    ):
        audit.attribute_request_to(user)
        try:
            yield
        finally:
            for name in set(g) - before:
                g.pop(name, None)


def _last_id(model: type[NominationEvent] | type[Notification]) -> int:
    return db.session.scalar(sa.select(sa.func.max(model.id))) or 0


@dataclass
class _Marks:
    event: int
    notification: int


def _mark() -> _Marks:
    db.session.flush()
    return _Marks(_last_id(NominationEvent), _last_id(Notification))


def _backdate_since(marks: _Marks, when: datetime) -> None:
    """Date the nomination events and notifications recorded after ``marks`` at ``when``."""
    db.session.flush()
    for model, last in ((NominationEvent, marks.event), (Notification, marks.notification)):
        db.session.execute(sa.update(model).where(model.id > last).values(created_at=when))


def _forms(round_: Round) -> list[AwardForm]:
    return list(
        db.session.scalars(
            sa.select(AwardForm)
            .where(AwardForm.campaign_id == round_.campaign_id)
            .order_by(AwardForm.position, AwardForm.id)
        )
    )


# --------------------------------------------------------------------------- CDS2024


def _to_reject(round_: Round, form: AwardForm) -> Nomination:
    """The proposed individual of ``form`` with the lowest score: the approver turns it down."""
    return db.session.scalars(
        sa.select(Nomination)
        .where(
            Nomination.round_id == round_.id,
            Nomination.award_form_id == form.id,
            Nomination.state == NominationState.PROPOSED,
            Nomination.kind == RecipientKind.INDIVIDUAL,
        )
        .order_by(Nomination.score.asc().nulls_first(), Nomination.id.desc())
        .limit(1)
    ).one()


def _approve_2024(round_: Round, approver: User) -> approvals.Outcome:
    """The approver rejects one item of the Bằng khen, then approves the rest of every list."""
    forms = _forms(round_)
    marks = _mark()
    total = approvals.Outcome()
    with _on(APPROVED_ON_2024):
        campaign_setup.set_round_phase(round_, RoundPhase.APPROVING)
    with _on(APPROVED_ON_2024), _acting(approver):
        rejected = _to_reject(round_, forms[0])
        outcome = approvals.decide(round_, approver, reject={rejected.id: REJECTION_REASON})
        total.rejected += outcome.rejected
        total.refused += outcome.refused
        for form in forms:
            outcome = approvals.approve_all(round_, form, approver)
            total.approved += outcome.approved
            total.refused += outcome.refused
    _backdate_since(marks, _at(APPROVED_ON_2024, 3))
    return total


def _basis_2024(legal_basis: str, form: AwardForm) -> str:
    """The campaign's "Căn cứ" lines as they read on 8 October 2024; for the department's decision,
    its own mandate instead of the law on local government."""
    if DECREE_NOW not in legal_basis:
        raise ValueError(f"the demo's legal basis no longer cites {DECREE_NOW}")
    lines = legal_basis.replace(DECREE_NOW, DECREE_2024).splitlines()
    if form.decision_symbol == "QĐ-UBND":
        return "\n".join(lines)
    lines = [line for line in lines if "Tổ chức chính quyền địa phương" not in line]
    plan = next(i for i, line in enumerate(lines) if "Kế hoạch" in line)
    lines.insert(plan, SNV_MANDATE)
    return "\n".join(lines)


def _draft_2024(round_: Round, form: AwardForm, board: User) -> Decision:
    """The board's draft of ``form``'s decision, dated 8 October 2024."""
    draft = decisions.create_draft(round_, form, board)
    current = decisions.DraftData(
        **{field.name: getattr(draft, field.name) for field in fields(decisions.DraftData)}
    )
    by_ubnd = form.decision_symbol == "QĐ-UBND"
    data = replace(
        current,
        signed_on=SIGNED_ON_2024,
        legal_basis=_basis_2024(draft.legal_basis, form),
        proposal=PROPOSAL_UBND if by_ubnd else PROPOSAL_SNV,
        executors=current.executors if by_ubnd else EXECUTORS_SNV,
        recipients=current.recipients if by_ubnd else RECIPIENTS_SNV,
    )
    decisions.update_draft(draft, data, board)
    return draft


@dataclass
class DecisionsResult:
    outcome: approvals.Outcome
    issued: list[Decision]


def decide_2024(round_: Round, board: User, approver: User) -> DecisionsResult:
    """Carry ``round_`` (proposed, in ``council``) to ``decided`` with one issued decision per award
    form (see the module docstring)."""
    outcome = _approve_2024(round_, approver)
    drafted_at = _at(APPROVED_ON_2024, 9)
    issued_at = _at(SIGNED_ON_2024, 8)
    issued = []
    for form in _forms(round_):
        if not decisions.awaiting(round_, form):
            continue
        with _on(APPROVED_ON_2024), _acting(board):
            draft = _draft_2024(round_, form, board)
        marks = _mark()
        with _on(SIGNED_ON_2024), _acting(approver):
            decision = decisions.issue(draft, approver)
        _backdate_since(marks, issued_at)
        decision.created_at = drafted_at
        decision.issued_at = issued_at
        for certificate in db.session.scalars(
            sa.select(Certificate)
            .join(DecisionItem, DecisionItem.id == Certificate.item_id)
            .where(DecisionItem.decision_id == decision.id)
        ):
            certificate.created_at = issued_at
        issued.append(decision)
    with _on(SIGNED_ON_2024):
        campaign_setup.set_round_phase(round_, RoundPhase.DECIDED)
    db.session.flush()
    return DecisionsResult(outcome, issued)


# --------------------------------------------------------------------------- CDS2025


def _collective_of(round_: Round, unit_code: str) -> int:
    """The published collective nomination of the unit ``unit_code`` in ``round_``."""
    return db.session.scalars(
        sa.select(Nomination.id)
        .join(Unit, Unit.id == Nomination.unit_id)
        .where(
            Nomination.round_id == round_.id,
            Unit.code == unit_code,
            Nomination.kind == RecipientKind.COLLECTIVE,
            Nomination.state.in_(disclosure.PUBLISHED_STATES),
        )
    ).one()


def publish_2025(round_: Round, board: User) -> list[PublicComment]:
    """Publish ``round_``'s proposed list (in ``council``) on 7 October 2025, take the public's
    comments, answer one, and move the round to ``approving`` the working day after the window."""
    with _on(PUBLISHED_ON_2025):
        campaign_setup.set_round_phase(round_, RoundPhase.DISCLOSURE)
    comments = []
    for position, (day, name, contact, body, unit_code, reply) in enumerate(COMMENTS_2025):
        comment = disclosure.add_comment(
            round_,
            name=name,
            contact=contact,
            body=body,
            nomination_id=_collective_of(round_, unit_code) if unit_code else None,
            client_addr=f"203.0.113.{20 + position}",  # a documentation address (RFC 5737)
            on=day,
        )
        comment.created_at = _at(day, 2 + position)
        if reply:
            disclosure.answer(comment, reply, board)
            comment.answered_at = _at(workdays.add_working_days(day, 1), 3)
        comments.append(comment)
    after = workdays.add_working_days(round_.disclosure_ends, 1)
    with _on(after):
        campaign_setup.set_round_phase(round_, RoundPhase.APPROVING)
    db.session.flush()
    return comments


# --------------------------------------------------------------------------- the whole step


def seed(board: User, approver: User) -> str:
    """CDS2024 decided, CDS2025 waiting at approval (flushes; the caller commits)."""
    rounds = {r.code: r for r in db.session.scalars(sa.select(Round))}
    cds2024, cds2025 = rounds["CDS2024"], rounds["CDS2025"]
    result = decide_2024(cds2024, board, approver)
    numbers = ", ".join(f"{d.number} ({len(d.items)} tập thể, cá nhân)" for d in result.issued)
    comments = publish_2025(cds2025, board)
    answered = sum(1 for c in comments if c.answer)
    refused = len(result.outcome.refused)
    return (
        f"CDS2024: {result.outcome.approved} hồ sơ được phê duyệt, "
        f"{result.outcome.rejected} không được phê duyệt"
        + (f", {refused} vượt chỉ tiêu" if refused else "")
        + f"; quyết định {numbers} ngày "
        f"{SIGNED_ON_2024.strftime('%d/%m/%Y')}; "
        f"CDS2025: công khai từ {_window(cds2025)}, {len(comments)} ý kiến "
        f"({answered} đã trả lời), chờ phê duyệt"
    )


def _window(round_: Round) -> str:
    """The round's disclosure window as the summary prints it ("07/10/2025 đến 21/10/2025")."""
    return (
        f"{round_.disclosure_starts.strftime('%d/%m/%Y')} đến "
        f"{round_.disclosure_ends.strftime('%d/%m/%Y')}"
    )


# --------------------------------------------------------------------------- printing (after commit)

PRINTED_ON_2024 = date(2024, 10, 9)


def print_2024() -> str:
    """Print the certificates of CDS2024's decisions (full design, one PDF per decision) as the board
    did on 09/10/2024, through the batch-printing job. Jobs run in a session of their own, so this
    runs after the seed is committed; it commits."""
    from awards import jobs, printing

    board = db.session.scalar(sa.select(User).where(User.username == "bantdkt"))
    round_ = db.session.scalar(sa.select(Round).where(Round.code == "CDS2024"))
    issued = [d for d in decisions.decisions_of(round_) if d.state is DecisionState.ISSUED]
    job_ids = []
    for decision in sorted(issued, key=lambda d: d.id):
        with _acting(board):
            job = printing.start_print(
                decision, mode=CertificateMode.FULL, printer=None, fmt="pdf", reason="", actor=board
            )
        job_ids.append(job.id)
    db.session.commit()
    # No transaction of this session may be open while a job writes (SQLite: one writer at a time).
    db.session.close()
    for job_id in job_ids:
        jobs.run(job_id)
    printed_at = _at(PRINTED_ON_2024, 2)
    db.session.execute(
        sa.update(Job)
        .where(Job.id.in_(job_ids))
        .values(created_at=printed_at, started_at=printed_at, finished_at=printed_at)
    )
    db.session.execute(
        sa.update(CertificatePrint)
        .where(CertificatePrint.job_id.in_(job_ids))
        .values(printed_at=printed_at)
    )
    printed = db.session.scalars(
        sa.select(CertificatePrint.certificate_id).where(CertificatePrint.job_id.in_(job_ids))
    ).all()
    db.session.execute(
        sa.update(Certificate).where(Certificate.id.in_(printed)).values(last_printed_at=printed_at)
    )
    db.session.commit()
    return f"CDS2024: đã in {len(printed)} giấy chứng nhận ngày {PRINTED_ON_2024:%d/%m/%Y}"
