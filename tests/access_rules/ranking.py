"""Who may reach the ranking (``awards/ranking_views.py``): the board works there, approvers read the
page and the exports. An empty POST (no CSRF token in the matrix) goes back to the page (302)."""

from __future__ import annotations

from tests.access_rules import Rule, expect

ROUND = {"round": "CDS2025"}
FORM = {"round_code": "round.code", "award_form_id": "award_form"}
READERS = {"board": 200, "approver": 200}

RULES: dict[str, Rule | tuple[Rule, ...]] = {
    "ranking.index": expect(data=ROUND, **READERS),
    "ranking.ranking_xlsx": expect(data=ROUND, **READERS),
    "ranking.scores_xlsx": expect(data=ROUND, **READERS),
    "ranking.complete_scoring": expect("POST", url_args=FORM, board=302),
    "ranking.propose": expect("POST", url_args=FORM, board=302),
}
