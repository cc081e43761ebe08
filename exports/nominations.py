"""The nomination list as an Excel workbook, from plain records (``awards.nomination_lists.export_records``).

Rows are produced lazily, one record at a time, and written by ``exports.excel.write_workbook`` in openpyxl's
write-only mode: a list of 20,000 nominations is never held in memory as objects. User text (names,
citations) goes through ``safe_cell``, so a nominee typed as ``=HYPERLINK(…)`` stays literal text.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _

from awards import clock
from awards.labels import RECIPIENT_KIND_LABELS
from awards.nomination_lists import NOMINATION_STATE_LABELS, SEX_LABELS, STAFF_CATEGORY_LABELS
from exports.excel import SheetData, write_workbook

WIDTHS = (6, 20, 12, 36, 10, 36, 30, 10, 10, 8, 12, 28, 24, 28, 14, 34, 60, 10, 16, 12, 12)


def header() -> list[str]:
    """Column titles, in the interface language of the caller (Vietnamese for the command line)."""
    return [
        _("STT"),
        _("Mã hồ sơ"),
        _("Đợt xét"),
        _("Đơn vị đề nghị"),
        _("Đối tượng"),
        _("Tên tập thể / Họ và tên"),
        _("Đơn vị cấp trên của tập thể"),
        _("Số người"),
        _("Tỷ lệ nữ (%)"),
        _("Giới tính"),
        _("Ngày sinh"),
        _("Chức vụ"),
        _("Lãnh đạo / nhân viên"),
        _("Nơi công tác"),
        _("Số CCCD"),
        _("Hình thức khen thưởng"),
        _("Nội dung ghi trên bằng khen, giấy khen"),
        _("Điểm tự chấm"),
        _("Trạng thái"),
        _("Ngày trình"),
        _("Ngày cập nhật"),
    ]


def _resolved(labels: Mapping[Any, Any]) -> dict[str, str]:
    """A label table keyed by plain value, translated once (not once per row)."""
    return {getattr(key, "value", key): str(label) for key, label in labels.items()}


def _label(labels: Mapping[str, str], value: Any) -> str:
    return "" if value is None else labels[getattr(value, "value", value)]


def _number(value: Any) -> Any:
    """Decimals as numbers Excel can sum (``float`` keeps 87.5 as 87.5; points have one decimal)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _local_day(value: datetime | None, zone: tzinfo) -> date | None:
    """The civil date in ``zone`` (Vietnam) of a stored (naive UTC) timestamp."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC).astimezone(zone).date()


def nomination_rows(records: Iterable[Mapping[str, Any]]) -> Iterator[tuple[Any, ...]]:
    """One sheet row per plain record, numbered from 1, in the order of ``header()``."""
    kinds = _resolved(RECIPIENT_KIND_LABELS)
    sexes = _resolved(SEX_LABELS)
    categories = _resolved(STAFF_CATEGORY_LABELS)
    states = _resolved(NOMINATION_STATE_LABELS)
    zone = clock.zone()
    for number, record in enumerate(records, start=1):
        yield (
            number,
            record["reference"] or "",
            record["round_code"],
            record["unit_name"],
            _label(kinds, record["kind"]),
            record["nominee_name"],
            record["nominee_unit_name"] or "",
            record["headcount"],
            _number(record["women_share"]),
            _label(sexes, record["sex"]),
            record["date_of_birth"],
            record["position"],
            _label(categories, record["staff_category"]),
            record["workplace"],
            record["citizen_id"] or "",
            record["award_form_name"],
            record["citation"],
            _number(record["self_total"]),
            _label(states, record["state"]),
            _local_day(record["submitted_at"], zone),
            _local_day(record["updated_at"], zone),
        )


def nomination_workbook(records: Iterable[Mapping[str, Any]]) -> bytes:
    """The .xlsx bytes of one sheet listing ``records``."""
    sheet = SheetData(
        title=_("Hồ sơ đề nghị"), header=header(), rows=nomination_rows(records), widths=WIDTHS
    )
    return write_workbook([sheet])
