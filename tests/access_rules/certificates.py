"""Who may reach the certificate pages (``awards/certificate_views.py``).

Verification is public and the same for everyone, logged in or not: the lookup page (200) and a
certificate's page (200 for the world's certificate; an unknown code is 404, tested in
``tests/test_certificate_views.py``). Everything else is the board's: the list of templates, the editor
(an empty POST misses the body and positions: the editor again with its errors, 422), the preview (an
empty POST is refused before anything is rendered: 422), the printers (an empty POST to add or edit
one: 422) and a printer's calibration page (200, a PDF).
"""

from __future__ import annotations

from tests.access_rules import Rule, expect, public

AWARD_FORM = {"award_form_id": "award_form"}
PRINTER = {"printer_id": "printer"}
BOARD_ONLY = {"board": 200}

RULES: dict[str, Rule | tuple[Rule, ...]] = {
    "certificates.lookup": public(),
    "certificates.verify": public(url_args={"code": "certificate.code"}),
    "certificates.templates": expect(**BOARD_ONLY),
    "certificates.template_edit": (
        expect(url_args=AWARD_FORM, **BOARD_ONLY),
        expect("POST", url_args=AWARD_FORM, board=422),
    ),
    "certificates.template_preview": expect("POST", url_args=AWARD_FORM, board=422),
    "certificates.printers": (
        expect(**BOARD_ONLY),
        expect("POST", board=422),
    ),
    "certificates.printer_edit": expect("POST", url_args=PRINTER, board=422),
    # Without ``?award_form=`` (the matrix cannot put an id in a query string): the default design.
    "certificates.calibration": expect(url_args=PRINTER, **BOARD_ONLY),
}
