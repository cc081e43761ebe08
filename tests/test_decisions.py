"""Award decisions (``awards/decisions.py``, issue 5): drafting, issuing, immutability, revocation.

From the approved nominations of a round to an issued decision: the draft's items in annex order and
their cash, the legal basis taken from the campaign, the draft's validation, re-synchronising a draft
after a rejection; issuing takes the number and the golden-book numbers, awards every item, creates the
certificates, freezes the document and stores the PDF with its SHA-256 — after which nothing can be
edited, only revoked (Law 06/2022 ch. VII), with everything kept and the history showing both steps.
The issued PDF is read back with pdftotext and pypdf (its layout is tested in depth from sample data in
``tests/test_decision_pdf.py``).
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import re
import subprocess
import unicodedata
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask import Flask
from pypdf import PdfReader

from awards import approvals, clock, decisions, numbering, workflow
from awards.decisions import DecisionError, DecisionNotPermitted, DraftData
from awards.extensions import db as _db
from awards.storage import get_storage
from awards.templating import long_date
from awards.workflow import WorkflowError
from models import (
    Certificate,
    CertificateStatus,
    Decision,
    DecisionItem,
    DecisionState,
    Nomination,
    NominationEvent,
    NominationState,
    Notification,
    RecipientKind,
    Role,
    RoundPhase,
)
from tests.factories import make_award_form, make_user
from tests.test_approvals import REASON, Approval

S = NominationState
COL, IND = RecipientKind.COLLECTIVE, RecipientKind.INDIVIDUAL
BASE_SALARY = Decimal(2_340_000)
LEGAL_BASIS = (
    "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 02 năm 2025;\n"
    "Căn cứ Luật Thi đua, khen thưởng ngày 15 tháng 6 năm 2022;\n"
    "\n"
    "  Căn cứ Nghị định số 152/2025/NĐ-CP ngày 14 tháng 6 năm 2025 của Chính phủ;  \n"
    "Theo đề nghị của Giám đốc Sở Nội vụ tại Tờ trình số 215/TTr-SNV ngày 01 tháng 10 năm 2025."
)
# Created in this order, scores 90, 89, …: unit 1 gets the first three, unit 2 the last three.
NAMES = [
    "Nguyễn Thị Phượng",
    "Phòng Văn hóa và Thông tin huyện Tiên Du",
    "Đặng Quốc Hưng",
    "Trường THCS Lý Thường Kiệt",
    "Lê Thị Ánh Nguyệt",
    "Ủy ban nhân dân xã Phù Chẩn",
]
KINDS = [IND, COL, IND, COL, IND, COL]
# The annex: collectives first, then individuals, each best score first.
ANNEX = [NAMES[1], NAMES[3], NAMES[5], NAMES[0], NAMES[2], NAMES[4]]
# Crockford's base32 in groups of five: 0-9 and A-Z without I, L, O, U.
CODE = re.compile(r"[0-9A-HJKMNP-TV-Z]{5}(-[0-9A-HJKMNP-TV-Z]{5}){3}")


@pytest.fixture()
def request_ctx(app: Flask, db: object):  # type: ignore[no-untyped-def]
    with app.test_request_context("/", method="POST"):
        yield


class Drafting(Approval):
    """Six proposed nominations (three collectives, three individuals, names with full diacritics) of
    a Bằng khen with cash multiples 3 (collective) and 1.5 (individual), all approved."""

    def __init__(self, **kwargs: object) -> None:
        kwargs.setdefault("per_unit", (3, 3))
        kwargs.setdefault("kinds", list(KINDS))
        kwargs.setdefault("names", list(NAMES))
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.filing.campaign.legal_basis = LEGAL_BASIS
        self.form.cash_multiple_collective = Decimal(3)
        self.form.cash_multiple_individual = Decimal("1.5")
        self.form.signer_prefix = "KT."
        self.form.signer_title = "PHÓ CHỦ TỊCH"
        self.form.signer_name = "Nguyễn Hữu Thành"
        outcome = approvals.approve_all(self.round, self.form, self.approver)
        assert outcome.approved == len(self.nominations), outcome
        _db.session.flush()

    def draft(self) -> Decision:
        return decisions.create_draft(self.round, self.form, self.board)

    def issued(self) -> Decision:
        return decisions.issue(self.draft(), self.approver)


@pytest.fixture()
def scene(request_ctx: None) -> Drafting:
    return Drafting()


def data_of(decision: Decision, **changes: object) -> DraftData:
    values = DraftData(
        signed_on=decision.signed_on,
        subject=decision.subject,
        legal_basis=decision.legal_basis,
        proposal=decision.proposal,
        executors=decision.executors,
        recipients=decision.recipients,
        signer_prefix=decision.signer_prefix,
        signer_head_title=decision.signer_head_title,
        signer_title=decision.signer_title,
        signer_name=decision.signer_name,
        base_salary=decision.base_salary,
    )
    return replace(values, **changes)


def count(model: type) -> int:
    return _db.session.scalar(sa.select(sa.func.count()).select_from(model))


def history(nomination: Nomination) -> list[str]:
    return list(
        _db.session.scalars(
            sa.select(NominationEvent.action)
            .where(NominationEvent.nomination_id == nomination.id)
            .order_by(NominationEvent.id)
        )
    )


def pdf_text(data: bytes) -> str:
    """The PDF's text in the order it was written (``-raw``): a table cell's wrapped lines stay
    together instead of interleaving with the cell beside it."""
    result = subprocess.run(
        ["pdftotext", "-raw", "-enc", "UTF-8", "-", "-"],
        input=data,
        capture_output=True,
        check=True,
        timeout=60,
    )
    return result.stdout.decode("utf-8")


def one_line(text: str) -> str:
    return " ".join(text.split())


# --------------------------------------------------------------------------- drafting


@pytest.mark.parametrize("role", [Role.APPROVER, Role.REVIEWER, Role.UNIT_HEAD, Role.ADMIN])
def test_only_the_board_drafts(scene: Drafting, role: Role) -> None:
    actor = make_user(role, unit=scene.units[0] if role is Role.UNIT_HEAD else None)
    with pytest.raises(DecisionNotPermitted):
        decisions.create_draft(scene.round, scene.form, actor)
    assert count(Decision) == 0


@pytest.mark.parametrize("phase", [p for p in RoundPhase if p not in decisions.DRAFTING_PHASES])
def test_drafting_waits_for_the_approval_phase(scene: Drafting, phase: RoundPhase) -> None:
    scene.round.phase = phase
    with pytest.raises(DecisionError):
        scene.draft()
    assert count(Decision) == 0


def test_a_draft_holds_the_approved_items_in_annex_order(scene: Drafting) -> None:
    rejected = scene.by_unit[1][2]  # the last collective
    approvals.decide(scene.round, scene.approver, reject={rejected.id: REASON})

    decision = scene.draft()

    assert decision.state is DecisionState.DRAFT
    assert (decision.number, decision.seq, decision.pdf_key, decision.pdf_sha256) == (
        None,
        None,
        None,
        None,
    )
    expected = [name for name in ANNEX if name != rejected.nominee_name]
    assert [item.name for item in decision.items] == expected
    assert [item.position for item in decision.items] == list(range(1, len(expected) + 1))
    assert [item.kind for item in decision.items] == [COL, COL, IND, IND, IND]
    assert all(item.golden_book is None and item.certificate is None for item in decision.items)
    # Nothing changes state until the decision is issued.
    assert {item.nomination.state for item in decision.items} == {S.APPROVED}


def test_a_draft_takes_its_texts_from_the_campaign_and_the_award_form(scene: Drafting) -> None:
    decision = scene.draft()

    assert decision.legal_basis == (
        "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 02 năm 2025\n"
        "Căn cứ Luật Thi đua, khen thưởng ngày 15 tháng 6 năm 2022\n"
        "Căn cứ Nghị định số 152/2025/NĐ-CP ngày 14 tháng 6 năm 2025 của Chính phủ"
    )
    assert decision.proposal == (
        "Theo đề nghị của Giám đốc Sở Nội vụ tại Tờ trình số 215/TTr-SNV ngày 01 tháng 10 năm 2025"
    )
    assert (decision.symbol, decision.issuer) == ("QĐ-UBND", "ỦY BAN NHÂN DÂN\nTỈNH BẮC NINH")
    assert decision.authority == scene.form.awarding_title
    assert scene.filing.campaign.name in decision.subject
    assert decision.subject.startswith(f"Về việc tặng {scene.form.name} cho các tập thể, cá nhân")
    assert (decision.signer_prefix, decision.signer_head_title) == ("KT.", "CHỦ TỊCH")
    assert (decision.signer_title, decision.signer_name) == ("PHÓ CHỦ TỊCH", "Nguyễn Hữu Thành")
    assert decision.signed_on == clock.today()
    assert decision.year == clock.today().year
    assert decision.created_by_id == scene.board.id


def test_cash_is_the_award_forms_multiple_of_the_base_salary(app: Flask, scene: Drafting) -> None:
    assert Decimal(app.config["BASE_SALARY_VND"]) == BASE_SALARY
    decision = scene.draft()

    assert decision.base_salary == BASE_SALARY
    cash = {item.name: item.cash for item in decision.items}
    assert cash[NAMES[1]] == Decimal(7_020_000)  # 3 × 2 340 000
    assert cash[NAMES[0]] == Decimal(3_510_000)  # 1,5 × 2 340 000
    assert {item.kind: item.cash for item in decision.items} == {
        COL: Decimal(7_020_000),
        IND: Decimal(3_510_000),
    }
    data = decisions.build_data(decision)
    assert data["totals"] == {
        "collectives": 3,
        "individuals": 3,
        "cash": 3 * 7_020_000 + 3 * 3_510_000,
    }
    article_2 = data["articles"][1]["text"]
    assert "mỗi tập thể 3 lần mức lương cơ sở (7.020.000 đồng)" in article_2
    assert "mỗi cá nhân 1,5 lần mức lương cơ sở (3.510.000 đồng)" in article_2
    assert "Tổng cộng: 31.590.000 đồng" in article_2


def test_an_award_form_without_cash_has_no_cash_article(request_ctx: None) -> None:
    scene = Drafting()
    scene.form.cash_multiple_collective = Decimal(0)
    scene.form.cash_multiple_individual = Decimal(0)
    data = decisions.build_data(scene.draft())

    assert [a["label"] for a in data["articles"]] == ["Điều 1.", "Điều 2."]
    assert data["totals"]["cash"] == 0
    assert "03 tập thể và 03 cá nhân" in data["articles"][0]["text"]


def test_nothing_to_draft_when_every_approved_item_is_in_a_decision(scene: Drafting) -> None:
    scene.draft()
    with pytest.raises(DecisionError, match="đang chờ quyết định"):
        scene.draft()
    assert count(Decision) == 1


def test_an_award_form_of_another_campaign_is_refused(scene: Drafting) -> None:
    elsewhere = Drafting()
    with pytest.raises(DecisionError):
        decisions.create_draft(scene.round, elsewhere.form, scene.board)


# --------------------------------------------------------------------------- editing a draft


def test_update_draft_saves_the_texts_and_the_cash_follows_the_base_salary(
    scene: Drafting,
) -> None:
    decision = scene.draft()
    signed_on = date(2026, 1, 5)

    decisions.update_draft(
        decision,
        data_of(
            decision,
            signed_on=signed_on,
            subject="  Về việc tặng Bằng khen năm 2025  ",
            legal_basis="Căn cứ Luật Thi đua, khen thưởng ngày 15 tháng 6 năm 2022",
            signer_prefix="",
            signer_head_title="",
            signer_title="CHỦ TỊCH",
            signer_name="Vương Quốc Tuấn",
            base_salary=Decimal(2_500_000),
        ),
        scene.board,
    )

    assert decision.subject == "Về việc tặng Bằng khen năm 2025"
    assert (decision.signed_on, decision.year) == (signed_on, 2026)
    assert (decision.signer_prefix, decision.signer_title) == ("", "CHỦ TỊCH")
    assert decision.base_salary == Decimal(2_500_000)
    assert {item.kind: item.cash for item in decision.items} == {
        COL: Decimal(7_500_000),
        IND: Decimal(3_750_000),
    }
    data = decisions.build_data(decision)
    assert data["signer"]["title_lines"] == ["CHỦ TỊCH"]
    assert data["legal_basis"] == ["Căn cứ Luật Thi đua, khen thưởng ngày 15 tháng 6 năm 2022"]
    assert data["date_line"] == "ngày 05 tháng 01 năm 2026"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"signer_prefix": "Q."}, "Tiền tố ký không hợp lệ"),
        ({"signer_prefix": "KT.", "signer_head_title": "  "}, "chức danh của người đứng đầu"),
        ({"signer_prefix": "TM.", "signer_head_title": ""}, "chức danh của người đứng đầu"),
        ({"base_salary": Decimal(0)}, "Mức lương cơ sở phải lớn hơn 0"),
        ({"base_salary": Decimal(-1)}, "Mức lương cơ sở phải lớn hơn 0"),
    ],
)
def test_update_draft_validates(scene: Drafting, changes: dict, message: str) -> None:
    decision = scene.draft()
    before = (decision.signer_prefix, decision.signer_head_title, decision.base_salary)

    with pytest.raises(DecisionError, match=message):
        decisions.update_draft(decision, data_of(decision, **changes), scene.board)

    assert (decision.signer_prefix, decision.signer_head_title, decision.base_salary) == before
    assert {item.cash for item in decision.items} == {Decimal(7_020_000), Decimal(3_510_000)}


def test_a_prefixed_signer_prints_the_heads_title_first(scene: Drafting) -> None:
    decision = scene.draft()
    decisions.update_draft(
        decision,
        data_of(decision, signer_prefix="TM.", signer_head_title="ỦY BAN NHÂN DÂN"),
        scene.board,
    )
    assert decisions.build_data(decision)["signer"]["title_lines"] == [
        "TM. ỦY BAN NHÂN DÂN",
        "PHÓ CHỦ TỊCH",
    ]


def test_only_the_board_edits_a_draft(scene: Drafting) -> None:
    decision = scene.draft()
    for action in (
        lambda: decisions.update_draft(decision, data_of(decision), scene.approver),
        lambda: decisions.sync_items(decision, scene.approver),
        lambda: decisions.delete_draft(decision, scene.approver),
    ):
        with pytest.raises(DecisionNotPermitted):
            action()
    assert count(Decision) == 1


def test_sync_items_after_a_rejection_and_a_new_approval(request_ctx: None) -> None:
    scene = Drafting(per_unit=(3, 4), kinds=[*KINDS, COL], names=[*NAMES, "Công an tỉnh Bắc Ninh"])
    late = scene.nominations[-1]  # the seventh: rejected before the draft is made
    approvals.decide(scene.round, scene.approver, reject={late.id: REASON})
    decision = scene.draft()
    assert len(decision.items) == 6
    dropped = scene.by_unit[0][1]  # "Phòng Văn hóa …", the best collective
    approvals.decide(scene.round, scene.approver, reject={dropped.id: REASON})

    # A draft that holds an item no longer approved cannot be issued…
    with pytest.raises(DecisionError, match=dropped.reference):
        decisions.issue(decision, scene.approver)
    assert decision.state is DecisionState.DRAFT
    assert decision.number is None

    # … until its list is brought in line; an item approved meanwhile joins it.
    other_form = make_award_form(scene.filing)
    stranger = Approval(per_unit=(1,), filing=scene.filing, form=other_form)
    approvals.approve_all(scene.round, other_form, stranger.approver)
    fresh = Approval(
        per_unit=(1,), filing=scene.filing, form=scene.form, kinds=[COL], names=["Mới"]
    )
    fresh.nominations[0].score = Decimal(95)  # best of all
    approvals.decide(scene.round, scene.approver, approve=fresh.ids)

    added, removed = decisions.sync_items(decision, scene.board)

    assert (added, removed) == (1, 1)
    names = [item.name for item in decision.items]
    assert names == ["Mới", NAMES[3], NAMES[5], NAMES[0], NAMES[2], NAMES[4]]
    assert [item.position for item in decision.items] == [1, 2, 3, 4, 5, 6]
    assert count(DecisionItem) == 6  # the dropped row is gone; the other form's item stays out
    assert all(item.nomination.award_form_id == scene.form.id for item in decision.items)
    assert decisions.sync_items(decision, scene.board) == (0, 0)
    issued = decisions.issue(decision, scene.approver)
    assert [item.golden_book for item in issued.items] == [1, 2, 3, 4, 5, 6]


def test_delete_draft_discards_it_and_its_items_stay_approved(scene: Drafting) -> None:
    decision = scene.draft()
    decisions.delete_draft(decision, scene.board)

    assert (count(Decision), count(DecisionItem)) == (0, 0)
    assert set(scene.states().values()) == {S.APPROVED}
    again = scene.draft()
    assert len(again.items) == 6
    assert numbering.current(numbering.decision_key("QĐ-UBND", again.year)) == 0


# --------------------------------------------------------------------------- issuing


def test_issue_numbers_awards_certifies_and_stores(app: Flask, scene: Drafting) -> None:
    decision = scene.draft()
    year = decision.year

    issued = decisions.issue(decision, scene.approver)

    assert issued is decision
    assert decision.state is DecisionState.ISSUED
    assert (decision.seq, decision.number) == (1, "01/QĐ-UBND")
    assert decision.issued_by_id == scene.approver.id and decision.issued_at is not None
    # Golden-book numbers in annex order.
    assert [item.name for item in decision.items] == ANNEX
    assert [item.golden_book for item in decision.items] == [1, 2, 3, 4, 5, 6]
    # Every item awarded, with its history.
    for item in decision.items:
        assert item.nomination.state is S.AWARDED
        assert history(item.nomination)[-2:] == ["approve", "award"]
    # One certificate per item: a serial from the golden book, an unguessable code.
    certificates = _db.session.scalars(sa.select(Certificate).order_by(Certificate.id)).all()
    assert [c.item_id for c in certificates] == [item.id for item in decision.items]
    assert [c.serial for c in certificates] == [f"{year}-QD-UBND-{n:05d}" for n in range(1, 7)]
    assert {c.status for c in certificates} == {CertificateStatus.VALID}
    codes = [c.code for c in certificates]
    assert all(CODE.fullmatch(code) for code in codes), codes
    assert len(set(codes)) == len(codes)
    # The frozen document is the data at issue; the stored PDF is what it says it is.
    assert json.loads(decision.document) == decisions.build_data(decision)
    assert decisions.decision_data(decision)["number"] == "01/QĐ-UBND"
    assert decisions.decision_data(decision)["draft"] is False
    with get_storage().open(decision.pdf_key) as stream:
        stored = stream.read()
    assert stored.startswith(b"%PDF-")
    assert hashlib.sha256(stored).hexdigest() == decision.pdf_sha256
    assert decisions.stored_pdf_matches(decision)
    assert decisions.render(decision) == stored
    # The units hear of it.
    notes = _db.session.scalars(
        sa.select(Notification).where(Notification.message.contains("đã được tặng"))
    ).all()
    assert len(notes) == 6 * 2  # each nomination's unit has a clerk and a head
    assert {n.link for n in notes} == {f"/public/decisions/{decision.id}"}
    assert decision in decisions.public_decisions()
    assert decisions.by_number("01/QĐ-UBND") is decision


def test_verification_codes_carry_at_least_80_random_bits() -> None:
    alphabet = decisions._CODE_ALPHABET
    length = decisions._CODE_LENGTH
    assert len(set(alphabet)) == len(alphabet) == 32
    assert len(alphabet) ** length >= 2**80
    assert math.log2(len(alphabet)) * length == 100
    codes = {decisions.verification_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(CODE.fullmatch(code) for code in codes)
    # Every symbol turns up (a skewed choice would shrink the space).
    assert set("".join(codes).replace("-", "")) == set(alphabet)


def test_numbers_and_golden_books_continue_across_decisions(request_ctx: None) -> None:
    scene = Drafting()
    first = scene.issued()
    other_form = make_award_form(scene.filing)  # a second form of the same issuing body
    second_scene = Drafting(filing=scene.filing, form=other_form, per_unit=(1, 1))
    second = second_scene.issued()

    assert (first.number, second.number) == ("01/QĐ-UBND", "02/QĐ-UBND")
    assert [item.golden_book for item in second.items] == [7, 8]
    assert numbering.current(numbering.golden_book_key("QĐ-UBND", second.year)) == 8


def test_another_symbol_counts_on_its_own(request_ctx: None) -> None:
    scene = Drafting()
    scene.issued()
    other_form = make_award_form(scene.filing)
    other_form.decision_symbol = "QĐ-SNV"
    other_form.decision_issuer = "UBND TỈNH BẮC NINH\nSỞ NỘI VỤ"
    second = Drafting(filing=scene.filing, form=other_form, per_unit=(1,)).issued()

    assert second.number == "01/QĐ-SNV"
    assert [item.golden_book for item in second.items] == [1]
    assert second.items[0].certificate.serial == f"{second.year}-QD-SNV-00001"
    assert decisions.decision_data(second)["issuer"]["superior"] == "UBND TỈNH BẮC NINH"


def test_only_an_approver_issues(scene: Drafting) -> None:
    decision = scene.draft()
    with pytest.raises(DecisionNotPermitted):
        decisions.issue(decision, scene.board)
    assert decision.state is DecisionState.DRAFT and decision.number is None
    assert count(Certificate) == 0


def test_issue_needs_a_signer(scene: Drafting) -> None:
    decision = scene.draft()
    decision.signer_name = " "
    with pytest.raises(DecisionError, match="người ký"):
        decisions.issue(decision, scene.approver)
    assert numbering.current(numbering.decision_key("QĐ-UBND", decision.year)) == 0


def test_issue_waits_for_the_approval_phase(scene: Drafting) -> None:
    decision = scene.draft()
    scene.round.phase = RoundPhase.COUNCIL
    with pytest.raises(DecisionError):
        decisions.issue(decision, scene.approver)
    assert decision.state is DecisionState.DRAFT


def test_a_failed_issue_gives_its_number_back(app: Flask, scene: Drafting, monkeypatch) -> None:
    """The number is taken inside the issuing transaction: if the PDF cannot be stored, the whole
    transaction rolls back and the next decision gets the same number — no gap."""
    decision = scene.draft()
    _db.session.commit()

    def broken(data: object) -> bytes:
        raise OSError("disk full")

    monkeypatch.setattr(decisions.decision_pdf, "render_decision", broken)
    with pytest.raises(OSError):
        decisions.issue(decision, scene.approver)
    _db.session.rollback()
    monkeypatch.undo()

    decision = _db.session.get(Decision, decision.id)
    assert decision.state is DecisionState.DRAFT
    assert numbering.current(numbering.decision_key("QĐ-UBND", decision.year)) == 0
    assert decisions.issue(decision, scene.approver).number == "01/QĐ-UBND"
    assert [item.golden_book for item in decision.items] == [1, 2, 3, 4, 5, 6]


# --------------------------------------------------------------------------- immutability


def test_an_issued_decision_cannot_be_changed(scene: Drafting) -> None:
    decision = scene.issued()
    frozen = decision.document
    sha = decision.pdf_sha256
    message = "Quyết định đã ban hành: không thể sửa"

    with pytest.raises(DecisionError, match=message):
        decisions.update_draft(decision, data_of(decision, subject="Sửa lại"), scene.board)
    with pytest.raises(DecisionError, match=message):
        decisions.sync_items(decision, scene.board)
    with pytest.raises(DecisionError, match=message):
        decisions.delete_draft(decision, scene.board)
    with pytest.raises(DecisionError, match=message):
        decisions.issue(decision, scene.approver)
    # Nor can its items be decided again.
    with pytest.raises(WorkflowError):
        workflow.transition(decision.items[0].nomination, "reject", scene.approver, reason=REASON)

    assert decision.number == "01/QĐ-UBND"
    assert decision.subject != "Sửa lại"
    assert (decision.document, decision.pdf_sha256) == (frozen, sha)
    assert (count(Decision), count(DecisionItem), count(Certificate)) == (1, 6, 6)
    assert numbering.current(numbering.decision_key("QĐ-UBND", decision.year)) == 1
    assert decisions.stored_pdf_matches(decision)


def test_the_issued_document_stays_as_issued(scene: Drafting) -> None:
    """What the PDF says was frozen at issue: later edits of the campaign or the award form do not
    reach it (a draft would show them)."""
    decision = scene.issued()
    issued = decisions.decision_data(decision)
    scene.filing.campaign.name = "Phong trào đã đổi tên"
    scene.form.cash_multiple_collective = Decimal(10)
    _db.session.flush()

    assert decisions.decision_data(decision) == issued
    assert "Phong trào đã đổi tên" in json.dumps(decisions.build_data(decision), ensure_ascii=False)
    assert "Phong trào đã đổi tên" not in json.dumps(issued, ensure_ascii=False)


def test_a_tampered_pdf_no_longer_matches_its_hash(scene: Drafting) -> None:
    decision = scene.issued()
    assert decisions.stored_pdf_matches(decision)
    get_storage().put(decision.pdf_key, io.BytesIO(decisions.render(decision) + b"\n% edited"))
    assert not decisions.stored_pdf_matches(decision)


# --------------------------------------------------------------------------- revocation


def test_revoking_an_item_needs_a_reason_and_a_reference(scene: Drafting) -> None:
    item = scene.issued().items[0]
    with pytest.raises(DecisionError, match="lý do"):
        decisions.revoke_item(item, scene.approver, " ", "Quyết định số 15/QĐ-UBND")
    with pytest.raises(DecisionError, match="văn bản hủy bỏ"):
        decisions.revoke_item(item, scene.approver, REASON, "")
    with pytest.raises(DecisionNotPermitted):
        decisions.revoke_item(item, scene.board, REASON, "Quyết định số 15/QĐ-UBND")
    assert item.revoked_at is None
    assert item.certificate.status is CertificateStatus.VALID
    assert item.nomination.state is S.AWARDED


def test_revoking_an_item_revokes_its_certificate_and_keeps_everything(scene: Drafting) -> None:
    decision = scene.issued()
    item, other = decision.items[0], decision.items[1]
    reference = "Quyết định số 15/QĐ-UBND ngày 20/11/2025"
    before = (count(DecisionItem), count(Certificate), count(Nomination))

    decisions.revoke_item(item, scene.approver, f"  {REASON} ", f" {reference} ")

    assert item.revoked_at is not None and item.revoked_by_id == scene.approver.id
    assert (item.revoke_reason, item.revoke_reference) == (REASON, reference)
    certificate = item.certificate
    assert certificate.status is CertificateStatus.REVOKED
    assert certificate.revoked_at is not None
    assert certificate.revoke_reason == REASON
    assert item.nomination.state is S.REVOKED
    assert history(item.nomination)[-3:] == ["approve", "award", "revoke"]
    event = _db.session.scalars(
        sa.select(NominationEvent)
        .where(NominationEvent.nomination_id == item.nomination_id)
        .order_by(NominationEvent.id.desc())
    ).first()
    assert (event.from_state, event.to_state) == (S.AWARDED, S.REVOKED)
    assert REASON in event.reason and reference in event.reason
    # Nothing deleted, the rest untouched, the decision still in force.
    assert (count(DecisionItem), count(Certificate), count(Nomination)) == before
    assert other.revoked_at is None and other.certificate.status is CertificateStatus.VALID
    assert other.nomination.state is S.AWARDED
    assert decision.state is DecisionState.ISSUED
    assert decisions.stored_pdf_matches(decision)
    # The unit hears of it; a second revocation is refused.
    told = _db.session.scalars(
        sa.select(Notification.message).where(Notification.message.contains("đã bị hủy bỏ"))
    ).all()
    assert len(told) == 2 and all(REASON in message for message in told)
    with pytest.raises(DecisionError):
        decisions.revoke_item(item, scene.approver, REASON, reference)


def test_revoking_a_decision_revokes_every_remaining_item(scene: Drafting) -> None:
    decision = scene.issued()
    first = decision.items[0]
    decisions.revoke_item(first, scene.approver, "Khai man thành tích", "Quyết định số 14/QĐ-UBND")
    first_revoked_at = first.revoked_at
    reference = "Quyết định số 20/QĐ-UBND ngày 01/12/2025"

    revoked = decisions.revoke_decision(decision, scene.approver, REASON, reference)

    assert revoked == 5
    assert decision.state is DecisionState.REVOKED
    assert (decision.revoke_reason, decision.revoke_reference) == (REASON, reference)
    assert decision.revoked_by_id == scene.approver.id and decision.revoked_at is not None
    # The item revoked before keeps its own reason and date.
    assert (first.revoke_reason, first.revoked_at) == ("Khai man thành tích", first_revoked_at)
    for item in decision.items[1:]:
        assert item.revoke_reference == reference
        assert item.certificate.status is CertificateStatus.REVOKED
        assert item.certificate.revoke_reason == REASON
        assert item.nomination.state is S.REVOKED
        assert history(item.nomination)[-3:] == ["approve", "award", "revoke"]
    assert {item.certificate.status for item in decision.items} == {CertificateStatus.REVOKED}
    # Kept, and still public — with its number and its stored PDF.
    assert (count(Decision), count(DecisionItem), count(Certificate)) == (1, 6, 6)
    assert decisions.public_decisions() == [decision]
    assert decision.number == "01/QĐ-UBND"
    assert decisions.stored_pdf_matches(decision)
    with pytest.raises(DecisionError):
        decisions.revoke_decision(decision, scene.approver, REASON, reference)


def test_revocation_needs_an_approver_a_reason_a_reference_and_an_issued_decision(
    scene: Drafting,
) -> None:
    draft = scene.draft()
    with pytest.raises(DecisionError):
        decisions.revoke_decision(draft, scene.approver, REASON, "Quyết định số 15/QĐ-UBND")
    decision = decisions.issue(draft, scene.approver)
    with pytest.raises(DecisionNotPermitted):
        decisions.revoke_decision(decision, scene.board, REASON, "Quyết định số 15/QĐ-UBND")
    with pytest.raises(DecisionError):
        decisions.revoke_decision(decision, scene.approver, "", "Quyết định số 15/QĐ-UBND")
    with pytest.raises(DecisionError):
        decisions.revoke_decision(decision, scene.approver, REASON, "  ")
    assert decision.state is DecisionState.ISSUED
    assert {item.certificate.status for item in decision.items} == {CertificateStatus.VALID}


def test_drafts_are_not_public(scene: Drafting) -> None:
    scene.draft()
    assert decisions.public_decisions() == []


# --------------------------------------------------------------------------- the PDF, end to end


def test_the_issued_pdf_reads_as_the_decision(scene: Drafting) -> None:
    decision = scene.issued()
    data = decisions.render(decision)

    text = pdf_text(data)
    assert unicodedata.is_normalized("NFC", text)
    flat = one_line(text)
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in flat
    assert "Độc lập - Tự do - Hạnh phúc" in flat
    assert "ỦY BAN NHÂN DÂN" in flat and "TỈNH BẮC NINH" in flat
    assert "Số: 01/QĐ-UBND" in flat
    assert f"Bắc Ninh, {long_date(decision.signed_on)}" in flat
    assert "QUYẾT ĐỊNH:" in flat
    for label in ("Điều 1.", "Điều 2.", "Điều 3."):
        assert label in flat
    assert "Căn cứ Luật Thi đua, khen thưởng ngày 15 tháng 6 năm 2022;" in flat
    assert "KT. CHỦ TỊCH" in flat and "Nguyễn Hữu Thành" in flat
    for name in ANNEX:
        assert unicodedata.normalize("NFC", name) in flat, name
    assert "DỰ THẢO" not in flat

    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) >= 2  # the annex starts on a new page
    for page in reader.pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert abs(width - 595.28) < 1 and abs(height - 841.89) < 1  # A4
        assert (page.rotation or 0) % 180 == 0  # portrait


def test_a_draft_previews_without_a_number(scene: Drafting) -> None:
    decision = scene.draft()
    flat = one_line(pdf_text(decisions.render(decision)))

    assert "DỰ THẢO" in flat
    assert "Số: /QĐ-UBND" in flat
    assert "01/QĐ-UBND" not in flat
    assert decision.pdf_key is None
    assert numbering.current(numbering.decision_key("QĐ-UBND", decision.year)) == 0
