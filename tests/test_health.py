"""GET /healthz: the public contract of DESIGN.md §6."""

from __future__ import annotations

import sqlalchemy as sa

from models import Role
from tests.conftest import login

UNAVAILABLE = {"status": "unavailable", "database": "unreachable"}


def test_healthy(client):
    response = client.get("/healthz")
    assert (response.status_code, response.get_json()) == (200, {"status": "ok", "database": "ok"})
    assert response.mimetype == "application/json"


def test_healthy_for_a_logged_in_user_too(client, db, make_user):
    make_user(Role.BOARD, username="thiduaso")
    login(client, "thiduaso")
    client.get("/")  # the request's own transaction is open when the check runs
    response = client.get("/healthz")
    assert (response.status_code, response.get_json()) == (200, {"status": "ok", "database": "ok"})


def test_unavailable_when_the_database_fails(client, monkeypatch):
    def unreachable() -> None:
        raise sa.exc.OperationalError("SELECT 1", {}, ConnectionRefusedError("refused"))

    monkeypatch.setattr("awards.database.ping", unreachable)
    response = client.get("/healthz")
    assert (response.status_code, response.get_json()) == (503, UNAVAILABLE)


def test_unavailable_when_postgresql_does_not_answer(make_app):
    app = make_app(
        SQLALCHEMY_DATABASE_URI="postgresql+psycopg://postgres@127.0.0.1:1/kts?connect_timeout=2"
    )
    response = app.test_client().get("/healthz")
    assert (response.status_code, response.get_json()) == (503, UNAVAILABLE)


def test_unavailable_when_the_sqlite_file_cannot_be_opened(make_app, tmp_path):
    app = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'missing' / 'kts.sqlite3'}")
    response = app.test_client().get("/healthz")
    assert (response.status_code, response.get_json()) == (503, UNAVAILABLE)
    # … and it recovers by itself once the database is back.
    (tmp_path / "missing").mkdir()
    response = app.test_client().get("/healthz")
    assert (response.status_code, response.get_json()) == (200, {"status": "ok", "database": "ok"})
