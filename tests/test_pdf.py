"""The PDF renderer (``exports/pdf.py``) and the Tờ trình document (``exports/documents.py``).

Checked on the PDF itself, read back with pypdf: Vietnamese text extracts as typed (NFC), the fonts are
embedded subsets of Liberation Serif, page numbers start on page 2, nothing outside the static folder is
fetched, user text stays text, and WeasyPrint subsets fonts with HarfBuzz (not the slow fontTools path).
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Iterator
from datetime import date
from io import BytesIO
from pathlib import Path
from typing import Any
from urllib.request import OpenerDirector

import pytest
from flask import Flask
from jinja2.sandbox import SecurityError
from pypdf import PdfReader
from weasyprint.text import ffi

from awards.extensions import db as _db
from exports import documents, pdf
from models import RecipientKind, Unit, UnitKind
from tests.test_submissions import Filing, build_filing

STATIC = pdf.STATIC_DIR


@pytest.fixture(autouse=True)
def request_context(app: Flask) -> Iterator[None]:
    with app.app_context(), app.test_request_context():
        yield


def _reader(data: bytes) -> PdfReader:
    assert data.startswith(b"%PDF-")
    return PdfReader(BytesIO(data))


def _lines(page: Any) -> list[str]:
    return [line.strip() for line in page.extract_text().splitlines() if line.strip()]


def _text(reader: PdfReader) -> str:
    """All text, lines joined with spaces (extraction breaks lines where the layout does)."""
    return " ".join(" ".join(_lines(page)) for page in reader.pages)


def _fonts(reader: PdfReader) -> dict[str, Any]:
    fonts = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            fonts[str(font["/BaseFont"]).lstrip("/")] = font
    return fonts


def _embedded_names(reader: PdfReader) -> list[str]:
    names = reader.trailer["/Root"].get("/Names")
    if names is None or "/EmbeddedFiles" not in names:
        return []
    listing = names["/EmbeddedFiles"]["/Names"]
    return [str(listing[i]) for i in range(0, len(listing), 2)]


# --------------------------------------------------------------------------- the Tờ trình


@pytest.fixture()
def filing(db: object, make_unit, make_user, today) -> Filing:  # type: ignore[no-untyped-def]
    return build_filing(make_unit, make_user)


@pytest.fixture()
def today(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    from awards import clock

    monkeypatch.setattr(clock, "today", lambda: date(2025, 9, 5))


def _demo_submission(filing: Filing, *, individuals: int = 2, citation: str | None = None):  # type: ignore[no-untyped-def]
    batch = [filing.draft(RecipientKind.COLLECTIVE, form="GK", name="Phòng Bưu chính, Viễn thông")]
    batch += [
        filing.draft(
            name=name,
            **({"citation": citation} if citation is not None else {}),
        )
        for name in ["Nguyễn Thị Phượng", "Đặng Quốc Huy", "Trương Thị Ánh Tuyết"][:individuals]
    ]
    submission = filing.submit(batch)
    _db.session.commit()
    return submission


def _render(submission) -> bytes:  # type: ignore[no-untyped-def]
    data = documents.submission_data(
        submission, place="Bắc Ninh", addressee="Sở Nội vụ tỉnh Bắc Ninh"
    )
    return documents.render_submission(data)


def test_submission_pdf_text_extracts_with_diacritics(filing: Filing) -> None:
    reader = _reader(_render(_demo_submission(filing)))
    text = _text(reader)

    assert len(reader.pages) == 2
    first = _lines(reader.pages[0])
    assert first[:4] == [
        "UBND TỈNH BẮC NINH",
        "SỞ THÔNG TIN VÀ TRUYỀN",
        "THÔNG",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    ]
    for expected in (
        "Độc lập - Tự do - Hạnh phúc",
        "Số: 15/TTr-STTTT",
        "Bắc Ninh, ngày 05 tháng 9 năm 2025",
        "TỜ TRÌNH",
        "Kính gửi: Sở Nội vụ tỉnh Bắc Ninh",
        "Căn cứ Biên bản họp ngày 02/09/2025",
        "6/7 thành viên (đạt 85,7%)",
        "01 tập thể và 02 cá nhân",
        "- Bằng khen của Chủ tịch UBND tỉnh: 02 cá nhân;",
        "- Giấy khen của Giám đốc Sở Nội vụ: 01 tập thể.",
        "Nơi nhận:",
        "- Như trên;",
        "- Lưu: VT.",
        "KT. GIÁM ĐỐC",
        "PHÓ GIÁM ĐỐC",
        "Trần Minh Đức",
        "DANH SÁCH",
        "I. TẬP THỂ (01)",
        "II. CÁ NHÂN (02)",
        "Nguyễn Thị Phượng",
        "Đặng Quốc Huy",
        "Phòng Bưu chính, Viễn thông",
    ):
        assert expected in text, expected
    assert "Về việc đề nghị tặng Bằng khen của Chủ tịch UBND tỉnh và Giấy khen" in text
    assert text == unicodedata.normalize("NFC", text)
    assert reader.metadata.title == "Tờ trình số 15/TTr-STTTT"


def test_page_numbers_start_on_page_two(filing: Filing) -> None:
    reader = _reader(_render(_demo_submission(filing)))

    assert "1" not in _lines(reader.pages[0])
    assert "2" in _lines(reader.pages[1])


def test_fonts_are_embedded_liberation_serif_subsets(filing: Filing) -> None:
    reader = _reader(_render(_demo_submission(filing)))
    fonts = _fonts(reader)

    assert {name.split("+", 1)[1] for name in fonts} == {
        "Liberation-Serif",
        "Liberation-Serif-Bold",
        "Liberation-Serif-Italic",
        "Liberation-Serif-Bold-Italic",
    }
    for name, font in fonts.items():
        assert name[6] == "+", name  # a subset: six-letter tag, then the font's name
        descendant = font["/DescendantFonts"][0].get_object()
        assert "/FontFile2" in descendant["/FontDescriptor"], name
        assert "/ToUnicode" in font, name


def test_nfd_input_is_printed_as_nfc(filing: Filing) -> None:
    submission = _demo_submission(filing, individuals=1)
    submission.signer_name = unicodedata.normalize("NFD", "Trần Minh Đức")

    data = documents.submission_data(submission, place="Bắc Ninh", addressee="Sở Nội vụ")

    assert data["signer"]["name"] == "Trần Minh Đức"
    assert "Trần Minh Đức" in _text(_reader(documents.render_submission(data)))


def test_user_text_is_text_not_markup(filing: Filing, monkeypatch: pytest.MonkeyPatch) -> None:
    payload = '<img src="file:///etc/passwd"><link rel="attachment" href="file:///etc/hostname">'
    submission = _demo_submission(filing, individuals=1, citation=payload)
    fetched: list[str] = []
    original = pdf.SafeURLFetcher.fetch

    def spy(self, url, headers=None):  # type: ignore[no-untyped-def]
        fetched.append(url)
        return original(self, url, headers)

    monkeypatch.setattr(pdf.SafeURLFetcher, "fetch", spy)

    reader = _reader(_render(submission))

    assert fetched == []
    assert _embedded_names(reader) == []
    text = "".join(_text(reader).split())
    assert "".join(payload.split()) in text


def test_list_sections_number_their_rows(filing: Filing) -> None:
    submission = _demo_submission(filing)

    data = documents.submission_data(submission, place="Bắc Ninh", addressee="Sở Nội vụ")

    assert [(s["numeral"], s["heading"], len(s["rows"])) for s in data["sections"]] == [
        ("I", "TẬP THỂ", 1),
        ("II", "CÁ NHÂN", 2),
    ]
    assert data["sections"][1]["rows"][0] == {
        "reference": submission.nominations[1].reference,
        "name": "Nguyễn Thị Phượng",
        "place": "Trưởng phòng Công nghệ thông tin, Sở Thông tin và Truyền thông",
        "form": "Bằng khen của Chủ tịch UBND tỉnh",
        "citation": "Đã có thành tích xuất sắc trong phong trào thi đua Chuyển đổi số",
    }
    assert data["subject"].startswith(
        "Về việc đề nghị tặng Bằng khen của Chủ tịch UBND tỉnh và Giấy khen của Giám đốc Sở Nội vụ "
        "cho các tập thể, cá nhân đã có thành tích xuất sắc trong phong trào thi đua “"
    )


def test_a_dossier_of_individuals_only(filing: Filing) -> None:
    batch = [filing.draft(), filing.draft()]
    submission = filing.submit(batch)

    data = documents.submission_data(submission, place="Bắc Ninh", addressee="Sở Nội vụ")

    assert data["recipients_phrase"] == "02 cá nhân"
    assert "cho các cá nhân đã có" in data["subject"]
    assert [s["heading"] for s in data["sections"]] == ["CÁ NHÂN"]


# --------------------------------------------------------------------------- small helpers


def test_superior_line_only_for_departments(db: object) -> None:
    province = Unit(code="P", name="Ủy ban nhân dân tỉnh Bắc Ninh", kind=UnitKind.PROVINCE)
    department = Unit(code="S", name="Sở Tư pháp", kind=UnitKind.PROVINCIAL_BODY, parent=province)
    district = Unit(code="H", name="Huyện Gia Bình", kind=UnitKind.DISTRICT, parent=province)

    assert documents.superior_line(department) == "UBND TỈNH BẮC NINH"
    assert documents.superior_line(district) == ""
    assert documents.superior_line(province) == ""
    assert (
        documents.capitals("Sở Văn hóa, Thể thao và Du lịch") == "SỞ VĂN HÓA, THỂ THAO VÀ DU LỊCH"
    )


@pytest.mark.parametrize(
    ("part", "whole", "expected"),
    [(6, 7, "85,7"), (7, 7, "100"), (4, 7, "57,1"), (1, 2, "50"), (2, 3, "66,7")],
)
def test_percent_in_vietnamese(part: int, whole: int, expected: str) -> None:
    assert documents.percent(part, whole) == expected


def test_phrases() -> None:
    assert documents.count_phrase(1, 12) == "01 tập thể và 12 cá nhân"
    assert documents.count_phrase(0, 3) == "03 cá nhân"
    assert documents.count_phrase(2, 1, ", ") == "02 tập thể, 01 cá nhân"
    assert documents.join_names(["A"]) == "A"
    assert documents.join_names(["A", "B", "C"]) == "A, B và C"
    assert documents.submission_filename("15/TTr-STTTT") == "To-trinh-15-TTr-STTTT.pdf"
    assert documents.submission_filename("07/TTr-SNV-TĐKT") == "To-trinh-07-TTr-SNV-TDKT.pdf"


# --------------------------------------------------------------------------- the safe fetcher


@pytest.fixture()
def network_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every URL handed to urllib's opener (the network and file access of WeasyPrint's fetcher)."""
    calls: list[str] = []
    original = OpenerDirector.open

    def record(self, fullurl, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(fullurl if isinstance(fullurl, str) else fullurl.full_url)
        return original(self, fullurl, *args, **kwargs)

    monkeypatch.setattr(OpenerDirector, "open", record)
    return calls


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/hostname",
        "file:///etc/passwd",
        "http://example.com/x.png",
        "https://example.com/x.css",
        "ftp://example.com/x",
        f"file://{STATIC}/../config.py",
        f"file://{STATIC}/css/../../config.py",
        f"file://example.com{STATIC}/css/documents.css",
        f"file://{STATIC}/css/",
        f"file://{STATIC}/css/missing.css",
    ],
)
def test_fetcher_refuses_everything_but_static_files(url: str, network_calls: list[str]) -> None:
    with pytest.raises(pdf.ResourceRefused):
        pdf.SafeURLFetcher().fetch(url)
    assert network_calls == []


def test_fetcher_serves_static_files_and_data_urls() -> None:
    fetcher = pdf.SafeURLFetcher()

    css = fetcher.fetch(f"file://{STATIC}/css/documents.css")
    assert css.read() == (STATIC / "css" / "documents.css").read_bytes()
    assert css.content_type == "text/css"
    data = fetcher.fetch("data:text/plain;base64,WGluIGNow6Bv")
    assert data.read() == "Xin chào".encode()


def test_fetcher_refuses_a_symlink_out_of_the_static_folder(tmp_path: Path) -> None:
    root = tmp_path / "static"
    root.mkdir()
    (tmp_path / "secret.txt").write_text("bí mật")
    (root / "link.txt").symlink_to(tmp_path / "secret.txt")
    (root / "ok.txt").write_text("được")
    fetcher = pdf.SafeURLFetcher(root)

    with pytest.raises(pdf.ResourceRefused):
        fetcher.fetch(f"file://{root}/link.txt")
    assert fetcher.fetch(f"file://{root}/ok.txt").read() == "được".encode()


def test_document_renders_without_refused_resources(network_calls: list[str]) -> None:
    html = """<!doctype html><html><head><meta charset="utf-8">
      <link rel="attachment" href="file:///etc/hostname">
      <link rel="attachment" href="http://example.com/leak.txt">
      <link rel="attachment" href="img/favicon.svg">
      <link rel="stylesheet" href="http://example.com/x.css">
      </head><body>
      <p>Trước ảnh</p>
      <img src="file:///etc/hostname" alt="">
      <img src="http://example.com/x.png" alt="">
      <img src="data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciIHdpZHRoPSIxMCIgaGVpZ2h0PSIxMCIvPg==" alt="">
      <p>Sau ảnh</p></body></html>"""

    reader = _reader(pdf.render_html(html))

    # Only the static file is embedded; the local file and the web resources were never opened.
    assert _embedded_names(reader) == ["favicon.svg"]
    assert [url for url in network_calls if not url.startswith("data:")] == []
    assert _lines(reader.pages[0]) == ["Trước ảnh", "Sau ảnh"]
    hostname = Path("/etc/hostname")
    if hostname.exists() and hostname.read_text().strip():
        assert hostname.read_bytes().strip() not in pdf.render_html(html)


# --------------------------------------------------------------------------- renderer plumbing


def test_harfbuzz_subsets_the_fonts(caplog: pytest.LogCaptureFixture) -> None:
    """Without libharfbuzz-subset0 WeasyPrint falls back to fontTools, ~100 ms per PDF (ENGINEERING.md):
    fail loudly if that happens."""
    assert ffi.harfbuzz_subset is not None, "install libharfbuzz-subset0 (scripts/system-deps.sh)"
    assert ffi.harfbuzz.hb_version_atleast(4, 1, 0)
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        pdf.render_html('<p class="doc-kind">Kiểm tra phông chữ: Ắ ẵ Ự ự Đ đ</p>')
    assert [r.getMessage() for r in caplog.records if "fontTools" in r.getMessage()] == []


def test_document_templates_are_sandboxed_and_escaped() -> None:
    env = pdf.environment()
    with pytest.raises(SecurityError):
        env.from_string("{{ ''.__class__.__mro__[1].__subclasses__() }}").render()
    assert env.from_string("{{ text }}").render(text="<b>đậm</b>") == "&lt;b&gt;đậm&lt;/b&gt;"
    assert pdf.environment() is env  # built once per thread
    assert pdf.stylesheet() is pdf.stylesheet()
    assert pdf.font_config() is pdf.font_config()


def test_stylesheet_must_be_in_the_static_folder() -> None:
    with pytest.raises(ValueError, match="outside the static folder"):
        pdf.stylesheet("../config.py")


def test_render_many_joins_the_documents(filing: Filing) -> None:
    submission = _demo_submission(filing, individuals=1)
    data = documents.submission_data(submission, place="Bắc Ninh", addressee="Sở Nội vụ")
    other = dict(data, number="16/TTr-STTTT")

    reader = _reader(pdf.render_many(documents.SUBMISSION_TEMPLATE, [data, other]))

    assert len(reader.pages) == 4
    assert "Số: 16/TTr-STTTT" in " ".join(_lines(reader.pages[2]))
    with pytest.raises(ValueError, match="at least one item"):
        pdf.render_many(documents.SUBMISSION_TEMPLATE, [])
