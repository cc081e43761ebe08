"""The ranking and the score matrix of a round as Excel workbooks, one sheet per award form, from plain
records (``awards.ranking.ranking_records`` / ``matrix_records``). User text goes through
``exports.excel.safe_cell``: a name typed as ``=HYPERLINK(…)`` stays literal text."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _

from awards.labels import RECIPIENT_KIND_LABELS
from exports.excel import SheetData, write_workbook


@dataclass
class FormSheet:
    """One award form's records: its sheet title and the plain rows."""

    title: str
    records: Sequence[Mapping[str, Any]]
    codes: Sequence[str] = ()


def _number(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _yes(flag: bool) -> str:
    return _("Có") if flag else ""


def ranking_header() -> list[str]:
    return [
        _("Thứ hạng"),
        _("Mã hồ sơ"),
        _("Tên tập thể / Họ và tên"),
        _("Đơn vị đề nghị"),
        _("Đối tượng"),
        _("Điểm"),
        _("Điểm chuẩn hóa"),
        _("Số phiếu chấm"),
        _("Đủ điều kiện"),
        _("Lý do không đủ điều kiện"),
        _("Trong chỉ tiêu"),
        _("Đồng hạng, Hội đồng xét"),
    ]


def ranking_rows(records: Iterable[Mapping[str, Any]]) -> list[list[Any]]:
    kinds = {getattr(k, "value", k): str(v) for k, v in RECIPIENT_KIND_LABELS.items()}
    return [
        [
            r["position"],
            r["reference"],
            r["name"],
            r["unit"],
            kinds[getattr(r["kind"], "value", r["kind"])],
            _number(r["score"]),
            _number(r["normalised"]),
            f"{r['reviews']}/{r['min_reviews']}",
            _yes(r["eligible"]),
            r["reason"],
            _yes(r["within_quota"]),
            _yes(r["tie_flag"]),
        ]
        for r in records
    ]


def ranking_workbook(sheets: Iterable[FormSheet]) -> bytes:
    return write_workbook(
        SheetData(
            title=sheet.title,
            header=ranking_header(),
            rows=ranking_rows(sheet.records),
            widths=(9, 20, 36, 36, 10, 8, 12, 10, 10, 40, 10, 14),
        )
        for sheet in sheets
    )


def matrix_header(codes: Sequence[str]) -> list[str]:
    return [
        _("Mã hồ sơ"),
        _("Tên tập thể / Họ và tên"),
        _("Đơn vị đề nghị"),
        _("Thành viên chấm"),
        *[_("Tiêu chí %(code)s", code=code) for code in codes],
        _("Tổng điểm"),
    ]


def matrix_rows(codes: Sequence[str], records: Iterable[Mapping[str, Any]]) -> list[list[Any]]:
    return [
        [
            r["reference"],
            r["name"],
            r["unit"],
            r["reviewer"],
            *[_number(r["points"].get(code)) for code in codes],
            _number(r["total"]),
        ]
        for r in records
    ]


def matrix_workbook(sheets: Iterable[FormSheet]) -> bytes:
    return write_workbook(
        SheetData(
            title=sheet.title,
            header=matrix_header(sheet.codes),
            rows=matrix_rows(sheet.codes, sheet.records),
            widths=(20, 36, 36, 28),
        )
        for sheet in sheets
    )
