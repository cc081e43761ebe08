"""Who may reach the evidence files (``awards/evidence_views.py``).

Uploading and removing are for the nomination's own unit (clerk and head): an empty upload form goes back
to the nomination's page with a message (302), and so does the removal of the world's file (its
nomination is a draft in a round open for filing). Downloading is for whoever may see the nomination: its
unit and the province-level roles; a reviewer, to whom nothing is assigned, gets 404 as for a file that
does not exist.
"""

from __future__ import annotations

from tests.access_rules import Rule, expect

UNIT_ONLY = {"unit_clerk": 302, "unit_head": 302}
FILE = {"file_id": "evidence_file"}

RULES: dict[str, Rule | tuple[Rule, ...]] = {
    "evidence.upload": expect("POST", url_args={"nomination_id": "nomination"}, **UNIT_ONLY),
    # Everyone in the world may: the unit, province roles, and the reviewer assigned to the
    # nomination (tests/test_review_views.py: not a reviewer of another nomination, nor a recused one).
    "evidence.download": expect(url_args=FILE, default=200),
    "evidence.delete": expect("POST", url_args=FILE, **UNIT_ONLY),
}
