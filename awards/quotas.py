"""Per-unit quotas per award form in a round, enforced atomically.

A counter row per (round, award form, unit) is moved with one conditional UPDATE: ``used = used + 1
WHERE used < limit``. The database applies it atomically, so concurrent submissions can never take
more than the limit — read-check-write in Python would (ENGINEERING.md). Works alike on SQLite (where
writers are serialised by BEGIN IMMEDIATE) and PostgreSQL (row lock on the counter).

Lock order on PostgreSQL: every transaction that moves a counter also appends to the audit chain, which
serialises its writers on a transaction-scoped advisory lock (``awards/audit.py``). A transaction that
flushed an audited row first (a Tờ trình creates its ``Submission`` before submitting) holds the chain
lock when it reaches the counter; one that moves the counter first (a lone withdrawal) would then wait
for the chain lock while holding the counter's row lock: a deadlock. So the counter functions take the
chain lock first — it costs no concurrency, the transaction would take it at its next flush anyway.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from awards import audit, numbering
from awards.extensions import db
from models import Nomination, QuotaUsage

_table = QuotaUsage.__table__


def _key(nomination: Nomination) -> dict[str, int]:
    return {
        "round_id": nomination.round_id,
        "award_form_id": nomination.award_form_id,
        "unit_id": nomination.unit_id,
    }


def _ensure_row(key: dict[str, int]) -> None:
    """Create the counter if missing; a concurrent creator is not an error."""
    connection = db.session.connection()
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    db.session.execute(dialect.insert(_table).values(**key, used=0).on_conflict_do_nothing())


def take(nomination: Nomination) -> bool:
    """Count ``nomination`` against its unit's quota; ``False`` (nothing changed) when the quota is full."""
    audit.lock_chain(db.session.connection())  # before the counter's row lock
    limit = nomination.award_form.quota_per_unit
    key = _key(nomination)
    _ensure_row(key)
    condition = sa.and_(*(getattr(_table.c, k) == v for k, v in key.items()))
    if limit is not None:
        condition = sa.and_(condition, _table.c.used < limit)
    result = db.session.execute(_table.update().where(condition).values(used=_table.c.used + 1))
    return result.rowcount == 1


def give_back(nomination: Nomination) -> None:
    """Release the place ``nomination`` held (it was withdrawn or returned)."""
    audit.lock_chain(db.session.connection())  # before the counter's row lock
    key = _key(nomination)
    condition = sa.and_(*(getattr(_table.c, k) == v for k, v in key.items()), _table.c.used > 0)
    db.session.execute(_table.update().where(condition).values(used=_table.c.used - 1))


def used(round_id: int, award_form_id: int, unit_id: int) -> int:
    return (
        db.session.scalar(
            sa.select(_table.c.used).where(
                _table.c.round_id == round_id,
                _table.c.award_form_id == award_form_id,
                _table.c.unit_id == unit_id,
            )
        )
        or 0
    )


# --------------------------------------------------------------------------- total quota at approval


def _approved_key(nomination: Nomination) -> str:
    return f"approved:{nomination.round_id}:{nomination.award_form_id}"


def take_total(nomination: Nomination) -> bool:
    """Count ``nomination`` against its award form's total quota for the round (approving it);
    ``False`` (nothing changed) when the quota is full. One atomic UPDATE, as ``take``."""
    return numbering.take_below(_approved_key(nomination), nomination.award_form.quota_total)


def give_back_total(nomination: Nomination) -> None:
    """Release the place an approved nomination held (rejected after approval, or revoked)."""
    numbering.give_back(_approved_key(nomination))


def approved(round_id: int, award_form_id: int) -> int:
    """How many nominations of the award form are approved or awarded in the round."""
    return numbering.current(f"approved:{round_id}:{award_form_id}")
