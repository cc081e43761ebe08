"""The award decision PDF and its annex workbook (``exports/decisions.py``), checked on the files.

The PDF is read back with poppler (``pdftotext -layout`` for the text, ``pdftotext -bbox-layout`` for
where each word is printed, ``pdffonts``) and pypdf (page sizes): the Decree 30 header, number, date
line and articles are there, every annex name is printed with its diacritics (NFC) in the name column,
pages are A4 portrait, text stays inside the 30/15/20/20 mm margins, page numbers start on page 2, a draft
says so and has no number. The workbook is read back with openpyxl.
"""

from __future__ import annotations

import itertools
import re
import shutil
import subprocess
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from io import BytesIO
from typing import Any
from xml.etree import ElementTree

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from exports import decisions, pdf

MM = 72 / 25.4
A4 = (595.28, 841.89)
LEFT, RIGHT, TOP, BOTTOM = 30 * MM, 15 * MM, 20 * MM, 20 * MM
# Annex columns (static/css/decision.css): STT 11 mm, then the name column, 38 mm wide.
NAME_COLUMN = (LEFT + 11 * MM, LEFT + 49 * MM)

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi"]
MIDDLE = ["Thị", "Quốc", "Văn", "Minh Ánh"]
GIVEN = ["Phượng", "Hưng", "Tuyết", "Đức", "Khôi", "Yến", "Trường", "Ngọc Ẩn", "Thủy"]
BODIES = [
    "Trường THCS Nguyễn Đăng Đạo",
    "Phòng Văn hóa và Thông tin",
    "Trung tâm Y tế",
    "Phòng Giáo dục và Đào tạo",
    "Hội Liên hiệp Phụ nữ",
    "Ủy ban nhân dân xã",
]
PLACES = ["Tiên Du", "Quế Võ", "Từ Sơn", "Lương Tài", "Gia Bình"]

COLLECTIVES = [
    "Trường THCS Lý Thường Kiệt",
    *(f"{body} {place}" for body, place in itertools.product(BODIES, PLACES)),
][:28]
INDIVIDUALS = list(
    dict.fromkeys(
        [
            "Nguyễn Thị Phượng",
            "Đặng Quốc Hưng",
            *[f"{f} {m} {g}" for g, f, m in itertools.product(GIVEN, FAMILY, MIDDLE)][3::7],
        ]
    )
)[:35]


def _rows(names: list[str], place: str, cash: int, first_book: int) -> list[dict[str, Any]]:
    return [
        {
            "index": index,
            "name": name,
            "place": place,
            "citation": "Đã có thành tích xuất sắc trong phong trào thi đua “Chuyển đổi số trên "
            "địa bàn tỉnh Bắc Ninh giai đoạn 2024–2025”",
            "golden_book": first_book + index - 1,
            "cash": cash,
        }
        for index, name in enumerate(names, start=1)
    ]


def decision_sample(*, draft: bool = False) -> dict[str, Any]:
    """A decision with 28 collectives and 35 individuals, shaped as ``decisions.DecisionData``."""
    collectives = _rows(COLLECTIVES, "UBND tỉnh Bắc Ninh", 7_020_000, 17)
    individuals = _rows(INDIVIDUALS, "Chuyên viên, Sở Nội vụ tỉnh Bắc Ninh", 3_510_000, 45)
    cash = sum(row["cash"] for row in collectives + individuals)
    number = None if draft else "1234/QĐ-UBND"
    reference = (
        "số 1234/QĐ-UBND ngày 05/10/2025" if not draft else "số      /QĐ-UBND ngày    /   /2025"
    )
    return {
        "draft": draft,
        "number": number,
        "symbol": "QĐ-UBND",
        "issuer": {
            "superior": "",
            "heading": "ỦY BAN NHÂN DÂN\nTỈNH BẮC NINH",
            "name": "Ủy ban nhân dân tỉnh Bắc Ninh",
        },
        "place": "Bắc Ninh",
        "date_line": "ngày 05 tháng 10 năm 2025",
        "signed_on": "05/10/2025",
        "subject": "Về việc tặng Bằng khen cho các tập thể, cá nhân đã có thành tích xuất sắc trong "
        "phong trào thi đua “Chuyển đổi số trên địa bàn tỉnh Bắc Ninh giai đoạn 2024–2025”",
        "authority": "CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH BẮC NINH",
        "legal_basis": [
            "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 02 năm 2025",
            "Căn cứ Luật Thi đua, khen thưởng ngày 15 tháng 6 năm 2022",
            "Căn cứ Nghị định số 152/2025/NĐ-CP ngày 15 tháng 6 năm 2025 của Chính phủ quy định "
            "chi tiết một số điều của Luật Thi đua, khen thưởng",
        ],
        "proposal": "Theo đề nghị của Giám đốc Sở Nội vụ tại Tờ trình số 215/TTr-SNV ngày 01 tháng "
        "10 năm 2025",
        "articles": [
            {
                "label": "Điều 1.",
                "text": "Tặng Bằng khen của Chủ tịch UBND tỉnh cho 28 tập thể và 35 cá nhân đã có "
                "thành tích xuất sắc trong phong trào thi đua “Chuyển đổi số trên địa bàn tỉnh Bắc "
                "Ninh giai đoạn 2024–2025” (có danh sách kèm theo).",
            },
            {
                "label": "Điều 2.",
                "text": "Tiền thưởng kèm theo: tập thể 7.020.000 đồng, cá nhân 3.510.000 đồng. "
                f"Tổng cộng: {decisions.format_money(cash)} đồng, từ quỹ thi đua, khen thưởng tỉnh.",
            },
            {
                "label": "Điều 3.",
                "text": "Chánh Văn phòng UBND tỉnh, Giám đốc Sở Nội vụ, Giám đốc Sở Tài chính và các "
                "tập thể, cá nhân có tên tại Điều 1 chịu trách nhiệm thi hành Quyết định này./.",
            },
        ],
        "recipients": ["Như Điều 3", "Chủ tịch, các PCT UBND tỉnh", "Lưu: VT, NV"],
        "signer": {"title_lines": ["KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"], "name": "Nguyễn Hữu Thành"},
        "annex": {
            "title": "DANH SÁCH TẬP THỂ, CÁ NHÂN ĐƯỢC TẶNG BẰNG KHEN CỦA CHỦ TỊCH UBND TỈNH",
            "reference": f"(Kèm theo Quyết định {reference} của Chủ tịch UBND tỉnh Bắc Ninh)",
            "sections": [
                {
                    "numeral": "I",
                    "heading": "TẬP THỂ",
                    "name_header": "Tên tập thể",
                    "place_header": "Đơn vị",
                    "rows": collectives,
                },
                {
                    "numeral": "II",
                    "heading": "CÁ NHÂN",
                    "name_header": "Họ và tên",
                    "place_header": "Chức vụ, đơn vị",
                    "rows": individuals,
                },
            ],
        },
        "totals": {"collectives": len(collectives), "individuals": len(individuals), "cash": cash},
    }


# --------------------------------------------------------------------------- reading the PDF back


def _tool(name: str) -> str:
    path = shutil.which(name)
    assert path, f"{name} is missing: install poppler-utils (apt-get install poppler-utils)"
    return path


def _poppler(tool: str, *args: str, data: bytes) -> str:
    """The output of poppler's ``tool`` for the PDF ``data`` (given on stdin)."""
    files = ["-", "-"] if tool == "pdftotext" else ["-"]
    result = subprocess.run(
        [_tool(tool), *args, *files], input=data, capture_output=True, check=True
    )
    return result.stdout.decode("utf-8")


def layout_text(data: bytes) -> str:
    return _poppler("pdftotext", "-layout", "-enc", "UTF-8", data=data)


@dataclass(frozen=True)
class Word:
    page: int  # 1-based
    text: str
    x0: float
    y0: float
    x1: float
    y1: float


def words(data: bytes) -> list[Word]:
    """Every word poppler reads, with its box in PDF points from the page's top left corner."""
    xml = _poppler("pdftotext", "-bbox-layout", "-enc", "UTF-8", data=data)
    namespace = {"x": "http://www.w3.org/1999/xhtml"}
    root = ElementTree.fromstring(xml)  # noqa: S314 (our own PDF, read by poppler)
    found = []
    for number, page in enumerate(root.iterfind(".//x:page", namespace), start=1):
        for word in page.iterfind(".//x:word", namespace):
            box = [float(word.get(key, "0")) for key in ("xMin", "yMin", "xMax", "yMax")]
            found.append(Word(number, word.text or "", *box))
    return found


@pytest.fixture(scope="module")
def issued() -> bytes:
    return decisions.render_decision(decision_sample())


@pytest.fixture(scope="module")
def draft() -> bytes:
    return decisions.render_decision(decision_sample(draft=True))


@pytest.fixture(scope="module")
def issued_words(issued: bytes) -> list[Word]:
    return words(issued)


def _flat(text: str) -> str:
    return " ".join(text.split())


# --------------------------------------------------------------------------- the text


def test_pdf_text_holds_the_decision(issued: bytes) -> None:
    text = layout_text(issued)
    flat = _flat(text)

    assert unicodedata.is_normalized("NFC", text)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    assert re.fullmatch(r"ỦY BAN NHÂN DÂN\s+CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", lines[0])
    assert re.fullmatch(r"TỈNH BẮC NINH\s+Độc lập - Tự do - Hạnh phúc", lines[1])
    assert re.fullmatch(r"Số: 1234/QĐ-UBND\s+Bắc Ninh, ngày 05 tháng 10 năm 2025", lines[2])
    assert lines[3] == "QUYẾT ĐỊNH"
    for expected in (
        "Về việc tặng Bằng khen cho các tập thể, cá nhân đã có thành tích xuất sắc",
        "CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH BẮC NINH",
        "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 02 năm 2025;",
        "Căn cứ Luật Thi đua, khen thưởng ngày 15 tháng 6 năm 2022;",
        "Luật Thi đua, khen thưởng; Theo đề nghị của Giám đốc Sở Nội vụ",
        "ngày 01 tháng 10 năm 2025. QUYẾT ĐỊNH:",
        "Điều 1. Tặng Bằng khen của Chủ tịch UBND tỉnh cho 28 tập thể và 35 cá nhân",
        "Điều 2. Tiền thưởng kèm theo",
        "Tổng cộng: 319.410.000 đồng",
        "Điều 3. Chánh Văn phòng UBND tỉnh",
        "thi hành Quyết định này./.",
        "Nơi nhận:",
        "KT. CHỦ TỊCH",
        "PHÓ CHỦ TỊCH",
        "- Như Điều 3;",
        "- Lưu: VT, NV.",
        "Nguyễn Hữu Thành",
        "DANH SÁCH TẬP THỂ, CÁ NHÂN ĐƯỢC TẶNG BẰNG KHEN",
        "(Kèm theo Quyết định số 1234/QĐ-UBND ngày 05/10/2025 của Chủ tịch UBND tỉnh Bắc",
        "I. TẬP THỂ (28)",
        "II. CÁ NHÂN (35)",
    ):
        assert expected in flat, expected
    assert "DỰ THẢO" not in flat
    assert "Số sổ" in flat


def test_every_annex_name_is_printed_in_the_name_column_in_order(
    issued_words: list[Word],
) -> None:
    """Names wrap inside their cell, so the name column is read top to bottom, page by page."""
    annex = [w for w in issued_words if w.page >= 2]
    column = sorted(
        (w for w in annex if NAME_COLUMN[0] <= w.x0 < NAME_COLUMN[1]),
        key=lambda w: (w.page, round(w.y0), w.x0),
    )
    printed = " ".join(w.text for w in column)

    assert unicodedata.is_normalized("NFC", printed)
    position = 0
    for name in ["Tên tập thể", *COLLECTIVES, "Họ và tên", *INDIVIDUALS]:
        found = printed.find(name, position)
        assert found >= 0, name
        position = found + len(name)
    assert len(COLLECTIVES) + len(INDIVIDUALS) >= 60


def test_annex_starts_on_a_new_page(issued_words: list[Word]) -> None:
    first_page = " ".join(w.text for w in issued_words if w.page == 1)
    second_page = [w for w in issued_words if w.page == 2]

    assert "DANH SÁCH" not in first_page
    assert "Nguyễn Hữu Thành" in first_page
    assert [w.text for w in second_page[1:3]] == ["DANH", "SÁCH"]


# --------------------------------------------------------------------------- the page


def test_pages_are_a4_portrait(issued: bytes, draft: bytes) -> None:
    for data in (issued, draft):
        reader = PdfReader(BytesIO(data))
        assert len(reader.pages) >= 3
        for page in reader.pages:
            box = page.mediabox
            assert float(box.width) == pytest.approx(A4[0], abs=1)
            assert float(box.height) == pytest.approx(A4[1], abs=1)
            assert page.get("/Rotate", 0) == 0


def test_text_stays_inside_the_decree_30_margins(issued_words: list[Word]) -> None:
    width, height = A4
    body = [w for w in issued_words if not (w.page > 1 and w.y1 < TOP)]  # page numbers aside
    first = [w for w in body if w.page == 1]

    assert min(w.x0 for w in first) >= LEFT - 1
    assert max(w.x1 for w in first) <= width - RIGHT + 1
    assert min(w.y0 for w in first) >= TOP
    # Justified text reaches both margins: the margins are these, not wider ones.
    assert min(w.x0 for w in first) == pytest.approx(LEFT, abs=1)
    assert max(w.x1 for w in first) == pytest.approx(width - RIGHT, abs=2)
    for page in sorted({w.page for w in body}):
        on_page = [w for w in body if w.page == page]
        assert min(w.x0 for w in on_page) >= LEFT - 1, page
        assert max(w.x1 for w in on_page) <= width - RIGHT + 1, page
        assert min(w.y0 for w in on_page) >= TOP, page
        assert max(w.y1 for w in on_page) <= height - BOTTOM + 1, page


def test_page_numbers_are_centred_in_the_top_margin_from_page_two(
    issued_words: list[Word],
) -> None:
    pages = max(w.page for w in issued_words)
    centre = (LEFT + A4[0] - RIGHT) / 2

    assert [w for w in issued_words if w.page == 1 and w.y1 < TOP] == []
    for page in range(2, pages + 1):
        in_margin = [w for w in issued_words if w.page == page and w.y1 < TOP]
        assert [w.text for w in in_margin] == [str(page)]
        assert (in_margin[0].x0 + in_margin[0].x1) / 2 == pytest.approx(centre, abs=2)


def test_fonts_are_embedded_times_compatible(issued: bytes) -> None:
    listing = _poppler("pdffonts", data=issued).splitlines()[2:]

    assert listing
    for line in listing:
        name, *_, emb, sub, uni, _obj, _gen = line.split()
        assert name.split("+", 1)[1].startswith("Liberation-Serif"), line
        assert (emb, sub, uni) == ("yes", "yes", "yes"), line


# --------------------------------------------------------------------------- the draft


def test_a_draft_says_so_on_every_page_and_has_no_number(draft: bytes, issued: bytes) -> None:
    text = layout_text(draft)
    flat = _flat(text)
    draft_words = words(draft)

    assert re.search(r"Số:\s+/QĐ-UBND", text)
    assert "1234" not in flat
    pages = max(w.page for w in draft_words)
    for page in range(1, pages + 1):
        marks = [w.text for w in draft_words if w.page == page and w.y1 < TOP]
        assert "DỰ" in marks and "THẢO" in marks, page
    # The marks are out of the flow: the draft paginates as the issued decision will.
    assert pages == len(PdfReader(BytesIO(issued)).pages)
    assert PdfReader(BytesIO(draft)).metadata.title == "Dự thảo quyết định"
    assert PdfReader(BytesIO(issued)).metadata.title == "Quyết định số 1234/QĐ-UBND"


# --------------------------------------------------------------------------- the template on its own


def _html(**changes: Any) -> str:
    return _flat(pdf.document_html(decisions.DECISION_TEMPLATE, decision_sample() | changes))


def test_legal_basis_punctuation() -> None:
    data = decision_sample()
    with_proposal = _html()
    without = _html(proposal="")

    assert "ngày 15 tháng 6 năm 2022;</p>" in with_proposal
    assert "Luật Thi đua, khen thưởng;</p> <p>Theo đề nghị của" in with_proposal
    assert "10 năm 2025.</p>" in with_proposal
    assert "Luật Thi đua, khen thưởng.</p> </div>" in without
    assert "Theo đề nghị" not in without
    assert len(data["legal_basis"]) == with_proposal.count("<p>Căn cứ ")


def test_empty_sections_are_left_out_and_user_text_is_escaped() -> None:
    data = decision_sample()
    individuals = data["annex"]["sections"][1]
    empty = dict(data["annex"]["sections"][0], rows=[])
    individuals["rows"][0]["name"] = "<b>Lê Thị Ánh</b>"

    html = _html(annex=dict(data["annex"], sections=[empty, individuals]))

    assert "TẬP THỂ (" not in html
    assert "II. CÁ NHÂN (35)" in html
    assert "&lt;b&gt;Lê Thị Ánh&lt;/b&gt;" in html
    assert "<b>" not in html


def test_golden_book_numbers_are_blank_until_assigned() -> None:
    data = decision_sample(draft=True)
    for section in data["annex"]["sections"]:
        for row in section["rows"]:
            row["golden_book"] = None

    html = pdf.document_html(decisions.DECISION_TEMPLATE, data)

    assert '<td class="index"></td>' in html
    assert "None" not in html
    # Non-breaking spaces: the blank keeps its width where HTML would collapse spaces.
    assert "Số: \u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0/QĐ-UBND" in html


def test_annex_title_prints_danh_sach_on_its_own_line() -> None:
    html = _html()
    own_lines = _html(annex=dict(decision_sample()["annex"], title="DANH SÁCH\nKHEN THƯỞNG\nĐỢT 2"))

    assert '<p class="annex-title">DANH SÁCH</p> <p class="annex-title">TẬP THỂ, CÁ NHÂN' in html
    assert (
        '<p class="annex-title">DANH SÁCH</p> <p class="annex-title">KHEN THƯỞNG</p> '
        '<p class="annex-title">ĐỢT 2</p>'
    ) in own_lines


# --------------------------------------------------------------------------- the annex workbook


@pytest.fixture()
def workbook() -> Iterator[Any]:
    data = decision_sample()
    data["annex"]["sections"][1]["rows"][2]["name"] = "=1+1"
    data["annex"]["sections"][1]["rows"][3]["citation"] = "@SUM(A1:A2)"
    book = load_workbook(BytesIO(decisions.annex_workbook(data)))
    yield book
    book.close()


def _values(sheet: Any) -> list[tuple[Any, ...]]:
    return [tuple(cell.value for cell in row) for row in sheet.iter_rows()]


def test_annex_workbook_has_a_sheet_per_section(workbook: Any) -> None:
    assert workbook.sheetnames == ["Tập thể", "Cá nhân"]
    rows = _values(workbook["Tập thể"])

    assert rows[0][0] == "DANH SÁCH TẬP THỂ, CÁ NHÂN ĐƯỢC TẶNG BẰNG KHEN CỦA CHỦ TỊCH UBND TỈNH"
    assert rows[1][0] == (
        "(Kèm theo Quyết định số 1234/QĐ-UBND ngày 05/10/2025 của Chủ tịch UBND tỉnh Bắc Ninh)"
    )
    assert rows[3][0] == "I. TẬP THỂ (28)"
    assert rows[4] == (
        "STT",
        "Tên tập thể",
        "Đơn vị",
        "Thành tích",
        "Số sổ vàng",
        "Tiền thưởng (đồng)",
    )
    body = rows[5:-1]
    assert [row[0] for row in body] == list(range(1, 29))
    assert [row[1] for row in body] == COLLECTIVES
    assert body[0][4] == 17
    assert body[0][5] == 7_020_000
    assert rows[-1] == (None, "Tổng cộng", None, None, None, 28 * 7_020_000)
    assert workbook["Cá nhân"]["B5"].value == "Họ và tên"
    assert workbook["Cá nhân"].max_row == 5 + 35 + 1


def test_annex_workbook_numbers_are_numbers_and_text_is_never_a_formula(workbook: Any) -> None:
    sheet = workbook["Cá nhân"]
    first = sheet[6]

    assert [type(cell.value) for cell in (first[0], first[4], first[5])] == [int, int, int]
    assert first[5].number_format == decisions.MONEY_FORMAT
    assert sheet["B8"].value == "=1+1"
    assert sheet["B8"].data_type == "s"
    assert sheet["D9"].value == "@SUM(A1:A2)"
    assert sheet["D9"].data_type == "s"
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_annex_workbook_without_sections_keeps_its_header() -> None:
    data = decision_sample()
    data["annex"]["sections"] = []

    book = load_workbook(BytesIO(decisions.annex_workbook(data)))

    assert book.sheetnames == ["Phụ lục"]
    assert book["Phụ lục"]["A1"].value.startswith("DANH SÁCH")
    assert book["Phụ lục"].max_row == 2


# --------------------------------------------------------------------------- names and numbers


def test_file_names_are_ascii() -> None:
    assert decisions.decision_filename("1234/QĐ-UBND", 7) == "Quyet-dinh-1234-QD-UBND.pdf"
    assert decisions.decision_filename(None, 7) == "Du-thao-quyet-dinh-7.pdf"
    assert decisions.annex_filename("05/QĐ-UBND", 7) == "Phu-luc-Quyet-dinh-05-QD-UBND.xlsx"
    assert decisions.annex_filename(None, 7) == "Du-thao-phu-luc-quyet-dinh-7.xlsx"


def test_money_in_the_vietnamese_style() -> None:
    assert decisions.format_money(294_840_000) == "294.840.000"
    assert decisions.format_money(7_020_000) == "7.020.000"
    assert decisions.format_money(0) == "0"
