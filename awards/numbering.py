"""Gapless numbers: decision numbers and golden-book numbers per issuing body and year (DESIGN.md §4).

A number is taken from a ``Counter`` row with one atomic ``UPDATE … SET value = value + n … RETURNING
value`` inside the transaction that uses it (issuing a decision). The counter's row stays locked until
that transaction ends, so concurrent issuers queue behind each other (PostgreSQL: row lock; SQLite:
``BEGIN IMMEDIATE`` serialises writers); a transaction that fails rolls its numbers back with it, so no
number is ever skipped or given twice. A draft never takes a number: drafts may be discarded.

Lock order on PostgreSQL: the caller has flushed audited rows (the decision) before, so it holds the
audit chain's lock already; ``take`` takes it anyway first, like ``awards/quotas.py``, so that a counter's
row lock is never held while waiting for the chain.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from awards import audit
from awards.extensions import db
from models import Counter

_table = Counter.__table__


def decision_key(symbol: str, year: int) -> str:
    return f"decision:{symbol}:{year}"


def golden_book_key(symbol: str, year: int) -> str:
    return f"goldenbook:{symbol}:{year}"


def ensure(key: str) -> None:
    """Create the counter ``key`` at 0 if missing; a concurrent creator is not an error."""
    dialect = postgresql if db.session.connection().dialect.name == "postgresql" else sqlite
    db.session.execute(dialect.insert(_table).values(key=key, value=0).on_conflict_do_nothing())


def take(key: str, count: int = 1) -> int:
    """Take ``count`` consecutive numbers from counter ``key``; returns the first of them (1-based).

    Must run inside the transaction that records what the numbers are used for.
    """
    if count < 1:
        raise ValueError("count must be at least 1")
    audit.lock_chain(db.session.connection())
    ensure(key)
    last = db.session.execute(
        _table.update()
        .where(_table.c.key == key)
        .values(value=_table.c.value + count)
        .returning(_table.c.value)
    ).scalar_one()
    return last - count + 1


def current(key: str) -> int:
    """The last number taken from ``key`` (0 when none)."""
    return db.session.scalar(sa.select(_table.c.value).where(_table.c.key == key)) or 0


def take_below(key: str, limit: int | None) -> bool:
    """Add one to counter ``key`` unless it has reached ``limit`` (None: no limit). Atomic; ``False``
    when the limit is reached (nothing changed). Used for the total quota at approval."""
    audit.lock_chain(db.session.connection())
    ensure(key)
    condition = _table.c.key == key
    if limit is not None:
        condition = sa.and_(condition, _table.c.value < limit)
    result = db.session.execute(_table.update().where(condition).values(value=_table.c.value + 1))
    return result.rowcount == 1


def give_back(key: str) -> None:
    """Subtract one from counter ``key`` (never below zero)."""
    audit.lock_chain(db.session.connection())
    db.session.execute(
        _table.update()
        .where(_table.c.key == key, _table.c.value > 0)
        .values(value=_table.c.value - 1)
    )
