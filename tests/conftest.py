"""Test fixtures: one app per session, a clean database per test, factories and a login helper.

The database is in-memory SQLite by default. With ``TEST_DATABASE_URL`` (or ``DATABASE_URL``) pointing at a
PostgreSQL server, the suite creates a throwaway database of its own on that server and drops it at the
end — the database named in the URL is never touched.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from datetime import date

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.engine import make_url

from app import create_app
from awards.extensions import db as _db
from awards.passwords import hash_password
from config import TestConfig
from models import Role, Unit, UnitKind, User

PASSWORD = "Mat-khau-thu-nghiem-1"


def _server_url() -> str | None:
    url = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if not url or not url.startswith(("postgres://", "postgresql")):
        return None
    url = url.replace("postgres://", "postgresql://", 1)
    if url.startswith("postgresql://"):
        url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    return url


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    server = _server_url()
    if server is None:
        yield "sqlite://"
        return
    name = f"kts_test_{os.getpid()}_{secrets.token_hex(3)}"
    admin_url = make_url(server).set(database="postgres")
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as error:
        pytest.exit(f"PostgreSQL at {admin_url.render_as_string()} is unreachable: {error}", 2)
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    config = TestConfig()
    config.SQLALCHEMY_DATABASE_URI = database_url
    config.UPLOAD_ROOT = str(tmp_path_factory.mktemp("uploads"))
    application = create_app(config)
    with application.app_context():
        _db.create_all()
        yield application
        _db.session.remove()
        _db.drop_all()
        _db.engine.dispose()


def _wipe(app: Flask) -> None:
    _db.session.rollback()
    _db.session.remove()
    tables = [t.name for t in reversed(_db.metadata.sorted_tables)]
    with _db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(_db.metadata.sorted_tables):
                # RESTRICT is checked row by row on SQLite: cut self-references before deleting.
                for fk in table.foreign_keys:
                    if fk.column.table is table and fk.parent.nullable:
                        connection.execute(table.update().values({fk.parent.name: None}))
                connection.execute(table.delete())


@pytest.fixture()
def db(app: Flask) -> Iterator[object]:
    """The database, emptied after the test."""
    try:
        yield _db
    finally:
        _wipe(app)


@pytest.fixture()
def client(app: Flask, db: object) -> FlaskClient:
    return app.test_client()


@pytest.fixture()
def runner(app: Flask, db: object):  # type: ignore[no-untyped-def]
    return app.test_cli_runner()


@pytest.fixture()
def make_unit(db: object) -> Callable[..., Unit]:
    counter = iter(range(1, 100000))

    def factory(
        name: str | None = None,
        *,
        code: str | None = None,
        kind: UnitKind = UnitKind.PROVINCIAL_BODY,
        parent: Unit | None = None,
        valid_from: date = date(2020, 1, 1),
    ) -> Unit:
        n = next(counter)
        unit = Unit(
            code=code or f"U{n:03d}",
            name=name or f"Đơn vị thử nghiệm {n}",
            kind=kind,
            parent=parent,
            valid_from=valid_from,
        )
        _db.session.add(unit)
        _db.session.flush()
        return unit

    return factory


@pytest.fixture()
def make_user(db: object, make_unit: Callable[..., Unit]) -> Callable[..., User]:
    counter = iter(range(1, 100000))

    def factory(
        *roles: Role,
        username: str | None = None,
        unit: Unit | None = None,
        full_name: str | None = None,
        password: str = PASSWORD,
        active: bool = True,
    ) -> User:
        n = next(counter)
        roles = roles or (Role.UNIT_CLERK,)
        if unit is None and set(roles) & {Role.UNIT_CLERK, Role.UNIT_HEAD}:
            unit = make_unit()
        user = User(
            username=username or f"user{n}",
            full_name=full_name or f"Người dùng {n}",
            password_hash=hash_password(password),
            unit=unit,
            active=active,
        )
        user.set_roles(set(roles))
        _db.session.add(user)
        _db.session.commit()
        return user

    return factory


def login(client: FlaskClient, username: str, password: str = PASSWORD, **extra: str):  # type: ignore[no-untyped-def]
    """Log in through the real form (CSRF is off in TestConfig; one test keeps it on)."""
    return client.post("/login", data={"username": username, "password": password, **extra})


@pytest.fixture()
def login_as(client: FlaskClient, make_user: Callable[..., User]) -> Callable[..., User]:
    """``login_as(Role.BOARD)`` creates a user with that role, logs the client in and returns the user."""

    def do(*roles: Role, **kwargs: object) -> User:
        user = make_user(*roles, **kwargs)
        response = login(client, user.username)
        assert response.status_code == 302, response.data[:500]
        return user

    return do
