"""Certificate pages (``awards/certificate_views.py``): public verification, the template editor with
its live preview, printers and their calibration page."""

from __future__ import annotations

import html
import re
import subprocess
from collections.abc import Callable
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask import Flask, g
from flask.testing import FlaskClient

from awards import certificates, decisions, templating
from awards.extensions import db
from exports import certificates as documents
from models import (
    AuditEvent,
    Certificate,
    CertificateTemplate,
    Decision,
    DecisionItem,
    NominationState,
    Printer,
    RecipientKind,
    Role,
    RoundPhase,
)
from tests.conftest import login
from tests.factories import (
    Filing,
    bring_to,
    make_filing,
    make_nomination,
    make_submission,
    make_unit,
    make_user,
)

CITIZEN_ID = "001085012345"
BIRTH_DATE = ("20/05/1985", "1985-05-20", "20-05-1985")  # complete_data's individuals
REVOKE_REASON = "Phát hiện kê khai thành tích không trung thực"


# --------------------------------------------------------------------------- data


def _issued(app: Flask) -> tuple[Filing, Decision]:
    """An issued decision of one collective and one individual (with a citizen id and a birth date),
    each with its certificate."""
    filing = make_filing()
    unit = make_unit("Sở Thông tin và Truyền thông")
    clerk = make_user(Role.UNIT_CLERK, unit=unit)
    head = make_user(Role.UNIT_HEAD, unit=unit)
    submission = make_submission(filing, unit, head)
    form = filing.form
    form.signer_prefix, form.signer_title, form.signer_name = "KT.", "PHÓ CHỦ TỊCH", "Lê Văn Ánh"
    for kind, name in (
        (RecipientKind.COLLECTIVE, "Phòng Chuyển đổi số"),
        (RecipientKind.INDIVIDUAL, "Nguyễn Thị Phượng"),
    ):
        nomination = make_nomination(filing, unit, clerk, kind=kind, name=name)
        nomination.submission = submission
        if kind is RecipientKind.INDIVIDUAL:
            nomination.citizen_id = CITIZEN_ID
        bring_to(nomination, NominationState.APPROVED, head=head, board=filing.board)
    filing.round.phase = RoundPhase.APPROVING
    db.session.flush()
    approver = make_user(Role.APPROVER)
    with app.test_request_context():
        g.pop(
            "_login_user", None
        )  # the suite's app context is shared: no user from an earlier test
        decision = decisions.issue(
            decisions.create_draft(filing.round, form, filing.board), approver
        )
    db.session.commit()
    return filing, decision


def _certificate_of(decision: Decision, name: str) -> Certificate:
    item = next(item for item in decision.items if item.name == name)
    assert item.certificate is not None
    return item.certificate


def _revoke(app: Flask, item: DecisionItem) -> None:
    approver = make_user(Role.APPROVER)
    with app.test_request_context():
        g.pop("_login_user", None)
        decisions.revoke_item(item, approver, REVOKE_REASON, "Quyết định số 15/QĐ-UBND")
    db.session.commit()


def _text(pdf: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()


def _boxes(pdf: bytes) -> str:
    """The words of a PDF with their positions (``pdftotext -bbox``)."""
    return subprocess.run(
        ["pdftotext", "-bbox", "-enc", "UTF-8", "-", "-"],
        input=pdf,
        capture_output=True,
        check=True,
    ).stdout.decode()


def _textarea(page: str, name: str) -> str:
    """What a textarea of ``page`` holds, as the browser reads it."""
    match = re.search(rf'<textarea[^>]*name="{name}"[^>]*>\r?\n?(.*?)</textarea>', page, re.DOTALL)
    assert match, f"no textarea {name}"
    return html.unescape(match.group(1))


def _status_section(page: str) -> str:
    return page[page.index('id="status"') : page.index("</section>", page.index('id="status"'))]


# --------------------------------------------------------------------------- public verification


def test_a_valid_certificate_shows_its_facts_and_nothing_private(app, db, client) -> None:
    _, decision = _issued(app)
    certificate = _certificate_of(decision, "Nguyễn Thị Phượng")

    response = client.get(f"/verify/{certificate.code}")

    assert response.status_code == 200
    assert response.headers["X-Robots-Tag"] == "noindex"
    page = response.get_data(as_text=True)
    status = _status_section(page)
    assert "Còn hiệu lực" in status
    assert "Đã bị hủy bỏ" not in page
    facts = html.unescape(page[page.index('id="facts"') :])
    for expected in (
        "Bà Nguyễn Thị Phượng",
        "Bằng khen của Chủ tịch UBND tỉnh",
        f"Số {decision.number} ngày {decision.signed_on.strftime('%d/%m/%Y')}",
        "Lê Văn Ánh",
        certificate.serial,
        certificate.code,
        str(certificate.item.golden_book),
        certificate.item.citation,
    ):
        assert expected in facts, expected
    assert CITIZEN_ID not in page
    for birth_date in BIRTH_DATE:
        assert birth_date not in page


def test_a_revoked_certificate_says_so_with_the_date_and_the_reason(app, db, client) -> None:
    _, decision = _issued(app)
    certificate = _certificate_of(decision, "Phòng Chuyển đổi số")
    _revoke(app, certificate.item)

    page = client.get(f"/verify/{certificate.code}").get_data(as_text=True)

    status = html.unescape(_status_section(page))
    assert "Đã bị hủy bỏ" in status
    assert "Còn hiệu lực" not in page
    assert REVOKE_REASON in status
    with app.test_request_context():
        revoked_at = templating.format_timestamp(certificate.revoked_at)
    assert revoked_at and revoked_at in status
    assert "Quyết định số 15/QĐ-UBND" in status
    # The other certificate of the decision is still valid.
    other = _certificate_of(decision, "Nguyễn Thị Phượng")
    assert "Còn hiệu lực" in _status_section(client.get(f"/verify/{other.code}").get_data(True))


def test_an_unknown_code_gets_a_404_page_that_says_how_to_check(app, db, client) -> None:
    _issued(app)

    response = client.get("/verify/ABCDE-FGHJK-MNPQR-STVWX")

    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "Không tìm thấy giấy chứng nhận" in _status_section(page)
    assert "ABCDE-FGHJK-MNPQR-STVWX" in _status_section(page)
    assert 'id="how-to-check"' in page
    # The same page layout, with the code kept in the box to correct it.
    assert re.search(r'<form method="get" action="/verify"', page)
    assert 'value="ABCDE-FGHJK-MNPQR-STVWX"' in page
    assert "Còn hiệu lực" not in page


@pytest.mark.parametrize(
    "typed",
    [
        lambda code: code.lower(),
        lambda code: code.replace("-", ""),
        lambda code: code.replace("-", " "),
        lambda code: " " + code.replace("-", "").lower() + " ",
        lambda code: code.replace("0", "O").replace("1", "l"),  # letters read for digits
    ],
)
def test_codes_are_read_as_people_type_them(app, db, client, typed) -> None:
    _, decision = _issued(app)
    certificate = _certificate_of(decision, "Phòng Chuyển đổi số")
    certificate.code = "7K3QZ-M9D2X-A1B2C-D3E40"  # a code with the digits 0 and 1 in it
    db.session.commit()

    response = client.get(f"/verify/{typed(certificate.code)}")

    assert response.status_code == 200
    assert certificate.serial in response.get_data(as_text=True)


def test_the_lookup_form_goes_to_the_code_s_page_in_its_printed_form(app, db, client) -> None:
    _, decision = _issued(app)
    code = _certificate_of(decision, "Phòng Chuyển đổi số").code

    response = client.get("/verify", query_string={"code": code.replace("-", " ").lower()})

    assert response.status_code == 302
    assert response.headers["Location"] == f"/verify/{code}"
    assert client.get(response.headers["Location"]).status_code == 200


def test_the_lookup_page_asks_for_a_code(app, db, client) -> None:
    page = client.get("/verify").get_data(as_text=True)
    assert 'id="lookup-form"' in page
    assert '<label class="form-label" for="code">Mã xác thực</label>' in page

    empty = client.get("/verify", query_string={"code": "  "})
    assert empty.status_code == 200
    assert "Vui lòng nhập mục này." in empty.get_data(as_text=True)
    junk = client.get("/verify", query_string={"code": "--- ---"})
    assert junk.status_code == 200
    assert "Mã xác thực chỉ gồm chữ và số" in junk.get_data(as_text=True)


def test_lookups_are_rate_limited_per_client_address(make_app: Callable[..., Flask]) -> None:
    limited = make_app(RATELIMIT_ENABLED=True, VERIFY_RATE_LIMIT="3 per minute")
    with limited.app_context():
        client = limited.test_client()
        here = {"REMOTE_ADDR": "192.0.2.1"}
        # Unknown codes count too: they are what walking the code space looks like.
        for n in range(3):
            assert client.get(f"/verify/AAAAA-{n}", environ_base=here).status_code == 404
        response = client.get("/verify/AAAAA-9", environ_base=here)

        assert response.status_code == 429
        assert "Bạn thao tác quá nhiều lần" in response.get_data(as_text=True)
        elsewhere = {"REMOTE_ADDR": "192.0.2.2"}
        assert client.get("/verify/AAAAA-9", environ_base=elsewhere).status_code == 404
        db.session.remove()


# --------------------------------------------------------------------------- template editor


def _board(client: FlaskClient) -> tuple[Filing, str]:
    """A campaign with an award form, and its board officer logged in; the editor's URL."""
    filing = make_filing()
    db.session.commit()
    assert login(client, filing.board.username).status_code == 302
    return filing, f"/certificates/templates/{filing.form.id}"


def _editor_data(body: str | None = None, **changes: str) -> dict[str, str]:
    """What the editor posts for the default design (``changes`` replace or add fields)."""
    data = {
        "body": documents.DEFAULT_BODY if body is None else body,
        "page_width_mm": "297",
        "page_height_mm": "210",
        "note": "",
        "mode": "full",
    }
    for name in documents.FIELDS:
        for key, value in documents.DEFAULT_POSITIONS[name].items():
            if isinstance(value, bool):
                if value:
                    data[f"pos_{name}-{key}"] = "y"
            else:
                data[f"pos_{name}-{key}"] = str(value)
    data.update(changes)
    return data


def _versions(filing: Filing) -> list[int]:
    db.session.expire_all()
    return [t.version for t in certificates.templates_of(filing.form)]


def test_the_list_shows_each_award_form_with_its_template_version(app, db, client) -> None:
    filing, editor = _board(client)

    page = client.get("/certificates/templates").get_data(as_text=True)
    row = page[page.index(f'id="award-form-{filing.form.id}"') :]
    assert "Bằng khen của Chủ tịch UBND tỉnh" in row
    assert "Mẫu mặc định" in row.split("</tr>")[0]
    assert f'href="{editor}"' in row

    assert client.get(editor).status_code == 200  # creates version 1, the default design
    page = client.get("/certificates/templates").get_data(as_text=True)
    row = page[page.index(f'id="award-form-{filing.form.id}"') :].split("</tr>")[0]
    assert "Phiên bản 1" in row


def test_the_editor_shows_the_current_template_and_the_placeholders(app, db, client) -> None:
    filing, editor = _board(client)

    page = client.get(editor).get_data(as_text=True)

    assert _versions(filing) == [1]
    for name in documents.PLACEHOLDERS:
        assert f"<code>{{{{ {name} }}}}</code>" in page, name
    for name in documents.FIELDS:
        assert f'id="position-{name}"' in page, name
    assert _textarea(page, "body") == documents.DEFAULT_BODY
    assert 'formtarget="_blank"' in page
    assert f'formaction="{editor}/preview.pdf"' in page


def test_saving_makes_version_2_and_keeps_version_1(app, db, client) -> None:
    filing, editor = _board(client)
    client.get(editor)
    body = documents.DEFAULT_BODY.replace("TẶNG", "TẶNG THƯỞNG", 1)

    response = client.post(
        editor,
        data=_editor_data(body, note="Đổi chữ “TẶNG”", **{"pos_recipient-x": "42,5"}),
    )

    assert response.status_code == 302
    assert _versions(filing) == [2, 1]
    latest = certificates.current_template(filing.form)
    assert latest.body == body
    assert latest.note == "Đổi chữ “TẶNG”"
    assert latest.created_by_id == filing.board.id
    assert certificates.spec_of(latest).positions["recipient"]["x"] == 42.5
    assert certificates.templates_of(filing.form)[1].body == documents.DEFAULT_BODY
    page = client.get(editor).get_data(as_text=True)
    assert "Phiên bản đang dùng: 2" in page
    assert 'id="version-1"' in page and 'id="version-2"' in page
    # Version 1 can be opened again to start from it.
    older = client.get(f"{editor}?version=1").get_data(as_text=True)
    assert _textarea(older, "body") == documents.DEFAULT_BODY
    assert client.get(f"{editor}?version=9").status_code == 404


def test_an_unknown_placeholder_is_refused_and_nothing_is_saved(app, db, client) -> None:
    filing, editor = _board(client)
    client.get(editor)
    events = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    body = documents.DEFAULT_BODY + "<p>{{ password }}</p>"

    response = client.post(editor, data=_editor_data(body, note="thử"))

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    refusal = html.unescape(page[page.index('id="template-refused"') :].split("</div>")[0])
    assert "password" in refusal
    assert _textarea(page, "body") == body  # what was typed is kept
    assert _versions(filing) == [1]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == events


def test_the_editor_refuses_numbers_out_of_range(app, db, client) -> None:
    filing, editor = _board(client)
    client.get(editor)

    response = client.post(
        editor, data=_editor_data(**{"pos_citation-size": "200", "page_width_mm": "abc"})
    )

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Cỡ chữ từ 6 đến 72 pt." in page
    assert "Nhập một số, ví dụ 12,5." in page
    assert _versions(filing) == [1]


def test_the_preview_renders_the_submitted_template_without_saving(app, db, client) -> None:
    filing, editor = _board(client)
    body = documents.DEFAULT_BODY.replace("TẶNG", "TẶNG XEM TRƯỚC", 1)

    response = client.post(f"{editor}/preview.pdf", data=_editor_data(body))

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("inline")
    text = _text(response.data)
    assert "TẶNG XEM TRƯỚC" in text
    assert documents.sample_item()["recipient"] in text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CertificateTemplate)) == 0

    blank = client.post(f"{editor}/preview.pdf", data=_editor_data(body, mode="blank"))
    assert blank.status_code == 200
    blank_text = _text(blank.data)
    assert documents.sample_item()["recipient"] in blank_text
    assert "TẶNG XEM TRƯỚC" not in blank_text  # a blank gets the variable text only
    assert _versions(filing) == []


@pytest.mark.parametrize(
    ("body", "changes"),
    [
        ("<p>{{ config }}</p>", {}),
        ("<p>{% if recipient %}</p>", {}),
        (None, {"pos_recipient-x": "900"}),  # off the 297 mm page
    ],
)
def test_the_preview_refuses_a_template_with_problems(app, db, client, body, changes) -> None:
    filing, editor = _board(client)

    response = client.post(f"{editor}/preview.pdf", data=_editor_data(body, **changes))

    assert response.status_code == 422
    assert response.mimetype == "text/html"
    assert 'id="preview-refused"' in response.get_data(as_text=True)
    assert _versions(filing) == []


def test_the_preview_lists_form_errors(app, db, client) -> None:
    _, editor = _board(client)

    response = client.post(f"{editor}/preview.pdf", data=_editor_data(**{"pos_serial-w": "x"}))

    assert response.status_code == 422
    refusal = response.get_data(as_text=True).split('id="preview-refused"')[1]
    assert "Nhập một số, ví dụ 12,5." in refusal


def test_the_editor_is_the_board_s(app, db, client) -> None:
    filing = make_filing()
    approver = make_user(Role.APPROVER)
    db.session.commit()
    login(client, approver.username)
    editor = f"/certificates/templates/{filing.form.id}"
    assert client.get(editor).status_code == 403
    assert client.post(editor, data=_editor_data()).status_code == 403
    assert client.post(f"{editor}/preview.pdf", data=_editor_data()).status_code == 403
    assert _versions(filing) == []


# --------------------------------------------------------------------------- printers


def _printer_data(name: str = "HP LaserJet, khay 1", x: str = "1,5", y: str = "-2") -> dict:
    return {"name": name, "offset_x_mm": x, "offset_y_mm": y}


def _edit_data(printer: Printer, **values: str) -> dict[str, str]:
    return {f"p{printer.id}-{key}": value for key, value in _printer_data(**values).items()}


def test_printers_are_added_and_edited(app, db, client) -> None:
    _board(client)

    added = client.post("/certificates/printers", data=_printer_data())

    assert added.status_code == 302
    (printer,) = certificates.printers()
    assert (printer.name, printer.offset_x_mm, printer.offset_y_mm) == (
        "HP LaserJet, khay 1",
        Decimal("1.5"),
        Decimal("-2"),
    )
    assert added.headers["Location"].endswith(f"#printer-{printer.id}")
    page = client.get("/certificates/printers").get_data(as_text=True)
    assert f'id="printer-{printer.id}"' in page
    assert 'value="HP LaserJet, khay 1"' in page

    edited = client.post(
        f"/certificates/printers/{printer.id}",
        data=_edit_data(printer, name="HP LaserJet, khay 2", x="-0.5", y="3"),
    )

    assert edited.status_code == 302
    db.session.expire_all()
    assert (printer.name, printer.offset_x_mm, printer.offset_y_mm) == (
        "HP LaserJet, khay 2",
        Decimal("-0.5"),
        Decimal("3"),
    )
    assert client.post("/certificates/printers/999999", data={}).status_code == 404


@pytest.mark.parametrize(
    ("x", "y", "message"),
    [
        ("20.1", "0", "Độ lệch từ −20 đến 20 mm."),
        ("0", "-25", "Độ lệch từ −20 đến 20 mm."),
        ("1.25", "0", "Chỉ dùng tối đa 1 chữ số thập phân."),
        ("", "0", "Vui lòng nhập mục này."),
    ],
)
def test_printer_offsets_are_validated(app, db, client, x, y, message) -> None:
    _board(client)
    client.post("/certificates/printers", data=_printer_data(name="Máy cũ", x="0", y="0"))
    (printer,) = certificates.printers()

    refused = client.post("/certificates/printers", data=_printer_data(x=x, y=y))
    assert refused.status_code == 422
    assert message in refused.get_data(as_text=True)
    assert [p.name for p in certificates.printers()] == ["Máy cũ"]

    refused = client.post(
        f"/certificates/printers/{printer.id}", data=_edit_data(printer, x=x, y=y)
    )
    assert refused.status_code == 422
    assert message in refused.get_data(as_text=True)
    db.session.expire_all()
    assert (printer.name, printer.offset_x_mm, printer.offset_y_mm) == (
        "Máy cũ",
        Decimal(0),
        Decimal(0),
    )


def test_edge_offsets_are_accepted(app, db, client) -> None:
    _board(client)
    assert (
        client.post("/certificates/printers", data=_printer_data(x="-20", y="20")).status_code
        == 302
    )
    (printer,) = certificates.printers()
    assert (printer.offset_x_mm, printer.offset_y_mm) == (Decimal(-20), Decimal(20))


def test_two_printers_cannot_share_a_name(app, db, client) -> None:
    _board(client)
    client.post("/certificates/printers", data=_printer_data(name="Máy A"))
    client.post("/certificates/printers", data=_printer_data(name="Máy B"))
    _, second = certificates.printers()

    refused = client.post("/certificates/printers", data=_printer_data(name="Máy A"))
    assert refused.status_code == 422
    assert "Đã có máy in mang tên này." in refused.get_data(as_text=True)

    renamed = client.post(
        f"/certificates/printers/{second.id}", data=_edit_data(second, name="Máy A")
    )
    assert renamed.status_code == 422
    assert "Đã có máy in mang tên này." in renamed.get_data(as_text=True)
    db.session.expire_all()
    assert [p.name for p in certificates.printers()] == ["Máy A", "Máy B"]


def test_the_calibration_page_is_served_for_a_printer_and_an_award_form(app, db, client) -> None:
    filing, _ = _board(client)
    client.post("/certificates/printers", data=_printer_data(x="2", y="-1"))
    (printer,) = certificates.printers()
    url = f"/certificates/printers/{printer.id}/calibration.pdf"

    response = client.get(url, query_string={"award_form": filing.form.id})

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    spec = certificates.spec_of(certificates.current_template(filing.form))
    # Where each word is printed: the printer's offset moves the boxes (and nothing else does).
    assert _boxes(response.data) == _boxes(documents.calibration_pdf(spec, offset=(2.0, -1.0)))
    assert _boxes(response.data) != _boxes(documents.calibration_pdf(spec, offset=(0.0, 0.0)))
    page = client.get("/certificates/printers").get_data(as_text=True)
    assert f'action="{url}"' in page
    assert f'<option value="{filing.form.id}">' in page
    # No award form chosen (the select's last option): the default design, with the offset.
    default = documents.TemplateSpec(documents.DEFAULT_BODY, documents.DEFAULT_POSITIONS)
    for query in ({}, {"award_form": ""}):
        response = client.get(url, query_string=query)
        assert response.status_code == 200
        assert _boxes(response.data) == _boxes(
            documents.calibration_pdf(default, offset=(2.0, -1.0))
        )
    assert client.get(url, query_string={"award_form": 999999}).status_code == 404
    assert (
        client.get(
            "/certificates/printers/999999/calibration.pdf",
            query_string={"award_form": filing.form.id},
        ).status_code
        == 404
    )
