"""Nomination lists: the scoped, filtered and sorted queries behind the list page, its Excel export and
the ``export nominations`` command, and the labels they show.

Every statement is scoped by a visibility clause (``awards.nominations.visible_to(user)`` in the views,
``sa.true()`` for the operator's command line), so a unit's people never list another unit's nominations.
Nothing here changes data.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import aliased, contains_eager

from awards.extensions import db
from awards.text import like_pattern
from models import (
    AwardForm,
    Nomination,
    NominationState,
    RecipientKind,
    Round,
    SelfScore,
    Sex,
    StaffCategory,
    Unit,
)

S = NominationState

NOMINATION_STATE_LABELS = {
    S.DRAFT: _l("Đang soạn"),
    S.SUBMITTED: _l("Đã trình"),
    S.RETURNED: _l("Bị trả lại"),
    S.WITHDRAWN: _l("Đã rút"),
    S.IN_REVIEW: _l("Đang chấm điểm"),
    S.SCORED: _l("Đã chấm điểm"),
    S.PROPOSED: _l("Đề nghị khen thưởng"),
    S.APPROVED: _l("Đã phê duyệt"),
    S.REJECTED: _l("Không được phê duyệt"),
    S.AWARDED: _l("Đã khen thưởng"),
    S.REVOKED: _l("Đã thu hồi"),
}

# Bootstrap badge classes: grey while the unit works on it, blue on its way, green when it succeeded.
STATE_BADGES = {
    S.DRAFT: "text-bg-secondary",
    S.SUBMITTED: "text-bg-primary",
    S.RETURNED: "text-bg-warning",
    S.WITHDRAWN: "text-bg-light border",
    S.IN_REVIEW: "text-bg-info",
    S.SCORED: "text-bg-info",
    S.PROPOSED: "text-bg-primary",
    S.APPROVED: "text-bg-success",
    S.REJECTED: "text-bg-danger",
    S.AWARDED: "text-bg-success",
    S.REVOKED: "text-bg-dark",
}

SEX_LABELS = {Sex.FEMALE: _l("Nữ"), Sex.MALE: _l("Nam")}

STAFF_CATEGORY_LABELS = {
    StaffCategory.LEADER: _l("Lãnh đạo, quản lý"),
    StaffCategory.STAFF: _l("Công chức, viên chức, người lao động"),
}

SORT_LABELS = {
    "updated": _l("Ngày cập nhật"),
    "name": _l("Tên tập thể / cá nhân"),
    "unit": _l("Đơn vị đề nghị"),
    "state": _l("Trạng thái"),
    "award_form": _l("Hình thức khen thưởng"),
}
DEFAULT_SORT = "updated"

# States in the order of the workflow, so that sorting by state reads like the process.
_STATE_ORDER = sa.case({state.value: n for n, state in enumerate(S)}, value=Nomination.state)


@dataclass(frozen=True)
class ListFilters:
    """What the list shows: every field optional; ``query`` is matched accent-insensitively."""

    round_id: int | None = None
    unit_id: int | None = None
    state: NominationState | None = None
    award_form_id: int | None = None
    kind: RecipientKind | None = None
    query: str = ""
    sort: str = DEFAULT_SORT
    descending: bool = True


def _conditions(filters: ListFilters, visible: sa.ColumnElement[bool]) -> list[Any]:
    conditions: list[Any] = [visible]
    if filters.round_id is not None:
        conditions.append(Nomination.round_id == filters.round_id)
    if filters.unit_id is not None:
        conditions.append(Nomination.unit_id == filters.unit_id)
    if filters.state is not None:
        conditions.append(Nomination.state == filters.state)
    if filters.award_form_id is not None:
        conditions.append(Nomination.award_form_id == filters.award_form_id)
    if filters.kind is not None:
        conditions.append(Nomination.kind == filters.kind)
    if filters.query.strip():
        conditions.append(Nomination.search_name.like(like_pattern(filters.query), escape="\\"))
    return conditions


def _order(filters: ListFilters) -> list[Any]:
    keys: dict[str, list[Any]] = {
        "updated": [Nomination.updated_at],
        "name": [Nomination.search_name],
        "unit": [Unit.search_name],
        "state": [_STATE_ORDER],
        "award_form": [AwardForm.position, AwardForm.name],
    }
    columns = keys.get(filters.sort, keys[DEFAULT_SORT])
    ordered = [c.desc() if filters.descending else c.asc() for c in columns]
    # A stable tie-break keeps pages from overlapping.
    return [*ordered, Nomination.id.desc() if filters.descending else Nomination.id.asc()]


def list_statement(filters: ListFilters, visible: sa.ColumnElement[bool]) -> sa.Select:
    """Nominations matching ``filters`` within ``visible``, with their unit, award form and round
    loaded in the same query (one query per page, whatever its length)."""
    return (
        sa.select(Nomination)
        .join(Nomination.unit)
        .join(Nomination.award_form)
        .join(Nomination.round)
        .options(
            contains_eager(Nomination.unit),
            contains_eager(Nomination.award_form),
            contains_eager(Nomination.round),
        )
        .where(*_conditions(filters, visible))
        .order_by(*_order(filters))
    )


def export_statement(filters: ListFilters, visible: sa.ColumnElement[bool]) -> sa.Select:
    """The same list as plain columns (no ORM objects), one row per nomination, for the export."""
    nominee_unit = aliased(Unit)
    self_total = (
        sa.select(sa.func.coalesce(sa.func.sum(SelfScore.points), 0))
        .where(SelfScore.nomination_id == Nomination.id)
        .correlate(Nomination)
        .scalar_subquery()
    )
    return (
        sa.select(
            Nomination.id.label("id"),
            Nomination.reference.label("reference"),
            Round.code.label("round_code"),
            Unit.code.label("unit_code"),
            Unit.name.label("unit_name"),
            Nomination.kind.label("kind"),
            Nomination.nominee_name.label("nominee_name"),
            nominee_unit.name.label("nominee_unit_name"),
            Nomination.headcount.label("headcount"),
            Nomination.women_share.label("women_share"),
            Nomination.sex.label("sex"),
            Nomination.date_of_birth.label("date_of_birth"),
            Nomination.position.label("position"),
            Nomination.staff_category.label("staff_category"),
            Nomination.workplace.label("workplace"),
            Nomination.citizen_id.label("citizen_id"),
            AwardForm.name.label("award_form_name"),
            Nomination.citation.label("citation"),
            self_total.label("self_total"),
            Nomination.state.label("state"),
            Nomination.submitted_at.label("submitted_at"),
            Nomination.updated_at.label("updated_at"),
        )
        .select_from(Nomination)
        .join(Unit, Nomination.unit_id == Unit.id)
        .join(AwardForm, Nomination.award_form_id == AwardForm.id)
        .join(Round, Nomination.round_id == Round.id)
        .outerjoin(nominee_unit, Nomination.nominee_unit_id == nominee_unit.id)
        .where(*_conditions(filters, visible))
        .order_by(*_order(filters))
    )


def export_records(stmt: sa.Select, *, batch: int = 1000) -> Iterator[dict[str, Any]]:
    """Run ``stmt`` (plain columns) in batches of ``batch`` rows and yield each row as a plain dict:
    memory stays flat however long the list is."""
    result = db.session.execute(stmt.execution_options(yield_per=batch))
    for row in result.mappings():
        yield dict(row)


class _Counted:
    """Pass rows through, counting them (the export reports how many it wrote)."""

    def __init__(self, rows: Iterator[dict[str, Any]]) -> None:
        self.rows = rows
        self.count = 0

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for row in self.rows:
            self.count += 1
            yield row


def export_workbook(filters: ListFilters, visible: sa.ColumnElement[bool]) -> tuple[bytes, int]:
    """The list as the bytes of an .xlsx workbook, and how many nominations it holds."""
    from exports.nominations import nomination_workbook  # exports import this module's labels

    rows = _Counted(export_records(export_statement(filters, visible)))
    data = nomination_workbook(rows)
    return data, rows.count
