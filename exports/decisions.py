"""The award decision (Quyết định khen thưởng) as a PDF in the Decree 30 layout, and its annex as Excel.

``render_decision(data)`` lays out the plain values of ``awards.decisions.decision_data`` (shape:
``DecisionData`` below) with the shared document stylesheet and ``static/css/decision.css``;
``annex_workbook(data)`` writes the same annex as an .xlsx workbook. Neither sees an ORM object, so a
decision can be re-rendered from the values stored with it. The "DỰ THẢO" marks of a draft sit outside
the text flow (page margin, watermark), so the preview paginates exactly as the issued decision will.

What the template adds, so the data stays free of punctuation rules: ";" after each legal-basis line and
"." after the last line of the basis block (the proposal when there is one, Decree 30 Appendix I form
1.4), "- " and ";"/"." around the recipients, the section counts with a leading zero ("(05)"). A draft
(``draft`` true, ``number`` None) prints "Số:      /QĐ-UBND" and carries "DỰ THẢO" on every page.

The annex workbook has one sheet per section of the annex ("Tập thể", "Cá nhân"), because the two sections
have different column headings ("Tên tập thể" / "Họ và tên") and a sheet per kind sorts and filters
cleanly. Each sheet starts with the annex title and the decision's reference (number and date), then the
column headings, the numbered rows, and a total of the cash. Column headings stay Vietnamese like the
PDF: the workbook is a copy of an official document, not interface text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from io import BytesIO
from typing import Any, TypedDict

from openpyxl import Workbook
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter

from exports import pdf
from exports.excel import safe_cell

DECISION_TEMPLATE = "decision.html"
STYLESHEETS = (pdf.STYLESHEET, "css/decision.css")
MONEY_FORMAT = "#,##0"
ANNEX_WIDTHS = (6, 34, 40, 60, 12, 18)
EMPTY_SHEET = "Phụ lục"


class Issuer(TypedDict):
    superior: str  # printed above the heading; "" for a People's Committee
    heading: str  # capitals, "\n" between lines: "ỦY BAN NHÂN DÂN\nTỈNH BẮC NINH"
    name: str  # in running text: "Ủy ban nhân dân tỉnh Bắc Ninh"


class Article(TypedDict):
    label: str  # "Điều 1."
    text: str  # the article's text, its final punctuation included


class Signer(TypedDict):
    title_lines: list[str]  # ["KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"]
    name: str


class AnnexRow(TypedDict):
    index: int  # 1..n within its section
    name: str
    place: str  # the collective's unit, or the individual's position and unit
    citation: str
    golden_book: int | None  # the golden-book (sổ vàng) number; None until assigned
    cash: int  # đồng


class AnnexSection(TypedDict):
    numeral: str  # "I", "II"
    heading: str  # "TẬP THỂ", "CÁ NHÂN"
    name_header: str  # "Tên tập thể", "Họ và tên"
    place_header: str  # "Đơn vị", "Chức vụ, đơn vị"
    rows: list[AnnexRow]


class Annex(TypedDict):
    title: str  # "DANH SÁCH …"; printed as "DANH SÁCH" over the rest unless it holds "\n"
    reference: str  # "(Kèm theo Quyết định số … ngày … của …)"
    sections: list[AnnexSection]  # empty sections left out


class Totals(TypedDict):
    collectives: int
    individuals: int
    cash: int  # đồng


class DecisionData(TypedDict):
    """The plain values of one decision, as ``awards.decisions.decision_data`` builds them."""

    draft: bool
    number: str | None  # "1234/QĐ-UBND"; None while a draft
    symbol: str  # "QĐ-UBND", printed after the blank number of a draft
    issuer: Issuer
    place: str  # "Bắc Ninh"
    date_line: str  # "ngày 05 tháng 10 năm 2025" (leading zeros done)
    signed_on: str  # "05/10/2025"
    subject: str  # "Về việc tặng Bằng khen …"
    authority: str  # "CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH BẮC NINH"
    legal_basis: list[str]  # "Căn cứ …" lines without their final ";" or "."
    proposal: str  # "Theo đề nghị của …" without the final "."; "" to leave it out
    articles: list[Article]
    recipients: list[str]  # "Như Điều 3", "Lưu: VT, NV" (no dash, no final punctuation)
    signer: Signer
    annex: Annex
    totals: Totals


def render_decision(data: Mapping[str, Any]) -> bytes:
    """The decision PDF (decision, then its annex from a new page) from ``decision_data``'s values."""
    return pdf.render_pdf(DECISION_TEMPLATE, data, stylesheets=STYLESHEETS)


def format_money(amount: int) -> str:
    """Đồng in the Vietnamese style of official documents, whatever the interface language:
    ``format_money(294840000) == "294.840.000"``."""
    return f"{int(amount):,}".replace(",", ".")


def _slug(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.replace("Đ", "D").replace("đ", "d"))
    ascii_only = folded.encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9]+", "-", ascii_only).strip("-")


def decision_filename(number: str | None, decision_id: int) -> str:
    """An ASCII file name for the download: "Quyet-dinh-1234-QD-UBND.pdf"; a draft (no number yet)
    "Du-thao-quyet-dinh-7.pdf"."""
    slug = _slug(number or "")
    return f"Quyet-dinh-{slug}.pdf" if slug else f"Du-thao-quyet-dinh-{decision_id}.pdf"


def annex_filename(number: str | None, decision_id: int) -> str:
    """The annex workbook's file name: "Phu-luc-Quyet-dinh-1234-QD-UBND.xlsx"; a draft's
    "Du-thao-phu-luc-quyet-dinh-7.xlsx"."""
    slug = _slug(number or "")
    return (
        f"Phu-luc-Quyet-dinh-{slug}.xlsx"
        if slug
        else f"Du-thao-phu-luc-quyet-dinh-{decision_id}.xlsx"
    )


def annex_workbook(data: Mapping[str, Any]) -> bytes:
    """The annex as an .xlsx workbook: one sheet per section (see the module docstring).

    STT, golden-book numbers and cash are numbers (cash shown with thousands separators); every text
    cell goes through ``exports.excel.safe_cell``, so a name typed as ``=1+1`` stays text.
    """
    return annexes_workbook([data])


def annexes_workbook(decisions: Iterable[Mapping[str, Any]]) -> bytes:
    """The annexes of several decisions (a round's) in one workbook; with more than one decision each
    sheet's name starts with the decision's number ("01-QĐ-UBND Tập thể")."""
    decisions = list(decisions)
    workbook = Workbook(write_only=True)
    for data in decisions:
        annex = data["annex"]
        prefix = ""
        if len(decisions) > 1:
            prefix = (data.get("number") or "Dự thảo").replace("/", "-") + " "
        if not annex["sections"]:
            _write_sheet(workbook, prefix + EMPTY_SHEET, annex, None)
        for section in annex["sections"]:
            _write_sheet(workbook, prefix + section["heading"].capitalize(), annex, section)
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _write_sheet(
    workbook: Any, title: str, annex: Mapping[str, Any], section: Mapping[str, Any] | None
) -> None:
    sheet = workbook.create_sheet(title=title[:31])
    for index, width in enumerate(ANNEX_WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.append([safe_cell(sheet, " ".join(annex["title"].split()), bold=True)])
    sheet.append([safe_cell(sheet, annex["reference"])])
    if section is None:
        return
    rows = section["rows"]
    sheet.append([])
    sheet.append(
        [
            safe_cell(
                sheet, f"{section['numeral']}. {section['heading']} ({len(rows):02d})", bold=True
            )
        ]
    )
    header = (
        "STT",
        section["name_header"],
        section["place_header"],
        "Thành tích",
        "Số sổ vàng",
        "Tiền thưởng (đồng)",
    )
    sheet.append([safe_cell(sheet, text, bold=True) for text in header])
    wrap = Alignment(wrap_text=True, vertical="top")
    for row in rows:
        cells = _cells(
            sheet,
            (row["index"], row["name"], row["place"], row["citation"], row["golden_book"]),
        )
        cells.append(_money(sheet, row["cash"]))
        for cell in cells[1:4]:
            cell.alignment = wrap
        sheet.append(cells)
    total = _cells(sheet, (None, "Tổng cộng", None, None, None), bold=True)
    total.append(_money(sheet, sum(int(row["cash"]) for row in rows), bold=True))
    sheet.append(total)


def _cells(sheet: Any, values: Iterable[Any], *, bold: bool = False) -> list[Any]:
    return [safe_cell(sheet, value, bold=bold) for value in values]


def _money(sheet: Any, amount: int | None, *, bold: bool = False) -> Any:
    cell = safe_cell(sheet, None if amount is None else int(amount), bold=bold)
    cell.number_format = MONEY_FORMAT
    return cell
