"""Who may reach the unit's dossiers (``awards/dossier_views.py``) and the board's intake
(``awards/intake_views.py``).

The unit's list is for its clerk and head; the Tờ trình form for its head only (the world's round closed
on 15/09/2025, so the form page shows the closed window: 200; an empty POST gets the page back). A
dossier's page and PDF are for its unit and the province-level roles. Adding the minutes is for the unit
(an empty upload goes back to the dossier's page). The intake is the board's: an empty POST to accept or
return the world's draft nomination, to accept a dossier's complete nominations or to revoke an
extension goes back with a message (302); an empty grant form comes back with its errors (200).
"""

from __future__ import annotations

from tests.access_rules import Rule, expect

ROUND = {"round": "CDS2025"}
SUBMISSION = {"submission_id": "submission"}
READERS = {"unit_clerk": 200, "unit_head": 200, "board": 200, "approver": 200, "admin": 200}

RULES: dict[str, Rule | tuple[Rule, ...]] = {
    "dossiers.index": expect(data=ROUND, unit_clerk=200, unit_head=200),
    "dossiers.new": (
        expect(data=ROUND, unit_head=200),
        expect("POST", unit_head=200),
    ),
    "dossiers.detail": expect(url_args=SUBMISSION, **READERS),
    "dossiers.pdf": expect(url_args=SUBMISSION, **READERS),
    "dossiers.minutes": expect("POST", url_args=SUBMISSION, unit_clerk=302, unit_head=302),
    "intake.index": expect(data=ROUND, board=200),
    "intake.dossier": expect(url_args=SUBMISSION, board=200),
    "intake.accept": expect("POST", url_args={"nomination_id": "nomination"}, board=302),
    "intake.return_nomination": expect("POST", url_args={"nomination_id": "nomination"}, board=302),
    "intake.accept_complete": expect("POST", url_args=SUBMISSION, board=302),
    "intake.extensions": (
        expect(data=ROUND, board=200),
        expect("POST", board=200),
    ),
    "intake.revoke_extension": expect("POST", url_args={"extension_id": "extension"}, board=302),
}
