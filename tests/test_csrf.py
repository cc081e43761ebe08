"""CSRF protection, on one application instance with it switched on (the rest of the suite runs without)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from awards.extensions import db as _db
from models import Role, User
from tests.conftest import PASSWORD

REFUSED = "Yêu cầu không hợp lệ. Có thể biểu mẫu đã hết hạn: hãy tải lại trang và thử lại."


@pytest.fixture()
def csrf_app(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    assert app.config["WTF_CSRF_ENABLED"] is True
    return app


def _token(response) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', response.get_data(True))
    assert match, "the page carries no CSRF token"
    return match.group(1)


def _refused(response) -> bool:
    html = response.get_data(as_text=True)
    return response.status_code == 400 and REFUSED in html and '<html lang="vi">' in html


def test_login_without_a_token_is_refused(csrf_app, make_user):
    with csrf_app.app_context():
        make_user(Role.BOARD, username="thiduaso")
    client = csrf_app.test_client()
    response = client.post("/login", data={"username": "thiduaso", "password": PASSWORD})
    assert _refused(response)
    assert client.get("/").status_code == 302

    wrong = client.post(
        "/login", data={"username": "thiduaso", "password": PASSWORD, "csrf_token": "forged"}
    )
    assert _refused(wrong)

    token = _token(client.get("/login"))
    response = client.post(
        "/login", data={"username": "thiduaso", "password": PASSWORD, "csrf_token": token}
    )
    assert (response.status_code, response.headers["Location"]) == (302, "/")
    assert client.get("/").status_code == 200


def test_a_token_from_another_session_is_refused(csrf_app, make_user):
    with csrf_app.app_context():
        make_user(Role.BOARD, username="thiduaso")
    token = _token(csrf_app.test_client().get("/login"))
    victim = csrf_app.test_client()
    victim.get("/login")
    response = victim.post(
        "/login", data={"username": "thiduaso", "password": PASSWORD, "csrf_token": token}
    )
    assert _refused(response)


def test_admin_form_needs_a_token(csrf_app, make_user):
    with csrf_app.app_context():
        make_user(Role.ADMIN, username="quantri")
    client = csrf_app.test_client()
    client.post(
        "/login",
        data={
            "username": "quantri",
            "password": PASSWORD,
            "csrf_token": _token(client.get("/login")),
        },
    )
    form = {
        "username": "moi",
        "full_name": "Trần Thị Mới",
        "roles": ["reviewer"],
        "unit_id": "0",
        "password": "Mot-mat-khau-dai",
        "locale": "vi",
    }
    assert _refused(client.post("/admin/users/new", data=form))
    # Buttons outside forms of their own (logout) are protected too.
    assert _refused(client.post("/logout"))

    token = _token(client.get("/admin/users/new"))
    response = client.post("/admin/users/new", data=form | {"csrf_token": token})
    assert (response.status_code, response.headers["Location"]) == (302, "/admin/users/")
    with csrf_app.app_context():
        assert _db.session.scalar(sa.select(User.full_name).where(User.username == "moi")) == (
            "Trần Thị Mới"
        )
        _db.session.remove()
