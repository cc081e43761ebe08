"""Who may reach the nomination pages (``awards/nomination_views.py``).

Unit clerks and heads work on their own unit's nominations (the world's ``nomination`` is a draft of
their unit, in a round open for filing); the board, approvers and administrators read every unit's;
reviewers reach nominations through their assignments, not here. Another unit's people get 404 (tested
in ``tests/test_nomination_views.py``). An empty POST to the form pages gives the form back with its
errors (200). The action route is tried with ``withdraw``, which only the unit head may do.
"""

from __future__ import annotations

from tests.access_rules import Rule, expect

READ = {"unit_clerk": 200, "unit_head": 200, "board": 200, "approver": 200, "admin": 200}
FILE = {"unit_clerk": 200, "unit_head": 200}
NOMINATION = {"nomination_id": "nomination"}
# GET sends ``data`` as the query string; a POST carries the query string in the URL it is sent to.
NEW_QUERY = {"round": "CDS2025", "kind": "collective"}
NEW = {"round": "round.code", "kind": "=collective"}

RULES: dict[str, Rule | tuple[Rule, ...]] = {
    "nominations.index": expect(**READ),
    "nominations.export": expect(**READ),
    "nominations.create": (
        expect(data=NEW_QUERY, **FILE),
        expect("POST", url_args=NEW, **FILE),
    ),
    "nominations.detail": expect(url_args=NOMINATION, **READ),
    "nominations.edit": (
        expect(url_args=NOMINATION, **FILE),
        expect("POST", url_args=NOMINATION, **FILE),
    ),
    "nominations.action": expect(
        "POST", url_args={**NOMINATION, "action": "=withdraw"}, unit_head=302
    ),
}
