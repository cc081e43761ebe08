"""Who reaches the core, auth, users and audit views."""

from __future__ import annotations

from tests.access_rules import Rule, expect, public

ADMIN_ONLY = {"admin": 200}

RULES: dict[str, Rule | tuple[Rule, ...]] = {
    # Home: visitors are sent to the login page.
    "core.index": expect(default=200),
    # Language: anyone may switch; redirected back to a local page.
    "core.set_language": public("POST", 302, data={"locale": "en"}),
    "core.healthz": public(),
    # Login: the form for visitors; a logged-in user is sent home.
    "auth.login": (
        expect(default=302, anonymous=200),
        expect("POST", default=302, anonymous=200),
    ),
    "auth.logout": public("POST", 302),
    "auth.change_password": (expect(default=200), expect("POST", default=200)),
    # Confirming one's password before signing: any logged-in user; an empty POST gets the form back.
    "auth.confirm": (expect(default=200), expect("POST", default=200)),
    # Accounts: administrators only; an empty POST gets the form back with its errors.
    "users.index": expect(**ADMIN_ONLY),
    "users.create": (expect(**ADMIN_ONLY), expect("POST", **ADMIN_ONLY)),
    # An empty POST to the edit form keeps the stored values (Flask-WTF reads no form data): saved.
    "users.edit": (
        expect(url_args={"user_id": "user"}, **ADMIN_ONLY),
        expect("POST", url_args={"user_id": "user"}, admin=302),
    ),
    "users.toggle_active": expect("POST", url_args={"user_id": "user"}, admin=302),
    "users.unlock": expect("POST", url_args={"user_id": "user"}, admin=302),
    "audit.index": expect(**ADMIN_ONLY),
}
