"""Excel plumbing on plain data: a guarded read-only reader and an injection-safe write-only writer.

Reading: an .xlsx file is a zip archive. openpyxl has no zip-bomb guard, so the declared uncompressed size
of every member is summed before openpyxl touches the file (Python's zipfile never inflates a member past
its declared size, so the sum is a real bound). XML attacks are refused by openpyxl itself because
``defusedxml`` is installed.

Writing: a string that starts with ``=`` becomes a formula in openpyxl; user text must never do that, so
such strings (and those starting with ``+ - @``, tab or carriage return, which spreadsheet programs may also
evaluate) are written as typed string cells with Excel's quote prefix.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from io import BytesIO
from typing import Any, BinaryIO

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
DATE_FORMAT = "dd/mm/yyyy"

Row = tuple[Any, ...]


class ExcelReadError(ValueError):
    """The file cannot be read as a workbook within the limits; subclasses say why."""


class NotAWorkbookError(ExcelReadError):
    """The data is not an .xlsx workbook, or it is damaged."""


class WorkbookTooLargeError(ExcelReadError):
    """The workbook declares more uncompressed data than allowed (a zip bomb, or simply too big)."""

    def __init__(self, declared: int, limit: int) -> None:
        super().__init__(f"declared uncompressed size {declared} exceeds {limit} bytes")
        self.declared = declared
        self.limit = limit


class TooManyRowsError(ExcelReadError):
    """The sheet has more data rows than allowed."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"more than {limit} rows")
        self.limit = limit


class NotAZipError(ValueError):
    """The data is not a readable zip archive."""


class ZipTooLargeError(ValueError):
    """The archive declares more uncompressed data than allowed."""

    def __init__(self, declared: int, limit: int) -> None:
        super().__init__(f"declared uncompressed size {declared} exceeds {limit} bytes")
        self.declared = declared
        self.limit = limit


def zip_members(source: bytes | BinaryIO, max_uncompressed: int) -> list[zipfile.ZipInfo]:
    """The members of the zip archive ``source`` (bytes, or a seekable binary stream), once the sum of
    their declared uncompressed sizes is known to be at most ``max_uncompressed``: the zip-bomb guard for
    any archive (Office files are zips). Raises ``NotAZipError`` or ``ZipTooLargeError``; reads no member.
    """
    stream = BytesIO(source) if isinstance(source, bytes | bytearray) else source
    try:
        with zipfile.ZipFile(stream) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as error:
        raise NotAZipError(str(error)) from error
    declared = sum(member.file_size for member in members)
    if declared > max_uncompressed:
        raise ZipTooLargeError(declared, max_uncompressed)
    return members


def check_archive(data: bytes, max_uncompressed: int) -> None:
    """Refuse ``data`` unless it is a zip holding a workbook that declares at most ``max_uncompressed``
    bytes. Raises ``NotAWorkbookError`` or ``WorkbookTooLargeError``; reads no member."""
    try:
        members = zip_members(data, max_uncompressed)
    except NotAZipError as error:
        raise NotAWorkbookError(str(error)) from error
    except ZipTooLargeError as error:
        raise WorkbookTooLargeError(error.declared, error.limit) from error
    names = {member.filename for member in members}
    if not {"[Content_Types].xml", "xl/workbook.xml"} <= names:
        raise NotAWorkbookError("not an xlsx workbook")


def read_sheet(
    data: bytes, *, max_uncompressed: int, max_rows: int, sheet: str | None = None
) -> tuple[list[str], Iterator[tuple[int, Row]]]:
    """Open the first sheet (or ``sheet``) of an .xlsx workbook read-only, formulas left as text.

    Returns the header row (stripped strings, "" for blank cells) and an iterator of
    ``(excel_row_number, values)`` for the rows below it; values are the raw cell values (``str``, ``int``,
    ``float``, ``bool``, ``datetime`` or ``None``; a formula comes back as its text ``"=…"``).

    Raises ``NotAWorkbookError`` or ``WorkbookTooLargeError`` at once; the iterator raises
    ``TooManyRowsError`` when the sheet has more than ``max_rows`` rows below the header.
    """
    check_archive(data, max_uncompressed)
    try:
        workbook = load_workbook(BytesIO(data), read_only=True, data_only=False)
        worksheet = workbook[sheet] if sheet else workbook.worksheets[0]
        declared_rows = worksheet.max_row
        rows = worksheet.iter_rows(values_only=True)
        header = next(rows, ())
    except ExcelReadError:
        raise
    except Exception as error:  # untrusted input: any parsing failure means "not a usable workbook"
        raise NotAWorkbookError(str(error)) from error
    if declared_rows is not None and declared_rows - 1 > max_rows:
        workbook.close()
        raise TooManyRowsError(max_rows)
    headers = ["" if value is None else str(value).strip() for value in header]

    def body() -> Iterator[tuple[int, Row]]:
        try:
            for number, values in enumerate(rows, start=2):
                if number - 1 > max_rows:
                    raise TooManyRowsError(max_rows)
                yield number, tuple(values)
        finally:
            workbook.close()

    return headers, body()


# --------------------------------------------------------------------------- writing


@dataclass
class SheetData:
    """One sheet to write: a bold header row, then ``rows`` of plain values."""

    title: str
    header: Sequence[str] = ()
    rows: Iterable[Sequence[Any]] = ()
    widths: Sequence[float] = field(default_factory=tuple)


def is_formula_like(value: object) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_PREFIXES)


def safe_cell(worksheet: Any, value: Any, *, bold: bool = False) -> Any:
    """A write-only cell holding ``value`` that can never be a formula; dates shown dd/mm/yyyy."""
    cell = WriteOnlyCell(worksheet, value=value)
    if is_formula_like(value):
        cell.data_type = "s"
        cell.quotePrefix = True
    elif isinstance(value, date | datetime):
        cell.number_format = DATE_FORMAT
    if bold:
        cell.font = Font(bold=True)
    return cell


def write_workbook(sheets: Iterable[SheetData]) -> bytes:
    """Write ``sheets`` into a new .xlsx workbook (openpyxl write-only mode) and return its bytes."""
    workbook = Workbook(write_only=True)
    for sheet in sheets:
        worksheet = workbook.create_sheet(title=sheet.title[:31])
        for index, width in enumerate(sheet.widths, start=1):
            worksheet.column_dimensions[get_column_letter(index)].width = width
        if sheet.header:
            worksheet.append([safe_cell(worksheet, value, bold=True) for value in sheet.header])
        for row in sheet.rows:
            worksheet.append([safe_cell(worksheet, value) for value in row])
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
