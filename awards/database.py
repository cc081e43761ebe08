"""Engine set-up: SQLite pragmas and write transactions that take the lock up front.

On SQLite a deferred transaction that reads and later writes fails at once with "database is locked" when
another connection committed in between, whatever the busy timeout (ENGINEERING.md). Transactions therefore
start with ``BEGIN IMMEDIATE`` — except those of GET/HEAD/OPTIONS requests, which only read and must not
queue behind writers (WAL lets them read while someone writes).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import current_app, has_request_context, request
from sqlalchemy.engine import Engine

READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
F = TypeVar("F", bound=Callable[..., Any])


def _busy_timeout_ms() -> int:
    try:
        return int(current_app.config.get("SQLITE_BUSY_TIMEOUT_MS", 15000))
    except RuntimeError:  # outside an application context
        return 15000


@sa.event.listens_for(Engine, "connect")
def _on_connect(dbapi_connection: Any, connection_record: Any) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    # Let SQLAlchemy's "begin" event below issue BEGIN itself instead of pysqlite's implicit one.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute(f"PRAGMA busy_timeout = {_busy_timeout_ms()}")
    if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "memory":
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


def writes_on_get(view: F) -> F:
    """Mark a GET view that writes (e.g. records an audit event for a download of personal data), so
    its transaction takes the write lock up front like a POST."""
    view.writes_on_get = True  # type: ignore[attr-defined]
    return view


def _request_reads_only() -> bool:
    if not has_request_context() or request.method not in READ_ONLY_METHODS:
        return False
    view = current_app.view_functions.get(request.endpoint or "")
    return not getattr(view, "writes_on_get", False)


@sa.event.listens_for(Engine, "begin")
def _on_begin(connection: sa.Connection) -> None:
    if connection.dialect.name != "sqlite":
        return
    connection.exec_driver_sql("BEGIN" if _request_reads_only() else "BEGIN IMMEDIATE")


def ping() -> None:
    """Raise if the database cannot answer a trivial query.

    Asked through the request's session: a second connection would wait on a busy pool, and on an
    in-memory SQLite database (one shared connection) it would collide with the request's transaction.
    """
    from awards.extensions import db

    db.session.execute(sa.text("SELECT 1"))
