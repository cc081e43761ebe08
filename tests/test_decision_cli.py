"""The operators' commands for decisions: ``print-decision`` and ``export annex`` (DESIGN.md §6)."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import openpyxl
import pytest
from flask import g
from pypdf import PdfReader

from awards import decisions
from awards.extensions import db
from models import Decision, NominationState, RecipientKind, Role, RoundPhase
from tests.factories import (
    bring_to,
    make_award_form,
    make_filing,
    make_nomination,
    make_submission,
    make_unit,
    make_user,
)


def _approved_round(app, names: list[str], *, second_form: bool = False):
    filing = make_filing()
    unit = make_unit("Sở Thông tin và Truyền thông")
    clerk = make_user(Role.UNIT_CLERK, unit=unit)
    head = make_user(Role.UNIT_HEAD, unit=unit)
    submission = make_submission(filing, unit, head)
    forms = [filing.form]
    if second_form:
        forms.append(make_award_form(filing))
        forms[1].decision_symbol = "QĐ-SNV"
    for form in forms:
        form.signer_prefix, form.signer_title, form.signer_name = "KT.", "PHÓ CHỦ TỊCH", "Lê Văn A"
    for index, name in enumerate(names):
        form = forms[index % len(forms)]
        kind = RecipientKind.INDIVIDUAL if index % 2 else RecipientKind.COLLECTIVE
        nomination = make_nomination(filing, unit, clerk, kind=kind, name=name, form=form)
        nomination.submission = submission
        bring_to(nomination, NominationState.APPROVED, head=head, board=filing.board)
    filing.round.phase = RoundPhase.APPROVING
    db.session.flush()
    return filing, forms


def _issue_all(app, filing, forms) -> list:
    approver = make_user(Role.APPROVER)
    issued = []
    with app.test_request_context():
        # The suite's app context is shared: drop a user an earlier test's request left in ``g``.
        g.pop("_login_user", None)
        for form in forms:
            draft = decisions.create_draft(filing.round, form, filing.board)
            issued.append(decisions.issue(draft, approver))
    db.session.commit()
    return issued


def _text(pdf: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()


def test_print_decision_by_number_writes_the_stored_signed_pdf(app, db, runner, tmp_path: Path):
    filing, forms = _approved_round(app, ["Phòng Chuyển đổi số", "Nguyễn Thị Phượng"])
    (decision,) = _issue_all(app, filing, forms)
    out = tmp_path / "qd.pdf"
    result = runner.invoke(
        args=["print-decision", "--decision", decision.number, "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert decision.number in result.output
    assert out.read_bytes() == decisions.render(decision)  # the stored file, byte for byte
    assert decisions.stored_pdf_matches(decision)
    text = _text(out.read_bytes())
    assert f"Số: {decision.number}" in text
    assert "Nguyễn Thị Phượng" in text


def test_print_decision_by_round_joins_every_issued_decision(app, db, runner, tmp_path: Path):
    filing, forms = _approved_round(
        app, ["Tập thể Một", "Trần Văn Hải", "Tập thể Hai"], second_form=True
    )
    issued = [d.id for d in _issue_all(app, filing, forms)]
    code = filing.round.code
    out = tmp_path / "round.pdf"
    result = runner.invoke(args=["print-decision", "--round", code, "--out", str(out)])
    assert result.exit_code == 0, result.output
    issued = [db.session.get(Decision, i) for i in issued]
    pages = len(PdfReader(io.BytesIO(out.read_bytes())).pages)
    assert pages == sum(len(PdfReader(io.BytesIO(decisions.render(d))).pages) for d in issued)
    text = _text(out.read_bytes())
    for decision in issued:
        assert decision.number in text


@pytest.mark.parametrize(
    "args, message",
    [
        (["--decision", "99/QĐ-UBND"], "Không tìm thấy quyết định"),
        (["--round", "KHONG-CO"], "Không tìm thấy đợt xét"),
        ([], "--decision"),
        (["--decision", "1/QĐ-UBND", "--round", "X"], "--decision"),
    ],
)
def test_print_decision_refuses_what_it_cannot_find(runner, db, tmp_path, args, message):
    result = runner.invoke(args=["print-decision", *args, "--out", str(tmp_path / "x.pdf")])
    assert result.exit_code == 1
    assert message in result.output
    assert not (tmp_path / "x.pdf").exists()


def test_a_round_without_decisions_is_refused(app, db, runner, tmp_path):
    filing, _ = _approved_round(app, ["Tập thể Ba"])
    code = filing.round.code
    db.session.commit()
    result = runner.invoke(
        args=["print-decision", "--round", code, "--out", str(tmp_path / "x.pdf")]
    )
    assert result.exit_code == 1
    assert "chưa có quyết định" in result.output


def test_export_annex_of_a_round(app, db, runner, tmp_path: Path):
    names = ["Phòng Văn hóa và Thông tin", "Đặng Quốc Hưng", "=1+1"]
    filing, forms = _approved_round(app, names)
    (decision,) = _issue_all(app, filing, forms)
    decision_id, code = decision.id, filing.round.code
    out = tmp_path / "annex.xlsx"
    result = runner.invoke(args=["export", "annex", "--round", code, "--out", str(out)])
    assert result.exit_code == 0, result.output
    decision = db.session.get(Decision, decision_id)
    assert "3 dòng" in result.output
    workbook = openpyxl.load_workbook(out)
    cells = [c.value for sheet in workbook for row in sheet.iter_rows() for c in row]
    for name in names:
        assert name in cells
    assert any(isinstance(v, str) and decision.number in v for v in cells)
    golden = {item.golden_book for item in decision.items}
    assert golden <= {v for v in cells if isinstance(v, int)}
