"""Who may reach bulk filing (``awards/bulk_views.py``).

The clerks and heads of a unit, for their own unit (the unit is never a parameter). The world's round is
open for filing: the upload page and the template download answer 200; an empty POST gives the form back
with its error (200). Everyone else is refused (403), a visitor sent to the login page.
"""

from __future__ import annotations

from tests.access_rules import Rule, expect

FILERS = {"unit_clerk": 200, "unit_head": 200}
# ``round`` is a query argument, not a path variable: a GET sends it as the rule's data (the world's
# round code), a POST puts it in the URL it builds from ``url_args``.
QUERY = {"round": "CDS2025"}
ROUND = {"round": "round.code"}

RULES: dict[str, Rule | tuple[Rule, ...]] = {
    "bulk.index": (expect(data=QUERY, **FILERS), expect("POST", url_args=ROUND, **FILERS)),
    "bulk.template": expect(data=QUERY, **FILERS),
}
