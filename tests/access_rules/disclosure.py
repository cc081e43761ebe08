"""Who may reach the public disclosure (``awards/disclosure_views.py``).

The public pages are the same for everyone, logged in or not: the list of published rounds (200), and
a round's list with its comment form, which exists only while the list is published — the world's
round is not, so 404 for every role, posted to or not. The board's inbox of comments is for the board
and the approver (who reads it); only the board answers: an empty answer gets the inbox back with the
error (400).
"""

from __future__ import annotations

from tests.access_rules import Rule, expect, public

ROUND = {"round_code": "round.code"}
COMMENT = {"comment_id": "public_comment"}

RULES: dict[str, Rule | tuple[Rule, ...]] = {
    "disclosure.public_index": public(),
    "disclosure.public_round": (
        public(status=404, url_args=ROUND),
        public("POST", 404, url_args=ROUND),
    ),
    "disclosure.comments": expect(data={"round": "CDS2025"}, board=200, approver=200),
    "disclosure.answer": expect("POST", url_args=COMMENT, board=400),
}
