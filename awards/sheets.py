"""What every Excel import shares: row errors and the header row's mapping to our column names."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from awards.text import fold
from exports.excel import ExcelReadError, TooManyRowsError, WorkbookTooLargeError


@dataclass(frozen=True)
class RowError:
    row: int  # the Excel row number; 0 for an error about the whole file
    message: str


def header_key(name: str) -> str:
    """Headers match whatever their case, accents or spaces: "Mã đơn vị" → "ma_don_vi"."""
    return fold(name).replace(" ", "_")


def map_headers(
    headers: Sequence[str], columns: Sequence[str], required: Sequence[str]
) -> tuple[dict[str, int], list[RowError]]:
    """Column name → position in the sheet, and the header row's errors (unknown, repeated or
    missing required columns), reported on row 1 in Vietnamese."""
    known = {header_key(column): column for column in columns}
    index: dict[str, int] = {}
    errors: list[RowError] = []
    for position, header in enumerate(headers):
        if not header.strip():
            continue
        column = known.get(header_key(header))
        if column is None:
            errors.append(
                RowError(
                    1,
                    str(
                        _l(
                            "Cột “%(name)s” không được hỗ trợ. Các cột hợp lệ: %(allowed)s.",
                            name=header[:40],
                            allowed=", ".join(columns),
                        )
                    ),
                )
            )
        elif column in index:
            errors.append(RowError(1, str(_l("Cột “%(name)s” xuất hiện hai lần.", name=column))))
        else:
            index[column] = position
    missing = [column for column in required if column not in index]
    if missing:
        errors.append(
            RowError(
                1,
                str(
                    _l(
                        "Thiếu cột bắt buộc: %(cols)s. Hãy dùng dòng tiêu đề của mẫu tải về.",
                        cols=", ".join(missing),
                    )
                ),
            )
        )
    return index, errors


def file_error_message(error: ExcelReadError) -> str:
    """What to tell the user when a workbook is refused as a whole (too big, too long, not .xlsx)."""
    if isinstance(error, WorkbookTooLargeError):
        return str(
            _l(
                "Tệp bị từ chối: dữ liệu giải nén khai báo %(size)s MB, vượt giới hạn %(limit)s MB (có thể "
                "là tệp nén độc hại). Hãy chia thành nhiều tệp nhỏ hơn.",
                size=f"{error.declared / 1_048_576:.1f}",
                limit=f"{error.limit / 1_048_576:.0f}",
            )
        )
    if isinstance(error, TooManyRowsError):
        return str(
            _l(
                "Tệp có quá nhiều dòng (tối đa %(n)d dòng dữ liệu). Hãy chia thành nhiều tệp.",
                n=error.limit,
            )
        )
    return str(
        _l(
            "Tệp không phải là tệp Excel .xlsx hợp lệ hoặc đã bị hỏng. Hãy dùng mẫu tải về và lưu "
            "dưới dạng Excel Workbook (.xlsx)."
        )
    )
