"""Login, lockout, logout, password change, redirects after login, session invalidation, hashing."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from argon2 import extract_parameters

from awards import accounts, passwords
from awards.extensions import db as _db
from models import AuditEvent, Role, User, utcnow
from tests.conftest import PASSWORD, login

BAD_CREDENTIALS = (
    "Tên đăng nhập hoặc mật khẩu không đúng. Sau 5 lần sai liên tiếp, tài khoản bị tạm khóa "
    "15 phút; nếu cần hỗ trợ, hãy liên hệ quản trị hệ thống."
)
NEW_PASSWORD = "Mat-khau-moi-rat-dai-2"


def _alerts(response) -> list[str]:
    html = response.get_data(as_text=True)
    return [
        " ".join(text.split())
        for text in re.findall(r'<div class="alert[^"]*"[^>]*>(.*?)<button', html, re.S)
    ]


def _home_status(client) -> int:
    return client.get("/").status_code


def _actions(db) -> list[str]:
    return db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)).all()


def test_login_succeeds_and_records_it(client, db, make_user):
    user = make_user(Role.BOARD, username="thiduaso", full_name="Phạm Thị Thi Đua")
    response = login(client, "  ThiDuaSo ")  # trimmed and case-folded like the stored name
    assert (response.status_code, response.headers["Location"]) == (302, "/")
    page = client.get("/")
    assert "Xin chào, Phạm Thị Thi Đua" in page.get_data(as_text=True)
    db.session.refresh(user)
    assert user.last_login_at is not None and user.failed_logins == 0
    assert "login" in _actions(db)


def test_login_page_sends_a_logged_in_user_home(client, db, make_user):
    make_user(Role.BOARD, username="thiduaso")
    login(client, "thiduaso")
    response = client.get("/login")
    assert (response.status_code, response.headers["Location"]) == (302, "/")


def test_a_wrong_password_is_refused(client, db, make_user):
    user = make_user(Role.BOARD, username="thiduaso")
    response = login(client, "thiduaso", "sai-mat-khau")
    assert response.status_code == 200
    assert _alerts(response) == [BAD_CREDENTIALS]
    assert _home_status(client) == 302
    db.session.refresh(user)
    assert user.failed_logins == 1
    assert _actions(db)[-1] == "login_failed"


def test_the_same_message_whatever_was_wrong(client, db, make_user):
    make_user(Role.BOARD, username="thiduaso")
    make_user(Role.BOARD, username="danghi", active=False)
    unknown = login(client, "khongco")
    wrong = login(client, "thiduaso", "sai-mat-khau")
    inactive = login(client, "danghi")
    assert _alerts(unknown) == _alerts(wrong) == _alerts(inactive) == [BAD_CREDENTIALS]
    assert _home_status(client) == 302
    assert _actions(db)[-3:] == ["login_failed", "login_failed", "login_inactive"]


def test_lockout_is_kept_on_the_user_row_across_processes(make_app, make_user):
    """Five failures through one application instance lock the account for another one too."""
    first, second = make_app(), make_app()
    with first.app_context():
        user = make_user(Role.BOARD, username="thiduaso")
        user_id = user.id
    limit = first.config["LOGIN_MAX_FAILURES"]
    client = first.test_client()
    for _ in range(limit - 1):
        assert _alerts(login(client, "thiduaso", "sai")) == [BAD_CREDENTIALS]
    locked = login(client, "thiduaso", "sai")
    # The locked account gets the same message as a wrong password: no hint that the name exists.
    assert _alerts(locked) == [BAD_CREDENTIALS]

    with second.app_context():
        row = _db.session.get(User, user_id)
        assert row.failed_logins == 0  # the count restarts once the lock is set
        minutes = (row.locked_until - utcnow()).total_seconds() / 60
        assert second.config["LOGIN_LOCKOUT_MINUTES"] - 1 < minutes <= 15
        _db.session.remove()
    other = second.test_client()
    refused = login(other, "thiduaso")  # the right password, during the lock
    assert refused.status_code == 200
    assert _alerts(refused) == [BAD_CREDENTIALS]
    assert _home_status(other) == 302


def test_the_lock_expires(client, db, make_user, monkeypatch):
    user = make_user(Role.BOARD, username="thiduaso")
    now = utcnow()
    for _ in range(5):
        accounts.authenticate("thiduaso", "sai", now=now)
    db.session.commit()
    later = now + timedelta(minutes=14)
    assert accounts.authenticate("thiduaso", PASSWORD, now=later).outcome is (
        accounts.LoginOutcome.LOCKED
    )
    after = now + timedelta(minutes=15, seconds=1)
    assert accounts.authenticate("thiduaso", PASSWORD, now=after).outcome is (
        accounts.LoginOutcome.OK
    )
    db.session.rollback()

    # The same through the login page, with the clock moved on.
    monkeypatch.setattr(accounts, "utcnow", lambda: after)
    assert login(client, "thiduaso").headers["Location"] == "/"
    db.session.refresh(user)
    assert (user.failed_logins, user.locked_until) == (0, None)


def test_the_session_is_cleared_at_login(client, db, make_user):
    make_user(Role.BOARD, username="thiduaso")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    login(client, "thiduaso")
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"]


def test_logout_ends_the_session(client, db, make_user):
    user = make_user(Role.BOARD, username="thiduaso")
    login(client, "thiduaso")
    response = client.post("/logout")
    assert (response.status_code, response.headers["Location"]) == (302, "/login")
    with client.session_transaction() as session:
        assert "_user_id" not in session
    assert _home_status(client) == 302
    assert client.get("/login").status_code == 200
    logout = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "logout")).one()
    assert (logout.actor_id, logout.object_id) == (user.id, str(user.id))


def test_logout_requires_a_login(client, db):
    response = client.post("/logout")
    assert response.headers["Location"].startswith("/login")


# --------------------------------------------------------------------------- password change


def _change(client, current, new, confirm=None):
    return client.post(
        "/account/password",
        data={"current": current, "new": new, "confirm": confirm or new},
    )


def _field_errors(response, field: str) -> list[str]:
    html = response.get_data(as_text=True)
    block = re.search(rf'id="{field}".*?(?=<div class="mb-3|<div class="d-flex)', html, re.S)
    assert block, field
    return re.findall(r'class="invalid-feedback[^"]*"[^>]*>\s*(.*?)\s*<', block.group(0))


def test_change_password_refuses_a_wrong_current_password(client, db, make_user):
    user = make_user(Role.BOARD, username="thiduaso")
    login(client, "thiduaso")
    response = _change(client, "sai-mat-khau", NEW_PASSWORD)
    assert response.status_code == 200
    assert _field_errors(response, "current") == ["Mật khẩu hiện tại không đúng."]
    assert _field_errors(response, "new") == []
    db.session.refresh(user)
    assert passwords.verify_password(user.password_hash, PASSWORD)


@pytest.mark.parametrize(
    ("new", "message"),
    [
        ("ngan", "Mật khẩu phải có ít nhất 10 ký tự."),
        ("thiduaso-2025-dai", "Mật khẩu không được chứa tên đăng nhập."),
    ],
)
def test_change_password_refuses_a_weak_password(client, db, make_user, new, message):
    make_user(Role.BOARD, username="thiduaso")
    login(client, "thiduaso")
    response = _change(client, PASSWORD, new)
    assert _field_errors(response, "new") == [message]


def test_change_password_needs_the_same_new_password_twice(client, db, make_user):
    make_user(Role.BOARD, username="thiduaso")
    login(client, "thiduaso")
    response = _change(client, PASSWORD, NEW_PASSWORD, confirm="Mat-khau-khac-han-3")
    assert _field_errors(response, "confirm") == ["Hai mật khẩu mới không khớp."]


def test_change_password_ends_every_other_session(app, client, db, make_user):
    user = make_user(Role.BOARD, username="thiduaso")
    old_token = user.session_token
    other = app.test_client()
    login(other, "thiduaso")
    login(client, "thiduaso")
    assert _home_status(other) == 200

    response = _change(client, PASSWORD, NEW_PASSWORD)
    assert (response.status_code, response.headers["Location"]) == (302, "/")
    assert _home_status(client) == 200  # the session that changed it stays in
    assert _home_status(other) == 302  # every other one is out
    db.session.refresh(user)
    assert user.session_token != old_token
    assert user.password_changed_at is not None
    assert "password_changed" in _actions(db)
    client.post("/logout")
    assert login(client, "thiduaso").status_code == 200  # the old password no longer works
    assert login(client, "thiduaso", NEW_PASSWORD).status_code == 302


def test_a_remembered_login_ends_with_the_session_token(app, client, db, make_user):
    user = make_user(Role.BOARD, username="thiduaso")
    login(client, "thiduaso", remember="y")
    assert client.get_cookie("remember_token") is not None
    client.delete_cookie("session")
    assert _home_status(client) == 200  # back in through the remember cookie
    accounts.rotate_session_token(user)
    db.session.commit()
    client.delete_cookie("session")
    assert _home_status(client) == 302


def test_must_change_password_forces_the_change_page(client, db, make_user):
    user = make_user(Role.BOARD, username="thiduaso")
    user.must_change_password = True
    db.session.commit()
    response = login(client, "thiduaso")
    assert response.headers["Location"] == "/account/password"
    for path in ("/", "/admin/users/", "/khong-co"):
        assert client.get(path).headers["Location"] == "/account/password", path
    assert client.get("/healthz").status_code == 200
    assert client.get("/account/password").status_code == 200

    _change(client, PASSWORD, NEW_PASSWORD)
    db.session.refresh(user)
    assert user.must_change_password is False
    assert _home_status(client) == 200


def test_a_deactivated_user_is_logged_out(client, db, make_user):
    admin = make_user(Role.ADMIN, username="quantri")
    user = make_user(Role.BOARD, username="thiduaso")
    login(client, "thiduaso")
    assert _home_status(client) == 200
    accounts.set_active(user, False, by=admin)
    db.session.commit()
    assert _home_status(client) == 302
    assert _alerts(login(client, "thiduaso")) == [BAD_CREDENTIALS]


def test_a_reactivated_user_may_log_in_again(client, db, make_user):
    admin = make_user(Role.ADMIN, username="quantri")
    user = make_user(Role.BOARD, username="thiduaso", active=False)
    accounts.set_active(user, True, by=admin)
    db.session.commit()
    assert login(client, "thiduaso").status_code == 302


# --------------------------------------------------------------------------- redirects after login


@pytest.mark.parametrize(
    ("target", "location"),
    [
        ("/admin/users/?q=an", "/admin/users/?q=an"),
        ("/x", "/x"),
        ("//evil.com", "/"),
        ("http://evil.com", "/"),
        ("https://evil.com/", "/"),
        ("/\\evil.com", "/"),
        ("\\\\evil.com", "/"),
        ("/\t/evil.com", "/"),
        ("javascript:alert(1)", "/"),
        ("evil.com", "/"),
        ("", "/"),
    ],
)
def test_next_only_leads_to_a_local_path(client, db, make_user, target, location):
    make_user(Role.ADMIN, username="quantri")
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"username": "quantri", "password": PASSWORD},
    )
    assert (response.status_code, response.headers["Location"]) == (302, location)


def test_the_login_page_keeps_next_from_a_protected_page(client, db, make_user):
    make_user(Role.ADMIN, username="quantri")
    response = client.get("/admin/users/?q=an")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=%2Fadmin%2Fusers%2F%3Fq%3Dan"
    response = client.post(
        response.headers["Location"], data={"username": "quantri", "password": PASSWORD}
    )
    assert response.headers["Location"] == "/admin/users/?q=an"


def test_the_language_switch_returns_only_to_a_local_path(client, db):
    back = client.post("/language", data={"locale": "en", "next": "/login"})
    assert back.headers["Location"] == "/login"
    away = client.post("/language", data={"locale": "en", "next": "//evil.com"})
    assert away.headers["Location"] == "/"
    assert '<html lang="en">' in client.get("/login").get_data(as_text=True)


def test_an_unknown_language_changes_nothing(client, db):
    response = client.post("/language", data={"locale": "fr", "next": "/login"})
    assert response.headers["Location"] == "/login"
    assert '<html lang="vi">' in client.get("/login").get_data(as_text=True)


def test_the_language_is_kept_on_the_account(client, db, make_user):
    user = make_user(Role.BOARD, username="thiduaso")
    login(client, "thiduaso")
    client.post("/language", data={"locale": "en"})
    db.session.refresh(user)
    assert user.locale == "en"
    assert '<html lang="en">' in client.get("/").get_data(as_text=True)


# --------------------------------------------------------------------------- password hashing


def test_hashes_are_argon2id_at_production_strength(app, db, monkeypatch):
    monkeypatch.setitem(app.config, "PASSWORD_HASH_FAST", False)
    digest = passwords.hash_password(PASSWORD)
    assert digest.startswith("$argon2id$")
    parameters = extract_parameters(digest)
    assert parameters.memory_cost >= 19456  # KiB: OWASP's minimum for argon2id
    assert (parameters.time_cost, parameters.parallelism) == (1, 1)
    assert passwords.verify_password(digest, PASSWORD)
    assert not passwords.verify_password(digest, "sai")
    assert not passwords.verify_password("not-a-hash", PASSWORD)


def test_a_weaker_hash_is_upgraded_at_login(app, client, db, make_user, monkeypatch):
    user = make_user(Role.BOARD, username="thiduaso")  # hashed at test strength
    assert extract_parameters(user.password_hash).memory_cost < 19456
    monkeypatch.setitem(app.config, "PASSWORD_HASH_FAST", False)
    login(client, "thiduaso")
    db.session.refresh(user)
    assert user.password_hash.startswith("$argon2id$")
    assert extract_parameters(user.password_hash).memory_cost >= 19456


def test_login_is_rate_limited(make_app, make_user):
    limited = make_app(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="2 per minute")
    client = limited.test_client()
    for _ in range(2):
        assert login(client, "khongco").status_code == 200
    response = login(client, "khongco")
    assert response.status_code == 429
    assert "Bạn thao tác quá nhiều lần" in response.get_data(as_text=True)
    assert client.get("/login").status_code == 200  # only POSTs count


def test_logout_makes_a_copied_session_cookie_worthless(app, client, db, make_user):
    make_user(Role.BOARD, username="thiduaso")
    login(client, "thiduaso")
    stolen = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    thief = app.test_client()
    thief.set_cookie(app.config["SESSION_COOKIE_NAME"], stolen)
    assert _home_status(thief) == 200

    client.post("/logout")

    assert _home_status(client) == 302
    assert _home_status(thief) == 302
