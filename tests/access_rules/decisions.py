"""Who may reach the approval and decision pages (``awards/decision_views.py``).

Board and approver read the approval page, a round's decisions, a decision's page, its PDF and its annex.
Only the approver decides (an empty POST chooses nothing and goes back: 302), issues (an empty POST lacks
the draft's version: back to the page, 302) and revokes (an empty POST misses reason and reference: the
page again with the errors, 422). Only the board drafts: creating (the world's round is still
nominating, so the service refuses: back with a message, 302), editing (an empty form: 422), syncing and
deleting a draft (302). The matrix logs in through the login form, which makes the password "fresh".
Issued decisions, their annex and their PDF are public; drafts are not (tested in
``tests/test_decision_views.py``).
"""

from __future__ import annotations

from tests.access_rules import Rule, expect, public

ROUND = {"round": "CDS2025"}
ROUND_CODE = {"round_code": "round.code"}
FORM = {"round_code": "round.code", "award_form_id": "award_form"}
ISSUED = {"decision_id": "decision"}
DRAFT = {"decision_id": "draft_decision"}
READERS = {"board": 200, "approver": 200}

RULES: dict[str, Rule | tuple[Rule, ...]] = {
    "decisions.approval": expect(data=ROUND, **READERS),
    "decisions.decide": expect("POST", url_args=ROUND_CODE, approver=302),
    "decisions.approve_all": expect("POST", url_args=FORM, approver=302),
    "decisions.index": expect(data=ROUND, **READERS),
    "decisions.create": expect("POST", url_args=FORM, board=302),
    "decisions.detail": expect(url_args=ISSUED, **READERS),
    "decisions.edit": expect("POST", url_args=DRAFT, board=422),
    "decisions.sync": expect("POST", url_args=DRAFT, board=302),
    "decisions.delete": expect("POST", url_args=DRAFT, board=302),
    "decisions.issue": expect("POST", url_args=DRAFT, approver=302),
    "decisions.revoke": expect("POST", url_args=ISSUED, approver=422),
    "decisions.revoke_item": expect("POST", url_args={"item_id": "decision_item"}, approver=422),
    "decisions.pdf": expect(url_args=ISSUED, **READERS),
    "decisions.annex_xlsx": expect(url_args=ISSUED, **READERS),
    "decisions.public_index": public(),
    "decisions.public_detail": public(url_args=ISSUED),
    "decisions.public_pdf": public(url_args=ISSUED),
}
