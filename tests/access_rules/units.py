"""Who may reach the units area (``awards/units.py``).

Administrators and the board read the tree, a unit's page and the Excel export; every change, the import
and its template are for administrators. An empty POST to a form page gives the administrator the form
back with its errors (200); an empty POST to "reactivate" redirects to the unit's page with a message
(the world's unit is in force, so there is nothing to restore).
"""

from __future__ import annotations

from tests.access_rules import Rule, expect

READ = {"board": 200, "admin": 200}
UNIT = {"unit_id": "unit"}

RULES: dict[str, Rule | tuple[Rule, ...]] = {
    "units.index": expect(**READ),
    "units.detail": expect(url_args=UNIT, **READ),
    "units.export": expect(**READ),
    "units.template": expect(admin=200),
    "units.create": (expect(admin=200), expect("POST", admin=200)),
    "units.edit": (expect(url_args=UNIT, admin=200), expect("POST", url_args=UNIT, admin=200)),
    "units.move": (expect(url_args=UNIT, admin=200), expect("POST", url_args=UNIT, admin=200)),
    "units.retire": (expect(url_args=UNIT, admin=200), expect("POST", url_args=UNIT, admin=200)),
    "units.reactivate": expect("POST", url_args=UNIT, admin=302),
    "units.import_file": (expect(admin=200), expect("POST", admin=200)),
}
