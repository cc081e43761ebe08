"""The audit trail: one append-only, hash-chained table of every change made through the app.

Two ways in, one writer:

* every insert, update and delete of a model marked ``__audited__`` is recorded automatically at flush
  (before/after of the changed columns), so no service can forget it;
* ``record()`` adds events that are not row changes (login, logout, failed login, imports, exports) or
  that name a domain action (``submit``, ``approve``) beside the row change.

Each event stores the SHA-256 of its content and of the previous event's hash. ``verify_chain()`` recomputes
the chain and names the first row that does not match. Writers serialise on the chain: PostgreSQL through a
transaction-scoped advisory lock, SQLite through its single writer (transactions begin IMMEDIATE).
"""

from __future__ import annotations

import contextvars
import enum
import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import g, has_request_context, request
from sqlalchemy.orm import Mapper, Session, attributes

from models import AuditEvent, User, utcnow

GENESIS = "0" * 64
_ADVISORY_LOCK_KEY = 0x4B54_5300  # "KTS" — any constant shared by all writers of the chain

_cli_actor: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "audit_cli_actor", default=None
)


@dataclass(frozen=True)
class Actor:
    id: int | None
    name: str
    addr: str


@contextmanager
def acting_as(name: str) -> Iterator[None]:
    """Attribute events recorded outside a request (CLI commands, jobs) to ``name``."""
    token = _cli_actor.set(name)
    try:
        yield
    finally:
        _cli_actor.reset(token)


def attribute_request_to(user: User) -> None:
    """Name ``user`` as the actor of what this request records from now on, before Flask-Login knows
    them (the login itself)."""
    g.audit_user = user


def _current_actor() -> Actor:
    if has_request_context():
        # Read the user Flask-Login already loaded; loading it here could query inside a flush.
        user = g.get("audit_user") or g.get("_login_user")
        addr = request.remote_addr or ""
        if isinstance(user, User) and user.is_authenticated:
            return Actor(user.id, user.username, addr)
        return Actor(None, "", addr)
    return Actor(None, _cli_actor.get() or "system", "")


def _jsonable(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        # 100 and 100.00 are one value: the form typed and the form read back must log alike.
        return format(value.normalize(), "f")
    if isinstance(value, bytes):
        return hashlib.sha256(value).hexdigest()
    return value


def canonical(data: dict[str, Any] | None) -> str:
    if not data:
        return ""
    return json.dumps(
        {k: _jsonable(v) for k, v in data.items()},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )


def event_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    payload = json.dumps(
        [
            prev_hash,
            fields["created_at"].isoformat(timespec="microseconds"),
            fields["actor_id"],
            fields["actor_name"],
            fields["client_addr"],
            fields["object_type"],
            fields["object_id"],
            fields["action"],
            fields["before"],
            fields["after"],
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def lock_chain(connection: sa.Connection) -> None:
    """Serialise writers of the chain (PostgreSQL; SQLite writers are serialised by BEGIN IMMEDIATE).

    Every writing transaction ends up holding this lock until it commits, so it must be taken BEFORE
    any row lock: a transaction that locked a row first and then waited for the chain could deadlock
    with one that holds the chain and wants that row. Flushes take it in ``before_flush``; code that
    writes with bare UPDATE statements (counters) calls this first. Re-entrant within a transaction.
    """
    if connection.dialect.name == "postgresql":
        connection.execute(
            sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_LOCK_KEY}
        )


def _last_hash(connection: sa.Connection) -> str:
    lock_chain(connection)
    table = AuditEvent.__table__
    last = connection.execute(
        sa.select(table.c.hash).order_by(table.c.id.desc()).limit(1)
    ).scalar_one_or_none()
    return last or GENESIS


def _write(session: Session, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    connection = session.connection()
    prev = _last_hash(connection)
    for row in rows:
        row["prev_hash"] = prev
        row["hash"] = prev = event_hash(prev, row)
    connection.execute(sa.insert(AuditEvent.__table__), rows)


def _row(
    action: str,
    object_type: str,
    object_id: object,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    actor: Actor,
) -> dict[str, Any]:
    # Microsecond precision survives both databases, so the hash can be recomputed from what is stored.
    return {
        "created_at": utcnow(),
        "actor_id": actor.id,
        "actor_name": actor.name[:64],
        "client_addr": actor.addr[:64],
        "object_type": object_type[:64],
        "object_id": "" if object_id is None else str(object_id)[:64],
        "action": action[:64],
        "before": canonical(before),
        "after": canonical(after),
    }


def record(
    action: str,
    object_type: str,
    object_id: object = None,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    actor: User | None = None,
    session: Session | None = None,
) -> None:
    """Append one event now (within the current transaction; it commits or rolls back with it)."""
    from awards.extensions import db

    who = _current_actor()
    if actor is not None:
        who = Actor(actor.id, actor.username, who.addr)
    _write(session or db.session(), [_row(action, object_type, object_id, before, after, who)])


# --------------------------------------------------------------------------- automatic row auditing


def _audited(obj: object) -> bool:
    return getattr(type(obj), "__audited__", False)


@sa.event.listens_for(Mapper, "mapper_configured")
def _load_old_values(mapper: Mapper, class_: type) -> None:
    # Assigning to a column of an expired object (one just committed, say) does not load the old value
    # by default, so ``before`` would read None and an unchanged value would look changed: load it.
    if getattr(class_, "__audited__", False):
        for attr in mapper.column_attrs:
            getattr(class_, attr.key).impl.active_history = True


def _excluded(obj: object) -> frozenset[str]:
    return getattr(type(obj), "__audit_exclude__", frozenset())


def snapshot(obj: object) -> dict[str, Any]:
    """Column values of a model instance, without the fields it excludes from the trail."""
    mapper = sa.inspect(obj).mapper
    skip = _excluded(obj)
    return {
        attr.key: getattr(obj, attr.key) for attr in mapper.column_attrs if attr.key not in skip
    }


def _changes(obj: object) -> tuple[dict[str, Any], dict[str, Any]]:
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    skip = _excluded(obj)
    for attr in sa.inspect(obj).mapper.column_attrs:
        if attr.key in skip:
            continue
        history = attributes.get_history(obj, attr.key, passive=attributes.PASSIVE_NO_INITIALIZE)
        if not history.has_changes():
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else None
        if old != new:
            before[attr.key] = old
            after[attr.key] = new
    return before, after


def _object_type(obj: object) -> str:
    return type(obj).__tablename__  # type: ignore[attr-defined]


def _identity(obj: object) -> object:
    # After an insert the key is on the attributes already, but not yet in the identity map.
    key = sa.inspect(obj).mapper.primary_key_from_instance(obj)
    return key[0] if len(key) == 1 else "/".join(str(part) for part in key)


@sa.event.listens_for(Session, "before_flush")
def _lock_before_writing(session: Session, flush_context: Any, instances: Any) -> None:
    if any(_audited(obj) for obj in (*session.new, *session.dirty, *session.deleted)):
        lock_chain(session.connection())


@sa.event.listens_for(Session, "after_flush")
def _audit_flush(session: Session, flush_context: Any) -> None:
    actor = _current_actor()
    rows = []
    for obj in session.new:
        if _audited(obj):
            rows.append(
                _row("create", _object_type(obj), _identity(obj), None, snapshot(obj), actor)
            )
    for obj in session.dirty:
        if _audited(obj) and session.is_modified(obj, include_collections=False):
            before, after = _changes(obj)
            if after:
                rows.append(_row("update", _object_type(obj), _identity(obj), before, after, actor))
    for obj in session.deleted:
        if _audited(obj):
            rows.append(
                _row("delete", _object_type(obj), _identity(obj), snapshot(obj), None, actor)
            )
    _write(session, rows)


# --------------------------------------------------------------------------- verification


@dataclass(frozen=True)
class ChainReport:
    checked: int
    first_broken_id: int | None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.first_broken_id is None


def verify_chain(session: Session, batch: int = 5000) -> ChainReport:
    """Recompute every hash in id order; stop at the first row whose stored hashes do not match."""
    table = AuditEvent.__table__
    prev = GENESIS
    checked = 0
    last_id = 0
    while True:
        rows = session.execute(
            sa.select(table).where(table.c.id > last_id).order_by(table.c.id).limit(batch)
        ).mappings()
        fetched = 0
        for row in rows:
            fetched += 1
            last_id = row["id"]
            if row["prev_hash"] != prev:
                return ChainReport(checked, row["id"], "prev_hash does not match the previous row")
            if event_hash(prev, dict(row)) != row["hash"]:
                return ChainReport(checked, row["id"], "content does not match its hash")
            prev = row["hash"]
            checked += 1
        if fetched < batch:
            return ChainReport(checked, None)
