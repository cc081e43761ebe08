"""Certificates as PDF (``exports/certificates.py``), checked on the files themselves.

Read back with poppler (``pdftotext`` for the text of each page, ``pdftotext -bbox-layout`` for where
each word is printed, ``pdftoppm`` for pictures), pypdf (page sizes, embedded files, where the QR code
image is drawn, the image itself) and ``zbarimg`` (the QR code as a phone reads it, when zbar-tools is
installed): every certificate of a batch prints its recipient, citation, decision and serial with their
diacritics, one A4-landscape page each; nothing outside the static folder is fetched; templates with
unknown placeholders or escapes from the sandbox are refused; a blank's fields are where the template
puts them plus the printer's offset; long texts stay inside the border; the QR code is the verify URL.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import unicodedata
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any
from urllib.request import OpenerDirector
from xml.etree import ElementTree

import pytest
import segno
from pypdf import PdfReader, PdfWriter

from exports import certificates as cert
from exports import pdf

MM = 72 / 25.4
A4_LANDSCAPE = (841.89, 595.28)
SPEC = cert.TemplateSpec(cert.DEFAULT_BODY, cert.DEFAULT_POSITIONS, 297, 210, 3)
# The inner line of the border (static/img/certificate-border.svg): no text may cross it.
INNER_BORDER_MM = (13.2, 13.2, 283.8, 196.8)

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô"]
MIDDLE = ["Thị", "Văn", "Quốc", "Minh", "Thị Thu", "Đức", "Ngọc Ánh"]
GIVEN = ["Phượng", "Hưng", "Tuyết", "Đức", "Khôi", "Yến", "Trường", "Ẩn", "Thủy", "Quỳnh", "Dũng"]
COLLECTIVES = [
    "Phòng Bưu chính, Viễn thông",
    "Trường THCS Lý Thường Kiệt, huyện Thuận Thành",
    "Ủy ban nhân dân xã Đại Đồng Thành",
]
CITATIONS = [
    "Đã có thành tích xuất sắc trong phong trào thi đua “Chuyển đổi số trên địa bàn tỉnh Bắc Ninh "
    "giai đoạn 2024 – 2025”",
    "Đã hoàn thành xuất sắc nhiệm vụ năm 2025, góp phần xây dựng chính quyền số tỉnh Bắc Ninh",
]
LONG_COLLECTIVE = (
    "Tập thể Phòng Giáo dục và Đào tạo huyện Lương Tài, tỉnh Bắc Ninh và các trường trung học cơ sở "
    "trực thuộc trên địa bàn huyện Lương Tài"
)
LONG_CITATION = (
    "Đã có thành tích xuất sắc trong phong trào thi đua “Chuyển đổi số trên địa bàn tỉnh Bắc Ninh giai "
    "đoạn 2024 – 2025”, góp phần hoàn thành thắng lợi nhiệm vụ phát triển kinh tế - xã hội, bảo đảm "
    "quốc phòng - an ninh của tỉnh năm 2025 và các năm tiếp theo, được Ủy ban nhân dân tỉnh ghi nhận "
    "và biểu dương rộng rãi trên toàn tỉnh"
)


def values(index: int, **changes: Any) -> dict[str, Any]:
    """The values of certificate ``index``: a different recipient, serial and code each."""
    if index % 7 == 3:
        recipient = COLLECTIVES[index % 3]
    else:
        name = f"{FAMILY[index % 10]} {MIDDLE[index % 7]} {GIVEN[index % 11]}"
        recipient = ("Bà " if "Thị" in name else "Ông ") + name
    code = f"Q{index:04d}M4XP9ZTRH3WD"
    return (
        cert.sample_item()
        | {
            "recipient": recipient,
            "citation": CITATIONS[index % 2],
            "decision_line": f"Quyết định số {1200 + index % 3}/QĐ-UBND ngày 05/10/2025",
            "golden_book_line": f"Số sổ vàng: {index + 1}",
            "serial": f"GK-2025-{index + 1:06d}",
            "code": code,
            "verify_url": f"https://khenthuong.bacninh.gov.vn/verify/{code}",
        }
        | changes
    )


def _flat(text: str) -> str:
    return " ".join(text.split())


def _poppler(tool: str, *args: str, data: bytes) -> str:
    if shutil.which(tool) is None:
        pytest.fail(f"{tool} is missing: run scripts/system-deps.sh (poppler-utils)")
    result = subprocess.run([tool, *args, "-", "-"], input=data, capture_output=True, check=True)
    return result.stdout.decode("utf-8")


def page_texts(data: bytes) -> list[str]:
    """The text of each page, whitespace flattened (pdftotext breaks lines where the layout does)."""
    pages = _poppler("pdftotext", "-enc", "UTF-8", data=data).split("\f")
    return [_flat(page) for page in pages[:-1]]


@dataclass(frozen=True)
class Line:
    page: int
    text: str
    x0: float  # mm from the left edge
    y0: float  # mm from the top edge
    x1: float
    y1: float


def lines(data: bytes) -> list[Line]:
    """Every printed line, with its box in millimetres (pdftotext -bbox-layout)."""
    xml = _poppler("pdftotext", "-bbox-layout", "-enc", "UTF-8", data=data)
    namespace = {"x": "http://www.w3.org/1999/xhtml"}
    root = ElementTree.fromstring(xml)  # noqa: S314 (our own PDF, read by poppler)
    found = []
    for number, page in enumerate(root.iterfind(".//x:page", namespace), start=1):
        for line in page.iterfind(".//x:line", namespace):
            text = " ".join(word.text or "" for word in line.iterfind("x:word", namespace))
            box = [float(line.get(key, "0")) / MM for key in ("xMin", "yMin", "xMax", "yMax")]
            found.append(Line(number, text, *box))
    return found


def _reader(data: bytes) -> PdfReader:
    assert data.startswith(b"%PDF-")
    return PdfReader(BytesIO(data))


def _embedded_names(reader: PdfReader) -> list[str]:
    names = reader.trailer["/Root"].get("/Names")
    if names is None or "/EmbeddedFiles" not in names:
        return []
    listing = names["/EmbeddedFiles"]["/Names"]
    return [str(listing[i]) for i in range(0, len(listing), 2)]


# --------------------------------------------------------------------------- a batch


@pytest.fixture(scope="module")
def batch_items() -> list[dict[str, Any]]:
    return [values(index) for index in range(60)]


@pytest.fixture(scope="module")
def batch(batch_items: list[dict[str, Any]]) -> bytes:
    """60 certificates in chunks of 25 over 2 worker processes, joined: the product's path."""
    parts = list(cert.render_batch(SPEC, batch_items, chunk=25, workers=2))
    assert len(parts) == 3
    return cert.join_pdfs(parts)


def test_every_certificate_of_a_batch_prints_its_text_with_diacritics(
    batch: bytes, batch_items: list[dict[str, Any]]
) -> None:
    texts = page_texts(batch)

    assert len(texts) == len(batch_items)
    for text, item in zip(texts, batch_items, strict=True):
        assert text == unicodedata.normalize("NFC", text)
        for key in ("recipient", "citation", "decision_line", "golden_book_line", "place_date"):
            assert _flat(item[key]) in text, (key, item[key])
        assert f"Số hiệu: {item['serial']}" in text
        assert f"Mã xác thực: {item['code']}" in text
        for fixed in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "TẶNG"):
            assert fixed in text
        assert "GIÁM ĐỐC SỞ NỘI VỤ TỈNH BẮC NINH" in text
        assert "GIẤY KHEN" in text
        assert "Trần Minh Đức" in text


def test_a_batch_has_one_a4_landscape_page_per_certificate(
    batch: bytes, batch_items: list[dict[str, Any]]
) -> None:
    reader = _reader(batch)

    assert len(reader.pages) == len(batch_items)
    for page in reader.pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert width == pytest.approx(A4_LANDSCAPE[0], abs=1)
        assert height == pytest.approx(A4_LANDSCAPE[1], abs=1)


def test_the_frame_is_drawn_once_and_under_every_page(batch: bytes) -> None:
    reader = _reader(batch)

    forms = set()
    for page in reader.pages:
        xobjects = page["/Resources"]["/XObject"]
        assert cert.FRAME_NAME in xobjects
        forms.add(xobjects.raw_get(cert.FRAME_NAME).idnum)
        first = page["/Contents"][0].get_object().get_data()
        assert first.strip() == f"q {cert.FRAME_NAME} Do Q".encode()
    assert len(forms) == 3  # one per chunk, shared by its pages


def test_text_is_nfc_even_when_typed_decomposed() -> None:
    typed = values(1, recipient=unicodedata.normalize("NFD", "Bà Trương Thị Ánh Tuyết"))

    item = cert.certificate_item(typed)

    assert item["recipient"] == "Bà Trương Thị Ánh Tuyết"
    assert "Bà Trương Thị Ánh Tuyết" in page_texts(cert.render_certificates(SPEC, [typed]))[0]


def test_certificate_item_completes_and_refuses_missing_values() -> None:
    raw = values(2)
    del raw["nation"]

    item = cert.certificate_item(raw)

    assert item["nation"] == "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    assert item["qr"].startswith("data:image/png;base64,")
    assert set(item) == set(cert.PLACEHOLDERS)
    with pytest.raises(ValueError, match="serial"):
        cert.certificate_item({k: v for k, v in values(2).items() if k != "serial"})


def test_rendering_uses_harfbuzz_subsetting(caplog: pytest.LogCaptureFixture) -> None:
    """tests/test_pdf.py fails loudly when libharfbuzz-subset0 is missing; here: certificates never
    take WeasyPrint's slow fontTools path either."""
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        cert.render_certificates(SPEC, [values(3)])
    assert [r.getMessage() for r in caplog.records if "fontTools" in r.getMessage()] == []


# --------------------------------------------------------------------------- long texts


def test_a_long_collective_name_and_citation_shrink_inside_the_border() -> None:
    item = values(4, recipient=LONG_COLLECTIVE, citation=LONG_CITATION, position_unit="")

    data = cert.render_certificates(SPEC, [item])

    text = page_texts(data)[0]
    assert _flat(LONG_COLLECTIVE) in text
    assert _flat(LONG_CITATION) in text
    left, top, right, bottom = INNER_BORDER_MM
    printed = lines(data)
    for line in printed:
        assert left < line.x0 and line.x1 < right and top < line.y0 and line.y1 < bottom, line
    # The main area (recipient, citation) ends above the foot (decision line, signature).
    main = [line for line in printed if line.text.split()[0] in LONG_COLLECTIVE + LONG_CITATION]
    foot_top = min(line.y0 for line in printed if line.text.startswith("Quyết định số"))
    assert max(line.y1 for line in main if line.y0 < foot_top) < foot_top


def test_a_long_name_on_a_blank_stays_in_its_field() -> None:
    data = cert.render_certificates(SPEC, [values(5, recipient=LONG_COLLECTIVE)], mode="blank")

    position = cert.DEFAULT_POSITIONS["recipient"]
    assert _flat(LONG_COLLECTIVE) in page_texts(data)[0]
    name = [line for line in lines(data) if position["y"] - 1 < line.y0 < position["y"] + 5]
    assert [line.text for line in name] == [_flat(LONG_COLLECTIVE)]  # on its one line, smaller
    assert name[0].y1 - name[0].y0 < 0.6 * position["size"] / MM
    for line in name:
        assert position["x"] - 0.5 < line.x0 and line.x1 < position["x"] + position["w"] + 0.5


# --------------------------------------------------------------------------- the blank overlay


@pytest.mark.parametrize("offset", [(0, 0), (1.5, -2.0)])
def test_blank_fields_are_at_their_positions_plus_the_offset(offset: tuple[float, float]) -> None:
    item = values(6, signer_title_lines=["KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"])
    data = cert.render_certificates(SPEC, [item], mode="blank", offset=offset)
    printed = {line.text: line for line in lines(data)}
    dx, dy = offset

    expected = {
        "recipient": item["recipient"],
        "position_unit": item["position_unit"],
        "decision_line": item["decision_line"],
        "golden_book_line": item["golden_book_line"],
        "place_date": item["place_date"],
        "signer_title_lines": "KT. GIÁM ĐỐC",
        "signer_name": item["signer_name"],
        "serial": f"Số hiệu: {item['serial']}",
        "code": f"Mã xác thực: {item['code']}",
    }
    for field, text in expected.items():
        position = cert.DEFAULT_POSITIONS[field]
        line = printed[text]
        # y: the top of the first line; x: its left edge, or its middle when centred.
        assert line.y0 == pytest.approx(position["y"] + dy, abs=1), field
        if position["align"] == "center":
            middle = (line.x0 + line.x1) / 2
            assert middle == pytest.approx(position["x"] + position["w"] / 2 + dx, abs=1), field
        else:
            assert line.x0 == pytest.approx(position["x"] + dx, abs=1), field
    # Only the variable text: none of the fixed wording of the full design.
    assert "TẶNG" not in printed and "GIẤY KHEN" not in printed
    qr = cert.DEFAULT_POSITIONS["qr"]
    assert _image_boxes(data) == [
        pytest.approx((qr["x"] + dx, qr["y"] + dy, qr["w"], qr["w"]), abs=1)
    ]


def test_the_blank_overlay_of_the_defaults_fits_the_full_design() -> None:
    """The default positions are where the full design prints each field: a blank that is the full
    design without its variable text takes the overlay as it is."""
    item = values(7, citation=CITATIONS[0])  # one line of name and position, two of citation
    full = {line.text: line for line in lines(cert.render_certificates(SPEC, [item]))}
    blank = lines(cert.render_certificates(SPEC, [item], mode="blank"))

    assert len(blank) >= 10
    for line in blank:
        assert (line.x0, line.y0) == pytest.approx((full[line.text].x0, full[line.text].y0), abs=1)


def test_a_blank_has_the_template_page_size() -> None:
    spec = cert.TemplateSpec(cert.DEFAULT_BODY, cert.DEFAULT_POSITIONS, 300, 210, 1)

    page = _reader(cert.render_certificates(spec, [values(8)], mode="blank")).pages[0]

    assert float(page.mediabox.width) == pytest.approx(300 * MM, abs=1)
    assert float(page.mediabox.height) == pytest.approx(210 * MM, abs=1)


def _image_boxes(data: bytes) -> list[tuple[float, float, float, float]]:
    """Where each image of page 1 is drawn: (x, y, width, height) in mm from the top-left corner,
    from the transformation in force at each ``Do`` of the content stream."""
    page = _reader(data).pages[0]
    height = float(page.mediabox.height)
    boxes = []

    def visit(operator: bytes, operands: Any, cm: Any, tm: Any) -> None:
        if operator == b"Do":
            a, _b, _c, d, e, f = (float(v) for v in cm)
            boxes.append((e / MM, (height - f - d) / MM, a / MM, d / MM))

    page.extract_text(visitor_operand_before=visit)
    return boxes


# --------------------------------------------------------------------------- the QR code


def _decoded(data: bytes, tmp_path: Path) -> list[str]:
    """The QR codes a reader finds on page 1, printed at 300 dpi (0.46 mm modules, 5 pixels each)."""
    prefix = tmp_path / "page"
    subprocess.run(
        ["pdftoppm", "-png", "-r", "300", "-f", "1", "-l", "1", "-", str(prefix)],
        input=data,
        check=True,
    )
    image = next(tmp_path.glob("page*.png"))
    result = subprocess.run(["zbarimg", "-q", "--raw", str(image)], capture_output=True, text=True)
    return result.stdout.split()


@pytest.mark.parametrize("mode", ["full", "blank"])
def test_the_qr_code_is_the_verify_url(mode: str, tmp_path: Path) -> None:
    item = values(9)
    data = cert.render_certificates(SPEC, [item], mode=mode)

    # The image printed is the code segno makes for the URL, module for module.
    images = _reader(data).pages[0].images
    assert len(images) == 1
    printed = images[0].image.convert("1")
    matrix = segno.make(item["verify_url"], error="m", micro=False, mask=cert.QR_MASK)
    expected = [[bool(m) for m in row] for row in matrix.matrix_iter(border=4)]
    assert printed.size == (len(expected), len(expected))
    assert [
        [printed.getpixel((x, y)) == 0 for x in range(printed.width)] for y in range(printed.height)
    ] == expected
    # And a reader decodes it from the printed page.
    if shutil.which("zbarimg") is None:
        pytest.skip("zbarimg (zbar-tools) is not installed: the printed page was not decoded")
    assert _decoded(data, tmp_path) == [item["verify_url"]]


def test_every_qr_code_of_a_batch_decodes(
    batch: bytes, batch_items: list[dict[str, Any]], tmp_path: Path
) -> None:
    if shutil.which("zbarimg") is None:
        pytest.skip("zbarimg (zbar-tools) is not installed")
    reader = _reader(batch)
    for index in (0, 17, 33, 59):
        single = BytesIO()
        writer = PdfWriter()
        writer.add_page(reader.pages[index])
        writer.write(single)
        folder = tmp_path / str(index)
        folder.mkdir()
        assert _decoded(single.getvalue(), folder) == [batch_items[index]["verify_url"]]


# --------------------------------------------------------------------------- the sandbox and fetcher


@pytest.fixture()
def network_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every URL handed to urllib's opener (the file and network access of WeasyPrint's fetcher)."""
    calls: list[str] = []
    original = OpenerDirector.open

    def record(self, fullurl, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(fullurl if isinstance(fullurl, str) else fullurl.full_url)
        return original(self, fullurl, *args, **kwargs)

    monkeypatch.setattr(OpenerDirector, "open", record)
    return calls


HOSTILE = """
<link rel="attachment" href="file:///etc/passwd">
<link rel="attachment" href="https://example.com/leak.txt">
<link rel="stylesheet" href="http://example.com/x.css">
<img src="file:///etc/passwd" alt="">
<img src="https://example.com/x.png" alt="">
<style>.c-main { background: url(file:///etc/passwd); } .c-head { background: url(http://example.com/y.png); }</style>
"""


def test_the_fetcher_refuses_local_files_remote_urls_and_attachments(
    network_calls: list[str],
) -> None:
    spec = cert.TemplateSpec(cert.DEFAULT_BODY + HOSTILE, cert.DEFAULT_POSITIONS, 297, 210, 4)
    refused: list[str] = []
    original = pdf.SafeURLFetcher.fetch

    def spy(self, url, headers=None):  # type: ignore[no-untyped-def]
        try:
            return original(self, url, headers)
        except pdf.ResourceRefused:
            refused.append(url)
            raise

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pdf.SafeURLFetcher, "fetch", spy)
        data = cert.render_certificates(spec, [values(10)])

    reader = _reader(data)
    assert len(reader.pages) == 1
    assert _embedded_names(reader) == []
    assert [url for url in network_calls if not url.startswith("data:")] == []
    assert {
        "file:///etc/passwd",
        "https://example.com/leak.txt",
        "http://example.com/x.css",
        "https://example.com/x.png",
        "http://example.com/y.png",
    } <= set(refused)
    assert values(10)["recipient"] in page_texts(data)[0]
    passwd = Path("/etc/passwd").read_bytes()
    assert passwd.splitlines()[0] not in data
    assert passwd.splitlines()[0].decode() not in page_texts(data)[0]
    # And the editor refuses to save such a body.
    problems = " ".join(cert.check_template(spec.body, cert.DEFAULT_POSITIONS))
    for marker in (
        "<link>",
        "file:///etc/passwd",
        "https://example.com/x.png",
        "http://example.com/y.png",
    ):
        assert marker in problems


def test_markup_in_values_is_text() -> None:
    payload = '<img src="file:///etc/passwd"><b>đậm</b>'

    data = cert.render_certificates(SPEC, [values(11, recipient=payload)])

    assert _embedded_names(_reader(data)) == []
    assert "".join(payload.split()) in "".join(page_texts(data)[0].split())


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (cert.DEFAULT_BODY + "{{ password }}", "password"),
        (cert.DEFAULT_BODY + "{{ config }}", "config"),
        (cert.DEFAULT_BODY + "{{ recipient ", "cú pháp"),
        (cert.DEFAULT_BODY + "{% for x in recipient %}", "cú pháp"),
        (cert.DEFAULT_BODY + "{{ recipient.__class__ }}", "__class__"),
        (cert.DEFAULT_BODY + "{{ recipient['__class__'] }}", "__class__"),
        (cert.DEFAULT_BODY + "{{ recipient.upper() }}", "gọi hàm"),
        (cert.DEFAULT_BODY + "{{ range(10) }}", "gọi hàm"),
        (cert.DEFAULT_BODY + "{{ recipient|safe }}", "safe"),
        (cert.DEFAULT_BODY + "{{ recipient|attr('x') }}", "attr"),
        (cert.DEFAULT_BODY + "{{ recipient * 1000000 }}", "phép nhân"),
        (cert.DEFAULT_BODY + '{% include "decision.html" %}', "nhúng"),
        (
            cert.DEFAULT_BODY + "{% autoescape false %}{{ recipient }}{% endautoescape %}",
            "autoescape",
        ),
        (cert.DEFAULT_BODY + "{% macro m() %}x{% endmacro %}", "macro"),
        (cert.DEFAULT_BODY + "<script>alert(1)</script>", "<script>"),
        (cert.DEFAULT_BODY + '<iframe src="img/emblem.svg"></iframe>', "<iframe>"),
        (cert.DEFAULT_BODY + "<style>.c-main { color: {{ recipient }} }</style>", "<style>"),
        (cert.DEFAULT_BODY.replace("{{ qr }}", "img/emblem.svg"), "qr"),
        ("   ", "trống"),
    ],
)
def test_check_template_refuses(body: str, message: str) -> None:
    problems = cert.check_template(body, cert.DEFAULT_POSITIONS)

    assert problems
    assert message in " ".join(problems)


def test_rendering_refuses_what_the_sandbox_must_not_run() -> None:
    spec = cert.TemplateSpec(cert.DEFAULT_BODY + "{{ config }}", cert.DEFAULT_POSITIONS)

    with pytest.raises(cert.TemplateRefused, match="config"):
        cert.render_certificates(spec, [values(12)])
    with pytest.raises(cert.TemplateRefused, match="config"):
        cert.render_batch(spec, [values(12)], workers=2)  # at once, before any process starts


def test_the_defaults_and_a_styled_body_pass() -> None:
    styled = "<style>.c-recipient { font-size: 12pt; }</style>\n" + cert.DEFAULT_BODY
    loop = (
        cert.DEFAULT_BODY
        + "{% for line in signer_title_lines %}{{ loop.index }}{{ line|upper }}{% endfor %}"
    )

    assert cert.check_template(cert.DEFAULT_BODY, cert.DEFAULT_POSITIONS) == []
    assert cert.check_template(styled, cert.DEFAULT_POSITIONS) == []
    assert cert.check_template(loop, cert.DEFAULT_POSITIONS) == []
    assert (
        cert.check_template(
            cert.DEFAULT_BODY, cert.DEFAULT_POSITIONS, page_width_mm=300, page_height_mm=210
        )
        == []
    )
    item = values(13)
    plain = {line.text: line for line in lines(cert.render_certificates(SPEC, [item]))}
    data = cert.render_certificates(cert.TemplateSpec(styled, cert.DEFAULT_POSITIONS), [item])
    restyled = {line.text: line for line in lines(data)}
    name = item["recipient"]
    # The body's own style is applied (lifted into the batch's stylesheet): the name is half as tall.
    assert restyled[name].y1 - restyled[name].y0 < 0.6 * (plain[name].y1 - plain[name].y0)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"password": {"x": 1, "y": 1, "w": 10, "size": 12}}, "password"),
        ({"recipient": {"x": 200, "y": 96, "w": 249, "size": 24}}, "ngoài trang"),
        ({"recipient": {"x": 24, "y": 205, "w": 100, "size": 24}}, "ngoài trang"),
        ({"recipient": {"x": -5, "y": 96, "w": 100, "size": 24}}, "ngoài trang"),
        ({"recipient": {"x": "24", "y": 96, "w": 100, "size": 24}}, "phải là một số"),
        ({"recipient": {"x": float("nan"), "y": 96, "w": 100, "size": 24}}, "phải là một số"),
        ({"recipient": {"x": True, "y": 96, "w": 100, "size": 24}}, "phải là một số"),
        ({"recipient": {"x": 24, "y": 96, "w": 100, "size": 200}}, "cỡ chữ"),
        ({"recipient": {"x": 24, "y": 96, "w": 100, "size": 24, "align": "justify"}}, "căn lề"),
        ({"recipient": {"x": 24, "y": 96, "w": 100, "size": 24, "color": "red"}}, "khóa lạ"),
        ({"qr": {"x": 280, "y": 190, "w": 19}}, "ngoài trang"),
        ({"qr": {"x": 20, "y": 20, "w": 5}}, "Mã QR"),
        ({"serial": {"x": 22, "y": 170, "w": 60, "size": 8}}, "chồng lên nhau"),
    ],
)
def test_check_template_refuses_positions(change: dict[str, Any], message: str) -> None:
    positions = cert.DEFAULT_POSITIONS | change

    problems = cert.check_template(cert.DEFAULT_BODY, positions)

    assert message in " ".join(problems), problems


def test_check_template_requires_the_printed_essentials() -> None:
    positions = {k: v for k, v in cert.DEFAULT_POSITIONS.items() if k not in ("serial", "qr")}

    problems = " ".join(cert.check_template(cert.DEFAULT_BODY, positions))

    assert "serial" in problems and "qr" in problems
    assert cert.check_template(cert.DEFAULT_BODY, positions, page_width_mm=100) != []


# --------------------------------------------------------------------------- calibration


def test_the_calibration_page_places_a_box_per_field_with_the_offset() -> None:
    data = cert.calibration_pdf(SPEC, offset=(1.5, -0.5))

    reader = _reader(data)
    assert len(reader.pages) == 1
    text = page_texts(data)[0]
    assert "TRANG CĂN CHỈNH MÁY IN" in text
    assert "giấy trắng thường" in text and "soi ngược sáng" in text
    assert "ngang +1,5 mm, dọc −0,5 mm" in text
    labels = {line.text.split(" (x =")[0]: line for line in lines(data) if "(x =" in line.text}
    assert len(labels) == len(cert.FIELDS)
    recipient = labels[cert.FIELD_LABELS["recipient"]]
    position = cert.DEFAULT_POSITIONS["recipient"]
    assert recipient.x0 == pytest.approx(position["x"] + 1.5 + 1, abs=1)
    assert recipient.y0 == pytest.approx(position["y"] - 0.5 + 0.5, abs=1)
    # The rulers: numbered every 10 mm along the edges.
    numbers = {line.text for line in lines(data)}
    assert {"10", "100", "200", "290"} <= numbers


def test_sample_item_renders_in_both_modes() -> None:
    item = cert.certificate_item(cert.sample_item())

    for mode in cert.MODES:
        text = page_texts(cert.render_certificates(SPEC, [item], mode=mode))[0]
        assert "Bà Nguyễn Thị Phượng" in text
        assert "Số sổ vàng: 17" in text
