"""Test fixtures: one app per session, a clean database per test, factories and a login helper.

The database is in-memory SQLite by default. With ``TEST_DATABASE_URL`` (or ``DATABASE_URL``) pointing at a
PostgreSQL server, the suite creates a throwaway database of its own on that server and drops it at the
end — the database named in the URL is never touched.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import flask_migrate
import pytest
import sqlalchemy as sa
from flask import Flask, g, request_started
from flask.testing import FlaskClient
from sqlalchemy.engine import make_url

from app import create_app
from awards.extensions import db as _db
from awards.extensions import limiter
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


def _fresh_g(sender: Flask, **extra: object) -> None:
    for name in list(g):
        g.pop(name)


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    config = TestConfig()
    config.SQLALCHEMY_DATABASE_URI = database_url
    config.UPLOAD_ROOT = str(tmp_path_factory.mktemp("uploads"))
    application = create_app(config)
    # Requests made while this session-wide app context is pushed reuse it, and with it ``g``: without
    # this, the user Flask-Login caches in ``g`` (and the locale Flask-Babel caches there) would leak
    # from one request, or one client, to the next. Each request starts with an empty ``g``, as served.
    request_started.connect(_fresh_g, application)
    with application.app_context():
        _db.create_all()
        yield application
        _db.session.remove()
        _db.drop_all()
        _db.engine.dispose()


def _wipe(app: Flask) -> None:
    # The suite's app context (and its ``g``) outlives the test: a user Flask-Login cached there would
    # be a detached row in the next test's ``app.test_request_context()``.
    _fresh_g(app)
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


@pytest.fixture(autouse=True)
def _limiter_kept() -> Iterator[None]:
    """Flask-Limiter keeps its settings on the one ``limiter`` object: ``init_app`` of any other
    application a test builds (rate limits on, production settings) would change them for the suite's
    app too. Put them back after each test."""
    state = dict(vars(limiter))
    yield
    vars(limiter).clear()
    vars(limiter).update(state)


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
def make_app(database_url: str, db: object, tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    """``make_app(**overrides)``: another application instance — another process, as far as the code can
    tell — on the suite's database. On SQLite, whose test database lives in the memory of one engine,
    every instance made in a test shares a temporary file instead. Engines are disposed after the test.
    """
    shared = database_url
    if database_url == "sqlite://":
        shared = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    made: list[Flask] = []

    def factory(**overrides: object) -> Flask:
        config = TestConfig()
        config.SQLALCHEMY_DATABASE_URI = shared
        application = create_app(config, **overrides)
        request_started.connect(_fresh_g, application)
        if shared != database_url and application.config["SQLALCHEMY_DATABASE_URI"] == shared:
            with application.app_context():
                _db.create_all()
        made.append(application)
        return application

    yield factory
    for application in made:
        with application.app_context():
            _db.session.remove()
            _db.engine.dispose()


@pytest.fixture()
def empty_database(database_url: str, tmp_path: Path) -> Iterator[Callable[[str], str]]:
    """``empty_database("sqlite" | "postgresql")``: the URL of a new database without tables — a temporary
    file, or a throwaway database on the suite's PostgreSQL server (skipped when the suite runs on
    SQLite), dropped after the test."""
    created: list[str] = []
    server = _server_url()

    def factory(dialect: str) -> str:
        if dialect == "sqlite":
            return f"sqlite:///{tmp_path / f'empty{secrets.token_hex(3)}.sqlite3'}"
        if server is None:
            pytest.skip(
                "PostgreSQL: the suite runs on SQLite (set TEST_DATABASE_URL to include it)"
            )
        name = f"kts_empty_{os.getpid()}_{secrets.token_hex(3)}"
        _admin_statement(server, f'CREATE DATABASE "{name}"')
        created.append(name)
        return make_url(server).set(database=name).render_as_string(hide_password=False)

    yield factory
    for name in created:
        _admin_statement(server or "", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _admin_statement(server: str, statement: str) -> None:
    engine = sa.create_engine(
        make_url(server).set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    try:
        with engine.connect() as connection:
            connection.execute(sa.text(statement))
    finally:
        engine.dispose()


@pytest.fixture()
def upgraded(make_app: Callable[..., Flask]) -> Callable[[str], Flask]:
    """``upgraded(url)``: an application on ``url`` whose schema was built by the Alembic migrations."""

    def factory(url: str) -> Flask:
        application = make_app(SQLALCHEMY_DATABASE_URI=url)
        with application.app_context(), _logging_kept():
            flask_migrate.upgrade()
        return application

    return factory


@contextmanager
def _logging_kept() -> Iterator[None]:
    """Alembic's env.py applies alembic.ini's logging with ``fileConfig``, which disables every logger
    that exists; put them back as they were for the rest of the suite."""
    known = list(logging.Logger.manager.loggerDict.values())
    loggers = [lg for lg in known if isinstance(lg, logging.Logger)] + [logging.root]
    state = [(lg, dict(vars(lg)), list(lg.handlers)) for lg in loggers]
    try:
        yield
    finally:
        for lg, attributes, handlers in state:
            vars(lg).update(attributes)
            lg.handlers[:] = handlers


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


@contextmanager
def counting_queries() -> Iterator[list[str]]:
    """Collect the SQL statements the app sends inside the block (to prove a page's query count does
    not grow with its rows)."""
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements.append(statement)

    sa.event.listen(_db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(_db.engine, "before_cursor_execute", count)
