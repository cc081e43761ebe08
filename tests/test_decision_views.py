"""The approval and decision pages (``awards/decision_views.py``) walked through the test client: fresh
password before signing, approving and rejecting (a rejection needs its reason), segregation of duties,
drafting, previewing, issuing, the public pages, and revocation.

The services behind them have their own tests (``test_approvals.py``, ``test_decisions.py``); here each
page is asked what it shows and each POST what it changed.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import time
from datetime import timedelta
from io import BytesIO

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from openpyxl import load_workbook

from awards import clock
from awards.extensions import db as _db
from models import (
    CertificateStatus,
    Decision,
    DecisionState,
    Nomination,
    NominationState,
    RecipientKind,
    Role,
    RoundPhase,
    User,
)
from tests.conftest import PASSWORD, login
from tests.factories import bring_to, make_filing, make_nomination, make_submission, make_unit
from tests.factories import make_user as new_user

S = NominationState
COLLECTIVE = "Phòng Chuyển đổi số tỉnh"
INDIVIDUAL = "Nguyễn Thị Phượng"
THIRD = "Trung tâm Phục vụ hành chính công"


class Scene:
    """A round in the approval phase with three proposed nominations of one unit (two collectives, one
    individual), a province-level approver, an approver belonging to the nominating unit, and the
    board."""

    def __init__(self) -> None:
        self.filing = make_filing(evidence_required=False)
        self.round = self.filing.round
        self.form = self.filing.form
        self.form.signer_prefix = "KT."
        self.form.signer_title = "PHÓ CHỦ TỊCH"
        self.form.signer_name = "Lê Văn Ánh"
        self.board = self.filing.board
        self.unit = make_unit("Sở Thông tin và Truyền thông")
        self.head = new_user(Role.UNIT_HEAD, unit=self.unit)
        submission = make_submission(self.filing, self.unit, self.head)
        self.nominations: dict[str, Nomination] = {}
        for name, kind in (
            (COLLECTIVE, RecipientKind.COLLECTIVE),
            (INDIVIDUAL, RecipientKind.INDIVIDUAL),
            (THIRD, RecipientKind.COLLECTIVE),
        ):
            nomination = make_nomination(
                self.filing, self.unit, self.head, kind=kind, name=name, evidence=False
            )
            nomination.submission = submission
            bring_to(nomination, S.PROPOSED, head=self.head, board=self.board)
            self.nominations[name] = nomination
        self.round.phase = RoundPhase.APPROVING
        self.approver = new_user(Role.APPROVER)
        self.own_unit_approver = new_user(Role.APPROVER, unit=self.unit)
        _db.session.commit()

    def id(self, name: str) -> int:
        return self.nominations[name].id

    def state(self, name: str) -> NominationState:
        _db.session.expire_all()
        return _db.session.get(Nomination, self.id(name)).state

    @property
    def approval_url(self) -> str:
        return f"/approval/?round={self.round.code}"

    @property
    def decide_url(self) -> str:
        return f"/approval/{self.round.code}/decide"


@pytest.fixture()
def scene(db: object) -> Scene:
    return Scene()


def _client_for(app, user: User) -> FlaskClient:  # type: ignore[no-untyped-def]
    client = app.test_client()
    response = login(client, user.username)
    assert response.status_code == 302
    return client


def _page(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True)


def _flashes(client: FlaskClient, url: str) -> str:
    return _page(client.get(url))


def _decision() -> Decision:
    _db.session.expire_all()
    return _db.session.scalars(sa.select(Decision)).one()


def _pdf_text(data: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()


# --------------------------------------------------------------------------- approval


def test_approving_needs_a_fresh_password(app, scene: Scene) -> None:
    client = _client_for(app, scene.approver)
    with client.session_transaction() as session:
        session["auth_at"] = int(time.time()) - 3600  # typed an hour ago
    response = client.post(
        scene.decide_url,
        data={"approve": scene.id(COLLECTIVE)},
        headers={"Referer": f"http://localhost{scene.approval_url}"},
    )
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/account/confirm?next=")
    assert scene.state(COLLECTIVE) is S.PROPOSED

    confirmed = client.post(response.headers["Location"], data={"password": PASSWORD})
    assert confirmed.status_code == 302
    assert confirmed.headers["Location"] == scene.approval_url  # back to the page, query and all

    response = client.post(scene.decide_url, data={"approve": scene.id(COLLECTIVE)})
    assert response.status_code == 302
    assert scene.state(COLLECTIVE) is S.APPROVED


def test_the_approver_approves_and_rejects_with_a_reason(app, scene: Scene) -> None:
    client = _client_for(app, scene.approver)
    page = _page(client.get(scene.approval_url))
    for name in (COLLECTIVE, INDIVIDUAL, THIRD):
        assert f'id="approve-{scene.id(name)}"' in page
        assert f'id="reject-{scene.id(name)}"' in page
    assert 'data-total="proposed">3<' in page

    # A rejection without its reason: nothing is done, and what was chosen comes back.
    missing = client.post(
        scene.decide_url,
        data={"approve": scene.id(COLLECTIVE), "reject": scene.id(INDIVIDUAL)},
    )
    assert missing.status_code == 422
    html = _page(missing)
    assert "Hãy ghi lý do không phê duyệt." in html
    assert re.search(rf'name="approve" value="{scene.id(COLLECTIVE)}" [^>]*checked', html)
    assert re.search(rf'name="reject" value="{scene.id(INDIVIDUAL)}" [^>]*checked', html)
    assert (scene.state(COLLECTIVE), scene.state(INDIVIDUAL)) == (S.PROPOSED, S.PROPOSED)

    reason = "Thành tích chưa tiêu biểu"
    response = client.post(
        scene.decide_url,
        data={
            "approve": scene.id(COLLECTIVE),
            "reject": scene.id(INDIVIDUAL),
            f"reason-{scene.id(INDIVIDUAL)}": reason,
        },
    )
    assert (response.status_code, response.headers["Location"]) == (302, scene.approval_url)
    assert (scene.state(COLLECTIVE), scene.state(INDIVIDUAL), scene.state(THIRD)) == (
        S.APPROVED,
        S.REJECTED,
        S.PROPOSED,
    )
    page = _page(client.get(scene.approval_url))
    assert "Đã phê duyệt 1 hồ sơ, không phê duyệt 1 hồ sơ." in page
    assert 'data-total="approved">1<' in page
    assert 'data-total="rejected">1<' in page
    # An approved item can still be rejected (with a reason), not approved again.
    assert f'id="approve-{scene.id(COLLECTIVE)}"' not in page
    assert f'id="reject-{scene.id(COLLECTIVE)}"' in page
    assert f'id="reject-{scene.id(INDIVIDUAL)}"' not in page


def test_an_item_cannot_be_approved_and_rejected_at_once(app, scene: Scene) -> None:
    client = _client_for(app, scene.approver)
    nid = scene.id(THIRD)
    response = client.post(
        scene.decide_url, data={"approve": nid, "reject": nid, f"reason-{nid}": "Trùng lặp"}
    )
    assert response.status_code == 422
    assert "Chỉ chọn một trong hai: phê duyệt hoặc không phê duyệt." in _page(response)
    assert 'value="Trùng lặp"' in _page(response)
    assert scene.state(THIRD) is S.PROPOSED


def test_the_board_reads_the_list_but_cannot_decide(app, scene: Scene) -> None:
    client = _client_for(app, scene.board)
    page = _page(client.get(scene.approval_url))
    assert COLLECTIVE in page and INDIVIDUAL in page
    assert 'name="approve"' not in page and "approve-all" not in page
    assert client.post(scene.decide_url, data={"approve": scene.id(COLLECTIVE)}).status_code == 403
    all_url = f"/approval/{scene.round.code}/{scene.form.id}/approve-all"
    assert client.post(all_url).status_code == 403
    assert scene.state(COLLECTIVE) is S.PROPOSED


def test_an_approver_of_the_nominating_unit_cannot_decide_its_items(app, scene: Scene) -> None:
    client = _client_for(app, scene.own_unit_approver)
    page = _page(client.get(scene.approval_url))
    assert f'id="approve-{scene.id(COLLECTIVE)}"' not in page
    assert page.count('class="small text-muted not-decidable"') == 3

    # A forged POST is refused item by item, with the reason, and changes nothing.
    response = client.post(scene.decide_url, data={"approve": scene.id(COLLECTIVE)})
    assert response.status_code == 302
    page = _flashes(client, scene.approval_url)
    reference = scene.nominations[COLLECTIVE].reference
    assert f"Hồ sơ {reference} chưa được xử lý: Bạn không có quyền thực hiện thao tác này." in page
    assert scene.state(COLLECTIVE) is S.PROPOSED


def test_approval_waits_for_the_end_of_the_disclosure_window(app, scene: Scene) -> None:
    scene.round.disclosure_starts = clock.today() - timedelta(days=2)
    scene.round.disclosure_ends = clock.today() + timedelta(days=3)
    _db.session.commit()
    client = _client_for(app, scene.approver)
    page = _page(client.get(scene.approval_url))
    ends = scene.round.disclosure_ends.strftime("%d/%m/%Y")
    assert f"Danh sách đang được công khai lấy ý kiến đến hết ngày {ends}." in page
    client.post(scene.decide_url, data={"approve": scene.id(COLLECTIVE)})
    page = _flashes(client, scene.approval_url)
    assert f"đến hết ngày {ends}: chưa thể phê duyệt." in page
    assert scene.state(COLLECTIVE) is S.PROPOSED


def test_approve_all_stops_at_the_total_quota(app, scene: Scene) -> None:
    scene.form.quota_total = 2
    _db.session.commit()
    client = _client_for(app, scene.approver)
    response = client.post(f"/approval/{scene.round.code}/{scene.form.id}/approve-all")
    assert response.status_code == 302
    page = _flashes(client, scene.approval_url)
    assert "Đã phê duyệt 2 hồ sơ, không phê duyệt 0 hồ sơ." in page
    assert page.count("chưa được xử lý: Đã phê duyệt đủ chỉ tiêu") == 1
    assert "2/2 (còn 0)" in page
    states = [scene.state(name) for name in (COLLECTIVE, INDIVIDUAL, THIRD)]
    assert sorted(states) == sorted([S.APPROVED, S.APPROVED, S.PROPOSED])


# --------------------------------------------------------------------------- decisions


def _approve_everything(app, scene: Scene) -> FlaskClient:  # type: ignore[no-untyped-def]
    approver = _client_for(app, scene.approver)
    ids = [scene.id(name) for name in (COLLECTIVE, INDIVIDUAL, THIRD)]
    assert approver.post(scene.decide_url, data={"approve": ids}).status_code == 302
    assert all(scene.state(name) is S.APPROVED for name in (COLLECTIVE, INDIVIDUAL, THIRD))
    return approver


def _draft_values(decision: Decision, **changes: str) -> dict[str, str]:
    values = {
        "signed_on": "2025-10-10",
        "subject": decision.subject,
        "legal_basis": decision.legal_basis,
        "proposal": decision.proposal,
        "executors": decision.executors,
        "recipients": decision.recipients,
        "signer_prefix": decision.signer_prefix,
        "signer_head_title": decision.signer_head_title,
        "signer_title": decision.signer_title,
        "signer_name": decision.signer_name,
        "base_salary": "2.340.000",
        "version": str(decision.version),
    }
    values.update(changes)
    return values


def test_draft_preview_issue_and_the_public_pages(app, scene: Scene) -> None:
    approver = _approve_everything(app, scene)
    board = _client_for(app, scene.board)
    index = _page(board.get(f"/decisions/?round={scene.round.code}"))
    assert f'id="awaiting-{scene.form.id}"' in index and "Soạn dự thảo" in index

    # The approver cannot draft; the board can.
    create_url = f"/decisions/{scene.round.code}/{scene.form.id}/new"
    assert approver.post(create_url).status_code == 403
    response = board.post(create_url)
    decision = _decision()
    assert response.headers["Location"] == f"/decisions/{decision.id}"
    assert decision.state is DecisionState.DRAFT and len(decision.items) == 3
    page = _page(board.get(f"/decisions/{decision.id}"))
    assert 'id="draft-form"' in page and 'id="issue-form"' not in page

    # The board edits the draft; an edit from a stale page is refused and keeps what was typed.
    edit_url = f"/decisions/{decision.id}/edit"
    response = board.post(
        edit_url,
        data=_draft_values(decision, signer_name="Vương Quốc Tuấn", base_salary="2.500.000"),
    )
    assert response.status_code == 302
    decision = _decision()
    assert decision.signer_name == "Vương Quốc Tuấn"
    assert int(decision.base_salary) == 2_500_000
    stale = board.post(
        edit_url, data=_draft_values(decision, signer_name="Người khác", version="1")
    )
    assert stale.status_code == 409
    assert 'value="Người khác"' in _page(stale)
    assert _decision().signer_name == "Vương Quốc Tuấn"
    invalid = board.post(edit_url, data=_draft_values(decision, signer_head_title=""))
    assert invalid.status_code == 422
    assert "Ký thay, thay mặt, thừa lệnh cần chức danh" in _page(invalid)

    # The preview is a PDF marked as a draft; the annex is a workbook.
    preview = board.get(f"/decisions/{decision.id}.pdf")
    assert preview.mimetype == "application/pdf"
    assert preview.headers["Content-Disposition"] == (
        f'inline; filename="Du-thao-quyet-dinh-{decision.id}.pdf"'
    )
    text = _pdf_text(preview.data)
    assert "DỰ THẢO" in text and "Vương Quốc Tuấn" in text
    annex = board.get(f"/decisions/{decision.id}/annex.xlsx")
    sheets = load_workbook(BytesIO(annex.data)).sheetnames
    assert sheets == ["Tập thể", "Cá nhân"]

    # Not public while a draft.
    assert board.get(f"/public/decisions/{decision.id}").status_code == 404
    assert board.get(f"/public/decisions/{decision.id}.pdf").status_code == 404

    # The board cannot issue; the approver issues what they read (its version).
    issue_url = f"/decisions/{decision.id}/issue"
    assert board.post(issue_url, data={"version": decision.version}).status_code == 403
    page = _page(approver.get(f"/decisions/{decision.id}"))
    assert 'id="issue-form"' in page and 'id="draft-form"' not in page
    assert "không thể sửa" in page
    old = approver.post(issue_url, data={"version": decision.version - 1})
    assert old.status_code == 302 and _decision().state is DecisionState.DRAFT
    response = approver.post(issue_url, data={"version": decision.version})
    assert response.status_code == 302
    decision = _decision()
    assert (decision.state, decision.number) == (DecisionState.ISSUED, "01/QĐ-UBND")
    page = _page(approver.get(f"/decisions/{decision.id}"))
    assert "Đã ban hành Quyết định số 01/QĐ-UBND." in page
    assert 'id="decision-number">01/QĐ-UBND<' in page
    for item in decision.items:
        assert item.certificate.serial in page and item.certificate.code in page
    assert 'id="pdf-intact">Tệp lưu trữ khớp<' in page

    # The public list and page; the stored PDF as signed.
    anonymous = app.test_client()
    listing = _page(anonymous.get("/public/decisions"))
    assert "01/QĐ-UBND" in listing and decision.subject in listing
    public = _page(anonymous.get(f"/public/decisions/{decision.id}"))
    for name in (COLLECTIVE, INDIVIDUAL, THIRD):
        assert name in public
    assert decision.items[0].certificate.code not in public  # verification codes are not listed
    assert "1985" not in public  # the individual's date of birth
    signed = anonymous.get(f"/public/decisions/{decision.id}.pdf")
    assert signed.mimetype == "application/pdf"
    assert hashlib.sha256(signed.data).hexdigest() == decision.pdf_sha256
    assert "DỰ THẢO" not in _pdf_text(signed.data)

    # Issued: the draft's actions are refused, nothing changes.
    response = board.post(edit_url, data=_draft_values(decision, signer_name="Sửa sau"))
    assert response.status_code == 302
    assert "Quyết định đã ban hành: không thể sửa" in _flashes(board, f"/decisions/{decision.id}")
    board.post(f"/decisions/{decision.id}/delete")
    board.post(f"/decisions/{decision.id}/sync")
    decision = _decision()
    assert decision.signer_name == "Vương Quốc Tuấn" and len(decision.items) == 3


def _issued(app, scene: Scene) -> tuple[FlaskClient, Decision]:  # type: ignore[no-untyped-def]
    approver = _approve_everything(app, scene)
    board = _client_for(app, scene.board)
    board.post(f"/decisions/{scene.round.code}/{scene.form.id}/new")
    decision = _decision()
    response = approver.post(f"/decisions/{decision.id}/issue", data={"version": decision.version})
    assert response.status_code == 302
    decision = _decision()
    assert decision.state is DecisionState.ISSUED
    return approver, decision


def test_revoking_an_item_then_the_decision(app, scene: Scene) -> None:
    approver, decision = _issued(app, scene)
    item = next(i for i in decision.items if i.name == INDIVIDUAL)
    prefix = f"item{item.id}"
    url = f"/decisions/items/{item.id}/revoke"

    missing = approver.post(url, data={f"{prefix}-reason": "Khai man thành tích"})
    assert missing.status_code == 422
    assert 'value="Khai man thành tích"' not in _page(missing)  # a textarea keeps it as text
    assert "Khai man thành tích</textarea>" in _page(missing)
    assert _decision().items[1].revoked_at is None

    board = _client_for(app, scene.board)
    forbidden = board.post(
        url, data={f"{prefix}-reason": "x", f"{prefix}-reference": "QĐ số 15/QĐ-UBND"}
    )
    assert forbidden.status_code == 403

    response = approver.post(
        url,
        data={
            f"{prefix}-reason": "Khai man thành tích",
            f"{prefix}-reference": "Quyết định số 15/QĐ-UBND ngày 20/11/2025",
        },
    )
    assert response.status_code == 302
    decision = _decision()
    item = next(i for i in decision.items if i.name == INDIVIDUAL)
    assert item.revoked_at is not None
    assert item.certificate.status is CertificateStatus.REVOKED
    assert item.nomination.state is S.REVOKED
    public = _page(app.test_client().get(f"/public/decisions/{decision.id}"))
    row = public.split(f'id="item-{item.id}"')[1].split("</tr>")[0]
    assert "Đã hủy bỏ" in row and "Quyết định số 15/QĐ-UBND ngày 20/11/2025" in row

    response = approver.post(
        f"/decisions/{decision.id}/revoke",
        data={"reason": "Sai thẩm quyền", "reference": "Quyết định số 16/QĐ-UBND"},
    )
    assert response.status_code == 302
    decision = _decision()
    assert decision.state is DecisionState.REVOKED
    assert all(i.certificate.status is CertificateStatus.REVOKED for i in decision.items)
    listing = _page(app.test_client().get("/public/decisions"))
    row = listing.split(f'id="decision-{decision.id}"')[1].split("</tr>")[0]
    assert "Đã hủy bỏ" in row and "Sai thẩm quyền" in row and "16/QĐ-UBND" in row
    assert _page(app.test_client().get(f"/public/decisions/{decision.id}")).count(
        "Đã hủy bỏ"
    ) >= len(decision.items)


def test_revoking_needs_a_fresh_password(app, scene: Scene) -> None:
    approver, decision = _issued(app, scene)
    with approver.session_transaction() as session:
        session["auth_at"] = int(time.time()) - 3600
    response = approver.post(
        f"/decisions/{decision.id}/revoke",
        data={"reason": "Sai thẩm quyền", "reference": "Quyết định số 16/QĐ-UBND"},
    )
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/account/confirm")
    assert _decision().state is DecisionState.ISSUED
