"""Who may reach the board's reviewer assignment (``awards/assignment_views.py``).

The page and every change are the board's. Empty POSTs: the bulk, single and automatic assignment forms
fail validation and go back to the page (302); reminders find nobody lagging (302); unassigning the
world's ``review`` (assigned, nothing scored) succeeds (302). The recusal page belongs to the reviewer who
holds the review (the world's ``reviewer``): the form (200), an empty POST gets it back with errors (200).
"""

from __future__ import annotations

from tests.access_rules import Rule, expect

ROUND = {"round_id": "round"}
REVIEW = {"review_id": "review"}

RULES: dict[str, Rule | tuple[Rule, ...]] = {
    "assignments.index": expect(data={"round": "CDS2025"}, board=200),
    "assignments.bulk": expect("POST", url_args=ROUND, board=302),
    "assignments.assign_one": expect("POST", url_args={"nomination_id": "nomination"}, board=302),
    "assignments.auto": expect("POST", url_args=ROUND, board=302),
    "assignments.unassign": expect("POST", url_args=REVIEW, board=302),
    "assignments.remind": expect("POST", url_args=ROUND, board=302),
    "assignments.recuse": (
        expect(url_args=REVIEW, reviewer=200),
        expect("POST", url_args=REVIEW, reviewer=200),
    ),
}
