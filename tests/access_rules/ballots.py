"""Who may reach the council ballot (``awards/ballot_views.py``).

The board runs sessions: the list and the open form of a round (an empty POST gets the form back with
its errors: 200), a session's page, attendance and closing (an empty POST goes back to the session with a
message: 302). Council members (reviewers) see their sessions on the same list page and vote on
``/vote``: the world's reviewer is the ballot's member (200; an empty POST saves nothing and comes back:
302). The board reaches ``/vote`` only to record a member's written opinion (``?member=``); without it,
it is sent to the session's page (302). The minutes PDF is for the board and the approver.
"""

from __future__ import annotations

from tests.access_rules import Rule, expect

ROUND = {"round": "CDS2025"}
BALLOT = {"ballot_id": "ballot"}

RULES: dict[str, Rule | tuple[Rule, ...]] = {
    "ballots.index": (
        expect(data=ROUND, board=200, reviewer=200),
        expect("POST", board=200),
    ),
    "ballots.detail": expect(url_args=BALLOT, board=200),
    "ballots.attendance": expect("POST", url_args=BALLOT, board=302),
    "ballots.close": expect("POST", url_args=BALLOT, board=302),
    "ballots.vote": (
        expect(url_args=BALLOT, reviewer=200, board=302),
        expect("POST", url_args=BALLOT, reviewer=302, board=302),
    ),
    "ballots.minutes": expect(url_args=BALLOT, board=200, approver=200),
}
