"""The Excel template for bulk filing of nominations, written from plain data.

The caller (``awards.nomination_import.template_spec``) decides the columns, texts and lists; this module
only lays them out: a data sheet with one header row of stable column names, dropdowns and number limits
(``DataValidation``), text and date formats on whole columns; a sheet of example rows (kept off the data
sheet, so that a forgotten example is never filed); and the instructions sheet.

DataValidation needs a normal workbook (write-only mode cannot hold it); a template is small, so that is
fine. User text is never written as a formula: values that look like one are typed string cells.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from exports.excel import DATE_FORMAT, is_formula_like

TEXT_FORMAT = "@"
# Excel refuses a literal list ("a,b,c") longer than 255 characters; longer lists live on a sheet.
LITERAL_LIST_MAX = 255


@dataclass(frozen=True)
class TemplateColumn:
    """One column of the data sheet and its line in the instructions."""

    name: str
    required: str = ""
    allowed: str = ""
    meaning: str = ""
    choices: Sequence[str] = ()  # a dropdown of exactly these values
    minimum: Decimal | int | None = None  # a number between minimum and maximum
    maximum: Decimal | int | None = None
    whole: bool = False  # whole numbers only
    is_date: bool = False
    is_text: bool = False  # formatted as text: Excel keeps leading zeros and never computes
    width: float = 18
    error: str = ""  # what Excel says when a value breaks the rule


@dataclass(frozen=True)
class GuideSection:
    """A titled table on the instructions sheet."""

    title: str
    header: Sequence[str] = ()
    rows: Sequence[Sequence[Any]] = ()


@dataclass(frozen=True)
class NominationTemplate:
    sheet_title: str
    columns: Sequence[TemplateColumn]
    guide_title: str
    guide_intro: Sequence[str]
    guide_header: Sequence[str]  # for the table of columns: name, required, allowed, meaning
    examples_title: str
    examples: Sequence[Sequence[Any]] = ()
    sections: Sequence[GuideSection] = ()
    lists_title: str = "Danh mục"
    input_rows: int = 1000  # how far down the rules reach
    error_title: str = ""


def _put(sheet: Worksheet, row: int, column: int, value: Any, *, bold: bool = False) -> None:
    cell = sheet.cell(row=row, column=column)
    if isinstance(value, Decimal):
        value = float(value) if value != value.to_integral_value() else int(value)
    cell.value = value
    if is_formula_like(value):
        cell.data_type = "s"
        cell.quotePrefix = True
    elif isinstance(value, date | datetime):
        cell.number_format = DATE_FORMAT
    if bold:
        cell.font = Font(bold=True)
    if isinstance(value, str) and ("\n" in value or len(value) > 60):
        cell.alignment = Alignment(wrap_text=True, vertical="top")


def _number(value: Decimal | int) -> str:
    return format(Decimal(value).normalize(), "f")


def _list_source(
    workbook: Workbook, column: TemplateColumn, lists: dict[str, Worksheet], title: str
) -> str:
    literal = ",".join(column.choices)
    if len(literal) + 2 <= LITERAL_LIST_MAX and not any(
        "," in choice or '"' in choice for choice in column.choices
    ):
        return f'"{literal}"'
    sheet = lists.get("sheet")
    if sheet is None:
        sheet = lists["sheet"] = workbook.create_sheet(title=title[:31])
    index = sheet.max_column + 1 if sheet.max_row > 1 or sheet["A1"].value else 1
    _put(sheet, 1, index, column.name, bold=True)
    for offset, choice in enumerate(column.choices, start=2):
        _put(sheet, offset, index, choice)
    letter = get_column_letter(index)
    last = len(column.choices) + 1
    return f"{quote_sheetname(sheet.title)}!${letter}$2:${letter}${last}"


def _validation(
    workbook: Workbook,
    column: TemplateColumn,
    spec: NominationTemplate,
    lists: dict[str, Worksheet],
) -> DataValidation | None:
    if column.choices:
        rule = DataValidation(
            type="list", formula1=_list_source(workbook, column, lists, spec.lists_title)
        )
    elif column.minimum is not None or column.maximum is not None:
        low = _number(column.minimum if column.minimum is not None else 0)
        high = _number(column.maximum) if column.maximum is not None else None
        kind = "whole" if column.whole else "decimal"
        if high is None:
            rule = DataValidation(type=kind, operator="greaterThanOrEqual", formula1=low)
        else:
            rule = DataValidation(type=kind, operator="between", formula1=low, formula2=high)
    else:
        return None
    rule.allow_blank = True
    rule.showErrorMessage = True
    rule.errorTitle = spec.error_title[:32] or None
    rule.error = (column.error or column.allowed)[:255] or None
    return rule


def _data_sheet(workbook: Workbook, spec: NominationTemplate) -> Worksheet | None:
    """Write the data sheet; return the lists sheet if a dropdown needed one."""
    sheet = workbook.active
    sheet.title = spec.sheet_title[:31]
    lists: dict[str, Worksheet] = {}
    last_row = spec.input_rows + 1
    for index, column in enumerate(spec.columns, start=1):
        letter = get_column_letter(index)
        _put(sheet, 1, index, column.name, bold=True)
        if column.meaning:
            sheet.cell(row=1, column=index).comment = Comment(
                column.meaning[:1000], "Khen Thưởng Số"
            )
        dimension = sheet.column_dimensions[letter]
        dimension.width = column.width
        if column.is_date:
            dimension.number_format = DATE_FORMAT
        elif column.is_text:
            dimension.number_format = TEXT_FORMAT
        rule = _validation(workbook, column, spec, lists)
        if rule is not None:
            sheet.add_data_validation(rule)
            rule.add(f"{letter}2:{letter}{last_row}")
    sheet.freeze_panes = "A2"
    return lists.get("sheet")


def _examples_sheet(workbook: Workbook, spec: NominationTemplate) -> None:
    sheet = workbook.create_sheet(title=spec.examples_title[:31])
    for index, column in enumerate(spec.columns, start=1):
        _put(sheet, 1, index, column.name, bold=True)
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    for row_number, row in enumerate(spec.examples, start=2):
        for index, value in enumerate(row, start=1):
            _put(sheet, row_number, index, value)
    sheet.freeze_panes = "A2"


def _guide_sheet(workbook: Workbook, spec: NominationTemplate) -> None:
    sheet = workbook.create_sheet(title=spec.guide_title[:31])
    for letter, width in zip("ABCDEFG", (24, 60, 24, 60, 14, 16, 16), strict=True):
        sheet.column_dimensions[letter].width = width
    row = 1
    for line in spec.guide_intro:
        _put(sheet, row, 1, line, bold=row == 1)
        row += 1
    row += 1
    for index, title in enumerate(spec.guide_header, start=1):
        _put(sheet, row, index, title, bold=True)
    row += 1
    for column in spec.columns:
        for index, value in enumerate(
            (column.name, column.required, column.allowed, column.meaning), start=1
        ):
            _put(sheet, row, index, value)
        row += 1
    for section in spec.sections:
        row += 1
        _put(sheet, row, 1, section.title, bold=True)
        row += 1
        if section.header:
            for index, title in enumerate(section.header, start=1):
                _put(sheet, row, index, title, bold=True)
            row += 1
        for values in section.rows:
            for index, value in enumerate(values, start=1):
                _put(sheet, row, index, value)
            row += 1


def build_template(spec: NominationTemplate) -> bytes:
    """The template workbook for ``spec``: data sheet first (the import reads the first sheet), then the
    examples and the instructions; a lists sheet only when a dropdown is too long to write inline."""
    workbook = Workbook()
    lists = _data_sheet(workbook, spec)
    _examples_sheet(workbook, spec)
    _guide_sheet(workbook, spec)
    if lists is not None:
        workbook.move_sheet(lists, offset=len(workbook.sheetnames) - 1 - workbook.index(lists))
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
