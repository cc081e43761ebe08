"""Security headers on every kind of response: pages, error pages and the health check."""

from __future__ import annotations

import re

import pytest

from models import Role
from tests.conftest import login


def _policy(response) -> dict[str, list[str]]:
    directives = {}
    for part in response.headers["Content-Security-Policy"].split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def _check(response) -> None:
    policy = _policy(response)
    assert policy["script-src"] == ["'self'"]
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    header = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in header and "unsafe-eval" not in header
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/login", 200),
        ("GET", "/healthz", 200),
        ("GET", "/khong-co-trang-nay", 404),
        ("POST", "/healthz", 405),
        ("GET", "/admin/users/", 302),
        ("GET", "/static/css/app.css", 200),
    ],
)
def test_anonymous_responses_carry_the_headers(client, method, path, status):
    response = client.open(path, method=method)
    assert response.status_code == status
    _check(response)


def test_pages_of_a_logged_in_user_carry_the_headers_and_are_not_cached(client, db, make_user):
    make_user(Role.BOARD, username="thiduaso")
    login(client, "thiduaso")
    for path, status in (("/", 200), ("/admin/users/", 403), ("/account/password", 200)):
        response = client.get(path)
        assert response.status_code == status, path
        _check(response)
        assert response.headers["Cache-Control"] == "no-store"


def test_a_server_error_page_carries_the_headers(app, client, monkeypatch):
    def broken() -> None:
        raise RuntimeError("boom")

    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    monkeypatch.setitem(app.view_functions, "core.healthz", broken)
    response = client.get("/healthz")
    assert response.status_code == 500
    assert "Hệ thống gặp lỗi" in response.get_data(as_text=True)
    _check(response)


def test_pages_contain_nothing_the_policy_would_block(client, db, make_user):
    """No inline script, no inline style, no event handler attribute: the CSP blocks all three."""
    make_user(Role.ADMIN, username="quantri")
    pages = [client.get("/login").get_data(as_text=True)]
    login(client, "quantri")
    for path in ("/", "/admin/users/", "/admin/users/new", "/admin/audit/", "/account/password"):
        pages.append(client.get(path).get_data(as_text=True))
    for html in pages:
        assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
        assert re.findall(r"<style", html) == []
        assert re.findall(r"\sstyle=", html) == []
        assert re.findall(r"\son[a-z]+=", html) == []
