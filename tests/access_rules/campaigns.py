"""Who may reach the campaign set-up (``awards/campaigns.py``).

The board writes; approvers and administrators may read the list and the detail page. Form pages are
checked with GET. An empty POST to a bare-button route (phase change, deletes) redirects the board back
to the campaign page with a message, whatever the outcome.
"""

from __future__ import annotations

from tests.access_rules import Rule, expect

READ = {"board": 200, "approver": 200, "admin": 200}

CAMPAIGN = {"campaign_id": "campaign"}
ROUND = {"round_id": "round"}
GROUP = {"group_id": "group"}
CRITERION = {"criterion_id": "criterion"}
AWARD_FORM = {"award_form_id": "award_form"}

RULES: dict[str, Rule] = {
    "campaigns.index": expect(**READ),
    "campaigns.detail": expect(url_args=CAMPAIGN, **READ),
    "campaigns.create": expect(board=200),
    "campaigns.edit": expect(url_args=CAMPAIGN, board=200),
    "campaigns.copy": expect(url_args=CAMPAIGN, board=200),
    "campaigns.round_create": expect(url_args=CAMPAIGN, board=200),
    "campaigns.round_edit": expect(url_args=ROUND, board=200),
    "campaigns.round_copy": expect(url_args=ROUND, board=200),
    "campaigns.round_phase": expect("POST", url_args=ROUND, board=302),
    "campaigns.group_create": expect(url_args=CAMPAIGN, board=200),
    "campaigns.group_edit": expect(url_args=GROUP, board=200),
    "campaigns.group_delete": expect("POST", url_args=GROUP, board=302),
    "campaigns.criterion_create": expect(url_args=CAMPAIGN, board=200),
    "campaigns.criterion_edit": expect(url_args=CRITERION, board=200),
    "campaigns.criterion_delete": expect("POST", url_args=CRITERION, board=302),
    "campaigns.award_form_create": expect(url_args=CAMPAIGN, board=200),
    "campaigns.award_form_edit": expect(url_args=AWARD_FORM, board=200),
    "campaigns.award_form_delete": expect("POST", url_args=AWARD_FORM, board=302),
}
