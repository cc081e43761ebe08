"""Units (đơn vị): a tree with kinds and validity dates.

Units are never deleted: other records refer to them and organisations merge and rename, so a unit is
retired by giving it an end date (``valid_to``) and may be brought back. Two invariants hold across the
services here and the Excel import: the parent links form a tree (no cycles), and a unit never outlives its
parent (a child's ``valid_to`` is set and not later than its parent's whenever the parent's is set).

Services flush, never commit. Row changes are recorded in the audit trail automatically at flush.
Tree queries are recursive CTEs, one statement each, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import aliased

from awards.extensions import db
from awards.templating import format_day
from awards.text import clean, like_pattern
from exports.excel import is_formula_like
from models import Unit, UnitKind

CODE_MAX = 32
NAME_MAX = 255
# Upper-case ASCII letters, digits and . _ -, starting with a letter or digit.
CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9._-]*$")
# A guard against a corrupted tree: real hierarchies are 3–5 levels deep.
MAX_DEPTH = 64
# Integer literals rendered inline: PostgreSQL requires the recursive term of a CTE to keep the type of the
# anchor term exactly, which a bound parameter of another integer width would break.
_ZERO = sa.literal_column("0", sa.Integer)
_ONE = sa.literal_column("1", sa.Integer)


class UnitError(ValueError):
    """A change to units that cannot be made; ``str(error)`` is a Vietnamese message for the user."""


@dataclass(frozen=True)
class UnitRow:
    """One line of a unit listing (plain values; ``depth`` is 0 for roots and for flat search results)."""

    id: int
    code: str
    name: str
    kind: UnitKind
    parent_id: int | None
    parent_code: str | None
    parent_name: str | None
    valid_from: date
    valid_to: date | None
    depth: int

    @property
    def is_retired(self) -> bool:
        return self.valid_to is not None and self.valid_to < date.today()


# --------------------------------------------------------------------------- checks shared with imports


def normalise_code(code: str) -> str:
    return clean(code).upper()


def code_problem(code: str) -> str | None:
    """Why ``code`` (already normalised) is not a valid unit code, or None."""
    if not code:
        return str(_l("Thiếu mã đơn vị."))
    if len(code) > CODE_MAX:
        return str(_l("Mã đơn vị dài quá %(n)d ký tự.", n=CODE_MAX))
    if not CODE_RE.match(code):
        return str(
            _l(
                "Mã đơn vị “%(code)s” chỉ được gồm chữ in hoa không dấu, chữ số và các ký tự . _ - "
                "(bắt đầu bằng chữ hoặc số).",
                code=code,
            )
        )
    return None


def name_problem(name: str) -> str | None:
    """Why ``name`` (already cleaned) is not a valid unit name, or None."""
    if not name:
        return str(_l("Thiếu tên đơn vị."))
    if len(name) > NAME_MAX:
        return str(_l("Tên đơn vị dài quá %(n)d ký tự.", n=NAME_MAX))
    if is_formula_like(name):
        return str(_l("Tên đơn vị không được bắt đầu bằng các ký tự = + - @."))
    return None


def lifespan_problem(
    valid_to: date | None, parent_code: str, parent_valid_to: date | None
) -> str | None:
    """Why a unit ending on ``valid_to`` (None: no end) may not sit under a parent ending on
    ``parent_valid_to``, or None: a unit never outlives its parent."""
    if parent_valid_to is None or (valid_to is not None and valid_to <= parent_valid_to):
        return None
    return str(
        _l(
            "Đơn vị cấp trên %(code)s ngừng hoạt động từ %(day)s: đơn vị trực thuộc phải ngừng hoạt "
            "động không muộn hơn ngày đó. Hãy chọn đơn vị cấp trên khác hoặc khôi phục đơn vị cấp trên "
            "trước.",
            code=parent_code,
            day=format_day(parent_valid_to),
        )
    )


def _check(problem: str | None) -> None:
    if problem:
        raise UnitError(problem)


def _check_code_free(code: str, unit_id: int | None = None) -> None:
    stmt = sa.select(Unit.id).where(Unit.code == code)
    if unit_id is not None:
        stmt = stmt.where(Unit.id != unit_id)
    if db.session.scalar(stmt) is not None:
        raise UnitError(str(_l("Mã đơn vị “%(code)s” đã được dùng cho đơn vị khác.", code=code)))


def is_active_clause(on: date) -> sa.ColumnElement[bool]:
    """SQL: the unit is still in force on ``on`` (no end date, or an end date not before it)."""
    return sa.or_(Unit.valid_to.is_(None), Unit.valid_to >= on)


# --------------------------------------------------------------------------- services


def create_unit(
    *,
    code: str,
    name: str,
    kind: UnitKind,
    parent: Unit | None = None,
    valid_from: date | None = None,
) -> Unit:
    """Add a unit (in force from ``valid_from``, default 01/01/2000) under ``parent`` (None: a root).

    Raises ``UnitError`` for an invalid or taken code, an invalid name, or a retired parent.
    """
    code = normalise_code(code)
    name = clean(name)
    _check(code_problem(code))
    _check(name_problem(name))
    _check_code_free(code)
    if parent is not None:
        _check(lifespan_problem(None, parent.code, parent.valid_to))
    unit = Unit(code=code, name=name, kind=kind, parent=parent)
    if valid_from is not None:
        unit.valid_from = valid_from
    db.session.add(unit)
    db.session.flush()
    return unit


def update_unit(unit: Unit, *, code: str, name: str, kind: UnitKind, valid_from: date) -> None:
    """Change a unit's code, name, kind and start date (its place in the tree changes by ``move_unit``).

    Raises ``UnitError`` for an invalid or taken code, an invalid name, or a start date after the unit's
    end date.
    """
    code = normalise_code(code)
    name = clean(name)
    _check(code_problem(code))
    _check(name_problem(name))
    if code != unit.code:
        _check_code_free(code, unit.id)
    if unit.valid_to is not None and valid_from > unit.valid_to:
        raise UnitError(
            str(
                _l(
                    "Ngày bắt đầu hiệu lực không được sau ngày ngừng hoạt động (%(day)s).",
                    day=format_day(unit.valid_to),
                )
            )
        )
    if unit.code != code:
        unit.code = code
    if unit.name != name:
        unit.name = name
    if unit.kind != kind:
        unit.kind = kind
    if unit.valid_from != valid_from:
        unit.valid_from = valid_from
    db.session.flush()


def move_unit(unit: Unit, new_parent: Unit | None) -> None:
    """Put ``unit`` (with its whole subtree) under ``new_parent`` (None: make it a root).

    Raises ``UnitError`` when ``new_parent`` is the unit itself or one of its descendants (a cycle), or
    when the new parent ends before the unit does.
    """
    if new_parent is not None:
        if new_parent.id == unit.id or new_parent.id in descendant_ids(unit.id):
            raise UnitError(
                str(
                    _l(
                        "Không thể chuyển đơn vị %(code)s vào chính nó hoặc vào một đơn vị trực thuộc "
                        "của nó. Hãy chọn đơn vị cấp trên khác.",
                        code=unit.code,
                    )
                )
            )
        _check(lifespan_problem(unit.valid_to, new_parent.code, new_parent.valid_to))
    new_parent_id = new_parent.id if new_parent is not None else None
    if unit.parent_id != new_parent_id:
        unit.parent = new_parent
        db.session.flush()


def retire_unit(unit: Unit, on: date) -> None:
    """Retire ``unit`` from ``on`` (its last day in force): sets ``valid_to``; nothing is deleted.

    Raises ``UnitError`` when ``on`` is before the unit's start date, or when a direct child is still in
    force after ``on`` (those must be moved or retired first).
    """
    if on < unit.valid_from:
        raise UnitError(
            str(
                _l(
                    "Ngày ngừng hoạt động không được trước ngày bắt đầu hiệu lực (%(day)s).",
                    day=format_day(unit.valid_from),
                )
            )
        )
    active_children = db.session.execute(
        sa.select(Unit.code, Unit.name)
        .where(Unit.parent_id == unit.id, sa.or_(Unit.valid_to.is_(None), Unit.valid_to > on))
        .order_by(Unit.code)
    ).all()
    if active_children:
        shown = ", ".join(f"{row.code} — {row.name}" for row in active_children[:5])
        more = len(active_children) - 5
        raise UnitError(
            str(
                _l(
                    "Đơn vị %(code)s còn %(n)d đơn vị trực thuộc hoạt động sau ngày %(day)s (%(list)s"
                    "%(more)s). Hãy chuyển hoặc cho ngừng hoạt động các đơn vị đó trước.",
                    code=unit.code,
                    n=len(active_children),
                    day=format_day(on),
                    list=shown,
                    more=", …" if more > 0 else "",
                )
            )
        )
    unit.valid_to = on
    db.session.flush()


def reactivate_unit(unit: Unit) -> None:
    """Bring a retired unit back into force: clears ``valid_to``.

    Raises ``UnitError`` when the unit has no end date, or when its parent has one (restore or change the
    parent first).
    """
    if unit.valid_to is None:
        raise UnitError(str(_l("Đơn vị %(code)s đang hoạt động.", code=unit.code)))
    if unit.parent is not None:
        _check(lifespan_problem(None, unit.parent.code, unit.parent.valid_to))
    unit.valid_to = None
    db.session.flush()


# --------------------------------------------------------------------------- queries


def descendant_ids(unit_id: int) -> set[int]:
    """Ids of every unit below ``unit_id`` in the tree (not the unit itself), by one recursive query.

    UNION (not UNION ALL) makes the query end even if the stored links were ever cyclic.
    """
    below = sa.select(Unit.id).where(Unit.parent_id == unit_id).cte("below", recursive=True)
    below = below.union(sa.select(Unit.id).join(below, Unit.parent_id == below.c.id))
    return set(db.session.scalars(sa.select(below.c.id)))


def ancestors(unit: Unit) -> list[Unit]:
    """The units above ``unit``, root first, by one recursive query."""
    if unit.parent_id is None:
        return []
    above = (
        sa.select(Unit.id, Unit.parent_id, _ONE.label("depth"))
        .where(Unit.id == unit.parent_id)
        .cte("above", recursive=True)
    )
    parent = aliased(Unit)
    above = above.union_all(
        sa.select(parent.id, parent.parent_id, above.c.depth + _ONE)
        .join(above, parent.id == above.c.parent_id)
        .where(above.c.depth < MAX_DEPTH)
    )
    stmt = sa.select(Unit).join(above, Unit.id == above.c.id).order_by(above.c.depth.desc())
    return list(db.session.scalars(stmt))


def _listing_columns(parent: type[Unit]) -> list[sa.ColumnElement]:
    return [
        Unit.id,
        Unit.code,
        Unit.name,
        Unit.kind,
        Unit.parent_id,
        parent.code.label("parent_code"),
        parent.name.label("parent_name"),
        Unit.valid_from,
        Unit.valid_to,
    ]


def tree_statement(*, include_retired: bool = False, on: date | None = None) -> sa.Select:
    """All units in tree order, with ``depth``: each parent followed by its subtree; siblings by kind
    (provincial bodies, districts, communes, enterprises, other) then code.

    One recursive CTE: each unit gets a sort key made of its position among its siblings, as fixed-width
    digits appended to its parent's key, so ordering by the key gives depth-first order under any
    collation. Retired units (ended before ``on``, default today) are left out unless
    ``include_retired``; their subtrees are retired too (a unit never outlives its parent).
    """
    kind_order = sa.case({kind: index for index, kind in enumerate(UnitKind)}, value=Unit.kind)
    position = sa.func.row_number().over(
        partition_by=Unit.parent_id, order_by=(kind_order, Unit.code)
    )
    ranked = sa.select(
        Unit.id, Unit.parent_id, sa.cast(position + 1_000_000, sa.Text).label("key")
    ).subquery("ranked")
    tree = (
        sa.select(
            ranked.c.id,
            _ZERO.label("depth"),
            ranked.c.key.label("path"),
        )
        .where(ranked.c.parent_id.is_(None))
        .cte("tree", recursive=True)
    )
    child = ranked.alias("child")
    tree = tree.union_all(
        sa.select(child.c.id, tree.c.depth + _ONE, tree.c.path + child.c.key)
        .join(tree, child.c.parent_id == tree.c.id)
        .where(tree.c.depth < MAX_DEPTH)
    )
    parent = aliased(Unit)
    stmt = (
        sa.select(*_listing_columns(parent), tree.c.depth)
        .join(tree, tree.c.id == Unit.id)
        .outerjoin(parent, parent.id == Unit.parent_id)
        .order_by(tree.c.path)
    )
    if not include_retired:
        stmt = stmt.where(is_active_clause(on or date.today()))
    return stmt


def search_statement(
    query: str = "",
    *,
    kind: UnitKind | None = None,
    include_retired: bool = False,
    on: date | None = None,
) -> sa.Select:
    """Units matching ``query`` in their name (accent-insensitive: "dinh bang" finds "Đình Bảng") or
    code, and ``kind``, as a flat list by name with their parent's code and name (``depth`` 0)."""
    parent = aliased(Unit)
    stmt = (
        sa.select(*_listing_columns(parent), _ZERO.label("depth"))
        .outerjoin(parent, parent.id == Unit.parent_id)
        .order_by(Unit.search_name, Unit.code)
    )
    if query:
        pattern = like_pattern(query)
        stmt = stmt.where(
            sa.or_(
                Unit.search_name.like(pattern, escape="\\"),
                sa.func.lower(Unit.code).like(pattern, escape="\\"),
            )
        )
    if kind is not None:
        stmt = stmt.where(Unit.kind == kind)
    if not include_retired:
        stmt = stmt.where(is_active_clause(on or date.today()))
    return stmt


def fetch_rows(stmt: sa.Select, *, limit: int | None = None, offset: int = 0) -> list[UnitRow]:
    """Run a listing statement (``tree_statement`` or ``search_statement``) into ``UnitRow``s."""
    if limit is not None:
        stmt = stmt.limit(limit).offset(offset)
    return [UnitRow(**row._mapping) for row in db.session.execute(stmt)]


def count_rows(stmt: sa.Select) -> int:
    return (
        db.session.scalar(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery()))
        or 0
    )


def tree_rows(*, include_retired: bool = False) -> list[UnitRow]:
    """Every unit (or every unit in force) in tree order with its depth."""
    return fetch_rows(tree_statement(include_retired=include_retired))


def unit_options(
    empty_label: str, exclude: set[int] | frozenset[int] = frozenset()
) -> list[tuple[int, str]]:
    """Units in force, in tree order and indented, as (id, label) choices; 0 stands for "none"."""
    return [(0, empty_label)] + [
        (row.id, f"{'— ' * row.depth}{row.code} · {row.name}")
        for row in tree_rows()
        if row.id not in exclude
    ]
