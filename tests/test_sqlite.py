"""SQLite as the app configures it: foreign keys, WAL, busy timeout, and writers that wait their turn.

These run on SQLite files of their own whatever database the rest of the suite uses.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from flask import Flask

from app import create_app
from awards.extensions import db
from config import TestConfig

PAUSE = 0.3  # seconds the first writer holds its transaction open after reading


@pytest.fixture()
def file_app(tmp_path) -> Flask:
    config = TestConfig()
    config.SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'kts.sqlite3'}"
    app = create_app(config, SQLITE_BUSY_TIMEOUT_MS=5000)
    with app.app_context():
        with db.engine.begin() as connection:
            connection.execute(sa.text("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER)"))
            connection.execute(sa.text("INSERT INTO counter VALUES (1, 0)"))
        yield app
        db.engine.dispose()


def _pragma(app: Flask, name: str) -> object:
    with app.app_context(), db.engine.connect() as connection:
        return connection.exec_driver_sql(f"PRAGMA {name}").scalar()


def test_pragmas_on_a_file_database(file_app):
    assert _pragma(file_app, "foreign_keys") == 1
    assert _pragma(file_app, "journal_mode") == "wal"
    assert _pragma(file_app, "busy_timeout") == 5000
    assert _pragma(file_app, "synchronous") == 1  # NORMAL: safe with WAL, fewer fsyncs


def test_pragmas_outside_the_application():
    """Engines made outside an app context (scripts) get the same pragmas, with the default timeout;
    an in-memory database keeps its own journal."""
    engine = sa.create_engine("sqlite://")
    with engine.connect() as connection:
        pragmas = [
            connection.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("foreign_keys", "busy_timeout", "journal_mode")
        ]
    engine.dispose()
    assert pragmas == [1, 15000, "memory"]


def test_foreign_keys_are_enforced(file_app):
    with file_app.app_context():
        with db.engine.begin() as connection:
            connection.execute(sa.text("CREATE TABLE parent (id INTEGER PRIMARY KEY)"))
            connection.execute(
                sa.text("CREATE TABLE child (id INTEGER PRIMARY KEY, p INTEGER REFERENCES parent)")
            )
        with pytest.raises(sa.exc.IntegrityError, match="FOREIGN KEY"), db.engine.begin() as c:
            c.execute(sa.text("INSERT INTO child VALUES (1, 42)"))


def test_the_suite_database_enforces_foreign_keys_too(app, db):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the suite runs on PostgreSQL")
    assert db.session.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1
    db.session.rollback()


def _read_then_write(engine: sa.Engine, read_done: threading.Event | None) -> None:
    with engine.begin() as connection:
        n = connection.execute(sa.text("SELECT n FROM counter WHERE id = 1")).scalar_one()
        if read_done is not None:
            read_done.set()
            time.sleep(PAUSE)  # the other writer starts meanwhile
        connection.execute(sa.text("UPDATE counter SET n = :n WHERE id = 1"), {"n": n + 1})


def _race(first: Callable[[], None], second: Callable[[], None], read_done) -> list[BaseException]:
    errors: list[BaseException] = []

    def run(work: Callable[[], None]) -> None:
        try:
            work()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=(first,))]
    threads[0].start()
    assert read_done.wait(5)
    threads.append(threading.Thread(target=run, args=(second,)))
    threads[1].start()
    for thread in threads:
        thread.join(10)
    return errors


def test_two_read_then_write_transactions_both_succeed(file_app):
    """BEGIN IMMEDIATE: the second writer waits for the first instead of failing, and reads its
    result, so no update is lost."""
    with file_app.app_context():
        engine = db.engine
        read_done = threading.Event()
        errors = _race(
            lambda: _read_then_write(engine, read_done),
            lambda: _read_then_write(engine, None),
            read_done,
        )
        assert errors == []
        with engine.connect() as connection:
            assert connection.execute(sa.text("SELECT n FROM counter")).scalar_one() == 2


def test_without_begin_immediate_the_second_writer_fails(tmp_path):
    """The control: the same race with SQLite's deferred BEGIN fails at once, whatever the timeout."""
    path = tmp_path / "plain.sqlite3"
    setup = sqlite3.connect(path, isolation_level=None)
    setup.execute("PRAGMA journal_mode = WAL")
    setup.execute("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER)")
    setup.execute("INSERT INTO counter VALUES (1, 0)")
    setup.close()

    def deferred(read_done: threading.Event | None) -> None:
        connection = sqlite3.connect(path, isolation_level=None, timeout=5)
        try:
            connection.execute("BEGIN")
            (n,) = connection.execute("SELECT n FROM counter").fetchone()
            if read_done is not None:
                read_done.set()
                time.sleep(PAUSE)
            else:
                time.sleep(PAUSE * 2)  # read before the first commits, write after
            connection.execute("UPDATE counter SET n = ?", (n + 1,))
            connection.execute("COMMIT")
        finally:
            connection.close()

    read_done = threading.Event()
    errors = _race(lambda: deferred(read_done), lambda: deferred(None), read_done)
    assert [str(error) for error in errors] == ["database is locked"]


def test_read_only_requests_do_not_take_the_write_lock(file_app):
    """GET requests begin a plain (deferred) transaction: with WAL they read while someone writes."""
    with file_app.app_context(), db.engine.connect() as writer:
        writer.execute(sa.text("UPDATE counter SET n = 5"))  # holds the write lock (IMMEDIATE)
        started = time.monotonic()
        response = file_app.test_client().get("/healthz")
        assert response.get_json() == {"status": "ok", "database": "ok"}
        assert time.monotonic() - started < 2
        writer.rollback()


def test_only_plain_get_requests_start_read_only_transactions(app):
    from awards.database import _request_reads_only

    with app.test_request_context("/nominations/"):
        assert _request_reads_only() is True
    with app.test_request_context("/nominations/export.xlsx"):
        assert _request_reads_only() is False  # it records an audit event: take the lock up front
    with app.test_request_context("/nominations/", method="POST"):
        assert _request_reads_only() is False
    with app.app_context():
        assert _request_reads_only() is False  # CLI commands and jobs write
