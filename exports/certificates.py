"""Certificates (Giấy khen, Bằng khen) as PDF, from plain data: the full design and the blank overlay.

A certificate template (``TemplateSpec``) is what the board edits: ``body``, the full design's HTML as a
Jinja template that may use only the placeholders of ``PLACEHOLDERS``; ``positions``, where each variable
field of ``FIELDS`` goes on a pre-printed blank (millimetres from the page's top-left corner); the page
size. ``check_template`` says in Vietnamese what is wrong with an edited template before it is saved.

Two modes (DOMAIN.md §6, DESIGN.md §5):

- ``"full"``: the whole certificate on plain paper (digital copies): the frame (the decorative border
  ``static/img/certificate-border.svg`` and the emblem ``static/img/emblem.svg`` at top centre), drawn
  once per PDF and placed under every page, and the body with all the text, laid out by
  ``static/css/certificate.css``.
- ``"blank"``: only the variable text, each field absolutely placed at its position plus the printer's
  offset, for the pre-printed blanks (phôi) offices print on; ``calibration_pdf`` prints the positions as
  boxes on a ruled page so a printer's offset can be measured.

Values are plain dicts (``certificate_item`` completes them: the QR code of ``verify_url``, NFC text), so
a certificate can be printed again exactly from the values stored with its print. The body is rendered
by the sandboxed, autoescaping environment of ``exports.pdf`` (values are text, never markup), from a
string, and WeasyPrint fetches through ``exports.pdf.SafeURLFetcher`` (the app's static files and
``data:`` URLs only), with presentational hints off. A static ``<style>`` in the body is lifted out into
the batch's shared stylesheet: WeasyPrint would otherwise parse it again for every certificate.

Speed (ENGINEERING.md; ``benchmarks/certificates.py`` measures it): one parsed stylesheet and one font
configuration per process; a chunk of about 50 certificates laid out as ONE HTML document with a page
per certificate (27.5 certificates/s in one process, against 20.6 for a document per certificate with
the pages joined by copying); chunks spread over worker processes by ``render_batch``; fonts subset by
HarfBuzz; the frame drawn once per PDF (WeasyPrint draws an SVG image again on every page: it cost as
much as the text); the QR code a PNG with one mask pattern (``qr_data_uri``); few boxes per page.

Long names and citations never leave their area: each variable text gets a smaller size, by steps down
to 40%, when an estimate of its width (Liberation Serif's advance widths) says it would need more lines
than its area holds; past that its area clips it.
"""

from __future__ import annotations

import base64
import math
import multiprocessing
import re
import unicodedata
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from html.parser import HTMLParser
from io import BytesIO
from itertools import islice
from typing import Any

import jinja2
import segno
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from jinja2 import meta, nodes
from markupsafe import Markup
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DecodedStreamObject, DictionaryObject, NameObject

from exports import pdf

NATION = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"

FULL_TEMPLATE = "certificate.html"
FRAME_TEMPLATE = "certificate-frame.html"
FRAME_NAME = "/KtsFrame"  # the frame's name in a page's resources (WeasyPrint names its own i…, x…)
BLANK_TEMPLATE = "certificate-blank.html"
CALIBRATION_TEMPLATE = "certificate-calibration.html"
FULL_STYLESHEET = "css/certificate.css"
BLANK_STYLESHEET = "css/certificate-blank.css"
CALIBRATION_STYLESHEET = "css/certificate-calibration.css"
MODES = ("full", "blank")

QR_MASK: int | None = 0  # the checkerboard (no long runs of one colour); None: segno picks the best
CHUNK = 50  # certificates per WeasyPrint document: fast, and memory stays flat (ENGINEERING.md)
WORKERS = 2
BODY_MAX = 100_000

PLACEHOLDERS: dict[str, Any] = {
    "nation": _l("Quốc hiệu: CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"),
    "motto": _l("Tiêu ngữ: Độc lập - Tự do - Hạnh phúc"),
    "awarding_title": _l("Chức danh người tặng, chữ in hoa (GIÁM ĐỐC SỞ NỘI VỤ TỈNH BẮC NINH)"),
    "award_title": _l("Tên hình thức khen thưởng, chữ in hoa (GIẤY KHEN, BẰNG KHEN)"),
    "recipient": _l("Người hoặc tập thể được tặng (Bà Nguyễn Thị Phượng)"),
    "position_unit": _l("Chức vụ, đơn vị của người được tặng; đơn vị cấp trên của tập thể"),
    "citation": _l("Thành tích được khen thưởng"),
    "decision_line": _l("Số, ngày quyết định (Quyết định số 1234/QĐ-UBND ngày 05/10/2025)"),
    "golden_book_line": _l("Số sổ vàng (Số sổ vàng: 17)"),
    "place_date": _l("Địa danh, ngày tháng năm ký (Bắc Ninh, ngày 05 tháng 10 năm 2025)"),
    "signer_title_lines": _l(
        "Các dòng chức danh người ký, chữ in hoa (KT. CHỦ TỊCH / PHÓ CHỦ TỊCH)"
    ),
    "signer_name": _l("Họ và tên người ký"),
    "serial": _l("Số hiệu giấy chứng nhận"),
    "code": _l("Mã xác thực (in dưới mã QR)"),
    "verify_url": _l("Địa chỉ trang xác thực"),
    "qr": _l("Mã QR của địa chỉ xác thực (dùng làm src của thẻ img)"),
}

# The variable fields of a blank, in the order the editor lists them.
FIELDS: tuple[str, ...] = (
    "recipient",
    "position_unit",
    "citation",
    "decision_line",
    "golden_book_line",
    "place_date",
    "signer_title_lines",
    "signer_name",
    "serial",
    "code",
    "qr",
)
# Short names of the fields, printed on the calibration page (document text: not translated).
FIELD_LABELS = {
    "recipient": "Người được tặng",
    "position_unit": "Chức vụ, đơn vị",
    "citation": "Thành tích",
    "decision_line": "Số, ngày quyết định",
    "golden_book_line": "Số sổ vàng",
    "place_date": "Địa danh, ngày tháng",
    "signer_title_lines": "Chức danh người ký",
    "signer_name": "Người ký",
    "serial": "Số hiệu",
    "code": "Mã xác thực",
    "qr": "Mã QR",
}
# What every certificate prints (the issue: serial, golden-book number, QR of the verification page).
REQUIRED = ("recipient", "golden_book_line", "serial", "qr")
SQUARE_FIELDS = frozenset({"qr"})
# A blank prints each value as the full design does: serial and code with the labels no pre-printed
# blank carries (the other values carry theirs: "Số sổ vàng: 17").
BLANK_LABELS = {"serial": "Số hiệu: ", "code": "Mã xác thực: "}
# Lines a field may take on a blank before its text is made smaller (other fields: one line; a name
# on two lines would run into the field under it).
FIELD_LINES = {"citation": 3, "signer_title_lines": 3}
LINE_HEIGHT = 1.2  # of the blank's fields (certificate-blank.css)

DEFAULT_BODY = """\
{#- The full design of a certificate (DOMAIN.md §6), on the page of static/css/certificate.css:
    head, main and foot are its three areas; the frame (border, emblem at top centre) is drawn under
    every page. -#}
<div class="c-head">
  <p class="c-nation">{{ nation }}</p>
  <p class="c-motto">{{ motto }}</p>
  <p class="c-awarding">{{ awarding_title }}</p>
  <p class="c-give">TẶNG</p>
  <p class="c-award">{{ award_title }}</p>
</div>
<div class="c-main">
  <p class="c-recipient">{{ recipient }}</p>
  <p class="c-position">{{ position_unit }}</p>
  <p class="c-citation">{{ citation }}</p>
</div>
<div class="c-foot">
  <div class="c-left">
    <p class="c-decision">{{ decision_line }}</p>
    <p class="c-golden-book">{{ golden_book_line }}</p>
    <img class="c-qr" src="{{ qr }}" alt="">
    <p class="c-serial">Số hiệu: {{ serial }}</p>
    <p class="c-serial">Mã xác thực: {{ code }}</p>
  </div>
  <div class="c-signature">
    <p class="c-place-date">{{ place_date }}</p>
    <div class="c-signer-title">
      {% for line in signer_title_lines %}
      <p>{{ line }}</p>
      {% endfor %}
    </div>
    <p class="c-signer-name">{{ signer_name }}</p>
  </div>
</div>
"""


# Where the full design prints each field on A4 landscape (a one-line name and position, a two-line
# citation), so the default overlay fits a blank that is the full design without its variable text.
# x, y: the top-left corner of the field's first line, in mm from the page's top-left corner; w: the
# width it is aligned in; size in pt. The QR code: its top-left corner and side.
def _text(
    x: float, y: float, w: float, size: float, align: str = "left", **style: bool
) -> dict[str, Any]:
    return {"x": x, "y": y, "w": w, "size": size, "align": align} | {
        "bold": style.get("bold", False),
        "italic": style.get("italic", False),
    }


DEFAULT_POSITIONS: dict[str, dict[str, Any]] = {
    "recipient": _text(24, 96, 249, 24, "center", bold=True),
    "position_unit": _text(24, 108.7, 249, 15, "center"),
    "citation": _text(24, 117.6, 249, 15, "center", italic=True),
    "decision_line": _text(22, 146, 125, 13, bold=True, italic=True),
    "golden_book_line": _text(22, 151.5, 125, 13, bold=True, italic=True),
    "place_date": _text(160, 146, 115, 13, "center", italic=True),
    "signer_title_lines": _text(160, 151.5, 115, 13, "center", bold=True),
    "signer_name": _text(160, 183.5, 115, 14, "center", bold=True),
    "serial": _text(22, 185.1, 100, 8),
    "code": _text(22, 188.6, 100, 8),
    "qr": {"x": 22, "y": 165.5, "w": 19},
}

# The full design's areas for the variable text, as certificate.css lays them out on A4 landscape:
# CSS selector, size (pt), width (mm), lines, bold. The fit rules made from them shrink a long text.
FULL_FIT: dict[str, tuple[str, float, float, int, bool]] = {
    "awarding_title": (".c-awarding", 15, 257, 1, True),
    "award_title": (".c-award", 36, 240, 1, True),
    "recipient": (".c-recipient", 24, 249, 2, True),
    "position_unit": (".c-position", 15, 249, 2, False),
    "citation": (".c-citation", 15, 249, 3, False),
    "decision_line": (".c-decision", 13, 125, 1, True),
    "signer_name": (".c-signer-name", 14, 115, 1, True),
}
FIT_STEPS = (90, 80, 70, 60, 50, 40)  # per cent of the field's size
# The main area (.c-main): its height, the gaps between its paragraphs, its texts.
MAIN_HEIGHT_MM = 59
MAIN_GAPS_MM = 5
MAIN_FIELDS = ("recipient", "position_unit", "citation")
MAIN_PAD_MAX = 20
MM_PER_PT = 25.4 / 72

# Tags a template body may not contain: they load resources, run code or restyle the document head.
REFUSED_TAGS = frozenset(
    {"base", "embed", "frame", "frameset", "iframe", "link", "meta", "object", "script", "form"}
)
URL_ATTRIBUTES = frozenset({"src", "href", "data", "poster", "srcset", "xlink:href", "background"})
# Filters that only reshape a value's text (no |safe, |attr, |format, |center, |indent…).
ALLOWED_FILTERS = frozenset(
    {"capitalize", "count", "d", "default", "e", "escape", "first", "join", "last", "length"}
    | {"lower", "replace", "string", "title", "trim", "truncate", "upper", "wordcount"}
)
STYLE_BLOCK = re.compile(r"<style\b[^>]*>(.*?)</style\s*>", re.IGNORECASE | re.DOTALL)
JINJA_MARK = re.compile(r"\{[{%#]")
CSS_URL = re.compile(r"""url\(\s*['"]?([^'")\s]*)|@import\s+['"]([^'"]*)""", re.IGNORECASE)


@dataclass(frozen=True)
class TemplateSpec:
    """A certificate template as plain data (``awards.certificates.spec_of`` builds it from a version)."""

    body: str
    positions: Mapping[str, Mapping[str, Any]]
    page_width_mm: float = 297
    page_height_mm: float = 210
    version: int = 0


class TemplateRefused(ValueError):
    """The template cannot be rendered; ``problems`` are ``check_template``'s messages."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__(" ".join(problems))
        self.problems = list(problems)


# --------------------------------------------------------------------------- values


def sample_item() -> dict[str, Any]:
    """The values of a realistic certificate, for the editor's live preview (no QR yet)."""
    code = "K7Q2M4XP9ZTRH3WD"
    return {
        "nation": NATION,
        "motto": MOTTO,
        "awarding_title": "GIÁM ĐỐC SỞ NỘI VỤ TỈNH BẮC NINH",
        "award_title": "GIẤY KHEN",
        "recipient": "Bà Nguyễn Thị Phượng",
        "position_unit": "Trưởng phòng Công nghệ thông tin, Sở Thông tin và Truyền thông tỉnh Bắc Ninh",
        "citation": "Đã có thành tích xuất sắc trong phong trào thi đua “Chuyển đổi số trên địa bàn "
        "tỉnh Bắc Ninh giai đoạn 2024 – 2025”",
        "decision_line": "Quyết định số 1234/QĐ-SNV ngày 05/10/2025",
        "golden_book_line": "Số sổ vàng: 17",
        "place_date": "Bắc Ninh, ngày 05 tháng 10 năm 2025",
        "signer_title_lines": ["GIÁM ĐỐC"],
        "signer_name": "Trần Minh Đức",
        "serial": "GK-2025-000017",
        "code": code,
        "verify_url": f"https://khenthuong.bacninh.gov.vn/verify/{code}",
    }


def qr_data_uri(url: str) -> str:
    """The QR code of ``url`` as a PNG ``data:`` URI: one pixel per module, error correction M or better,
    the standard quiet zone of 4 modules. The layout sizes it in millimetres and turns smoothing off
    (``image-rendering: pixelated``), so every module prints as a sharp square at any resolution.

    PNG rather than SVG: WeasyPrint embeds a raster image as is, while it parses and draws an SVG path
    of a few hundred segments again on every page. One mask pattern (``QR_MASK``) rather than the best
    of eight: segno scores the eight in Python, 4 of the 5 ms a code takes, a fifth of a certificate;
    readers decode every mask (the tests decode the printed codes).
    """
    output = BytesIO()
    code = segno.make(url, error="m", micro=False, mask=QR_MASK)
    code.save(output, kind="png", border=4, scale=1)
    return "data:image/png;base64," + base64.b64encode(output.getvalue()).decode("ascii")


def certificate_item(values: Mapping[str, Any]) -> dict[str, Any]:
    """The values of ``PLACEHOLDERS`` from ``values``, ready to render: text in NFC (text typed in
    decomposed form would otherwise stay decomposed in the PDF), the national name and motto when
    missing, and ``qr`` made from ``verify_url`` unless given. Raises ``ValueError`` naming missing
    values."""
    item: dict[str, Any] = {"nation": NATION, "motto": MOTTO}
    for name in PLACEHOLDERS:
        if name in values and values[name] is not None:
            item[name] = _nfc(values[name])
    missing = [name for name in PLACEHOLDERS if name not in item and name != "qr"]
    if missing:
        raise ValueError(f"certificate values missing: {', '.join(missing)}")
    if "qr" not in item:
        item["qr"] = qr_data_uri(item["verify_url"])
    return item


def _nfc(value: Any) -> Any:
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, list | tuple):
        return [_nfc(part) for part in value]
    return str(value) if isinstance(value, int) else value


# --------------------------------------------------------------------------- checking a template


def check_template(
    body: str,
    positions: Mapping[str, Any],
    *,
    page_width_mm: float = 297,
    page_height_mm: float = 210,
) -> list[str]:
    """What is wrong with a template, as messages for the board ([] when it can be saved).

    The body: Jinja syntax; placeholders outside ``PLACEHOLDERS``; Jinja that reaches beyond the values
    (function calls, includes, private attributes, filters outside a short list such as ``|safe``,
    autoescape switched off, ``*``/``**`` that could build huge strings); a body that leaves out the
    recipient, the golden-book number, the serial or the QR code; HTML that loads resources from
    elsewhere (``<link>``, ``<script>``, ``<iframe>``…, URLs other than ``img/…`` or ``data:``) or a
    ``<style>`` with placeholders in it. The positions: unknown fields, missing required ones, values
    that are not numbers, fields that leave the page or overlap (a field's box is its lines: one, three
    for the citation and the signer's title).
    """
    sandbox, resources = _body_problems(body)
    return sandbox + resources + _check_positions(positions, page_width_mm, page_height_mm)


def _body_problems(body: str) -> tuple[list[str], list[str]]:
    """The body's problems in two lists: what the sandbox must not run (refused at render time too),
    and resources from elsewhere (refused on saving; at render time the fetcher leaves them out)."""
    if not body.strip():
        return [_("Nội dung mẫu đang trống.")], []
    if len(body) > BODY_MAX:
        return [_("Nội dung mẫu dài quá %(n)d ký tự.", n=BODY_MAX)], []
    styles = STYLE_BLOCK.findall(body)
    markup = STYLE_BLOCK.sub("", body)
    try:
        tree = pdf.environment().parse(markup)
    except jinja2.TemplateSyntaxError as error:
        message = _(
            "Lỗi cú pháp mẫu ở dòng %(line)s: %(message)s", line=error.lineno, message=error.message
        )
        return [message], []
    sandbox = [
        problem for node in tree.find_all(_REFUSED_NODES) if (problem := _jinja_problem(node))
    ]
    unknown = sorted(meta.find_undeclared_variables(tree) - set(PLACEHOLDERS))
    if unknown:
        sandbox.append(
            _(
                "Mẫu dùng trường không có trong danh sách: %(names)s. Hãy chỉ dùng các trường trong bảng.",
                names=", ".join(unknown),
            )
        )
    used = {node.name for node in tree.find_all(nodes.Name) if node.ctx == "load"}
    missing = [name for name in REQUIRED if name not in used]
    if missing:
        sandbox.append(_("Mẫu phải in các trường: %(names)s.", names=", ".join(missing)))
    resources = []
    for css in styles:
        if JINJA_MARK.search(css):
            sandbox.append(_("Khối <style> không được chứa trường dữ liệu hay lệnh của mẫu."))
        resources += [_url_problem(url) for url in _css_urls(css) if not _allowed_url(url)]
    resources += _check_html(markup)
    return list(dict.fromkeys(sandbox)), list(dict.fromkeys(resources))


_REFUSED_NODES = (
    nodes.Call,
    nodes.Include,
    nodes.Import,
    nodes.FromImport,
    nodes.Extends,
    nodes.Getattr,
    nodes.Getitem,
    nodes.Filter,
    nodes.Test,
    nodes.Mul,
    nodes.Pow,
    nodes.EvalContextModifier,
    nodes.Macro,
    nodes.CallBlock,
)


def _jinja_problem(node: nodes.Node) -> str | None:
    if isinstance(node, nodes.Getattr | nodes.Getitem):
        name = node.attr if isinstance(node, nodes.Getattr) else getattr(node.arg, "value", None)
        if isinstance(name, str) and name.startswith("_"):
            return _("Mẫu không được đọc thuộc tính ẩn (%(name)s).", name=name)
        return None
    if isinstance(node, nodes.Filter):
        if node.name in ALLOWED_FILTERS:
            return None
        return _("Mẫu không được dùng bộ lọc “%(name)s”.", name=node.name)
    if isinstance(node, nodes.Test):
        return None
    if isinstance(node, nodes.Include | nodes.Import | nodes.FromImport | nodes.Extends):
        return _("Mẫu không được nhúng hay kế thừa mẫu khác.")
    if isinstance(node, nodes.EvalContextModifier):
        return _("Mẫu không được tắt cơ chế thoát ký tự (autoescape).")
    if isinstance(node, nodes.Mul | nodes.Pow):
        return _("Mẫu không được dùng phép nhân hay lũy thừa.")
    return _("Mẫu không được gọi hàm hay định nghĩa macro; hãy chỉ dùng các trường và bộ lọc.")


def _css_urls(css: str) -> list[str]:
    return [first or second for first, second in CSS_URL.findall(css)]


def _allowed_url(url: str) -> bool:
    """Static images (``img/…``), ``data:`` URLs and placeholders: what a body may point to."""
    url = url.strip()
    if url.startswith("{{") or url.startswith("data:") or url == "":
        return True
    return bool(re.fullmatch(r"img/[A-Za-z0-9_.\-/]+", url)) and ".." not in url


def _url_problem(url: str) -> str:
    return _(
        "Mẫu chỉ được dùng hình trong thư mục img/ của ứng dụng hoặc mã QR; địa chỉ bị từ chối: %(url)s",
        url=url[:80],
    )


class _HTMLCheck(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in REFUSED_TAGS:
            self.problems.append(_("Mẫu không được dùng thẻ <%(tag)s>.", tag=tag))
        for name, value in attrs:
            if value is None:
                continue
            if name in URL_ATTRIBUTES and not _allowed_url(value):
                self.problems.append(_url_problem(value))
            elif name == "style":
                self.problems += [
                    _url_problem(url) for url in _css_urls(value) if not _allowed_url(url)
                ]


def _check_html(markup: str) -> list[str]:
    checker = _HTMLCheck()
    checker.feed(markup)
    checker.close()
    return checker.problems


def _check_positions(
    positions: Mapping[str, Any], page_width: float, page_height: float
) -> list[str]:
    if not isinstance(positions, Mapping):
        return [_("Vị trí các trường phải là một bảng trường → vị trí.")]
    problems = []
    unknown = sorted(set(positions) - set(FIELDS))
    if unknown:
        problems.append(
            _("Không có trường nào tên là: %(names)s.", names=", ".join(map(str, unknown)))
        )
    missing = [name for name in REQUIRED if name not in positions]
    if missing:
        problems.append(_("Thiếu vị trí của các trường: %(names)s.", names=", ".join(missing)))
    for name in FIELDS:
        if name in positions:
            problems += _check_position(name, positions[name], page_width, page_height)
    if not problems:
        problems += _overlaps(positions)
    return problems


def _box(name: str, position: Mapping[str, Any]) -> tuple[float, float, float, float]:
    x, y, w = float(position["x"]), float(position["y"]), float(position["w"])
    height = w if name in SQUARE_FIELDS else _field_height_mm(name, float(position.get("size", 14)))
    return x, y, x + w, y + height


def _overlaps(positions: Mapping[str, Any]) -> list[str]:
    """Fields whose boxes (their lines, or the QR code's square) overlap: one would print over the
    other."""
    boxes = [(name, _box(name, positions[name])) for name in FIELDS if name in positions]
    problems = []
    for index, (first, a) in enumerate(boxes):
        for second, b in boxes[index + 1 :]:
            if a[0] < b[2] - 0.1 and b[0] < a[2] - 0.1 and a[1] < b[3] - 0.1 and b[1] < a[3] - 0.1:
                problems.append(
                    _(
                        "“%(first)s” và “%(second)s” chồng lên nhau: hãy dời một trường.",
                        first=_label(first),
                        second=_label(second),
                    )
                )
    return problems


def _label(name: str) -> str:
    """A field's name for the board: its description without the example."""
    return str(PLACEHOLDERS[name]).split(" (")[0]


def _check_position(name: str, position: Any, page_width: float, page_height: float) -> list[str]:
    label = _label(name)
    if not isinstance(position, Mapping):
        return [_("Vị trí của “%(field)s” không hợp lệ.", field=label)]
    square = name in SQUARE_FIELDS
    keys = {"x", "y", "w"} if square else {"x", "y", "w", "size", "align", "bold", "italic"}
    problems = []
    extra = sorted(set(position) - keys)
    if extra:
        problems.append(
            _("Vị trí của “%(field)s” có khóa lạ: %(keys)s.", field=label, keys=", ".join(extra))
        )
    numbers = {}
    for key in ("x", "y", "w") if square else ("x", "y", "w", "size"):
        value = position.get(key, 14 if key == "size" else None)
        if not _is_number(value):
            problems.append(_("“%(field)s”: %(key)s phải là một số.", field=label, key=key))
        else:
            numbers[key] = float(value)
    if not square:
        if position.get("align", "left") not in ("left", "center", "right"):
            problems.append(_("“%(field)s”: căn lề phải là trái, giữa hoặc phải.", field=label))
        for key in ("bold", "italic"):
            if not isinstance(position.get(key, False), bool):
                problems.append(
                    _("“%(field)s”: %(key)s phải là có hoặc không.", field=label, key=key)
                )
    if len(numbers) < len(keys & {"x", "y", "w", "size"}):
        return problems
    x, y, w = numbers["x"], numbers["y"], numbers["w"]
    if square:
        low, high = 15, 60
        height = w
        if not low <= w <= high:
            problems.append(
                _("Mã QR phải có cạnh từ %(low)d đến %(high)d mm để quét được.", low=low, high=high)
            )
    else:
        size = numbers["size"]
        if not 6 <= size <= 72:
            problems.append(_("“%(field)s”: cỡ chữ phải từ 6 đến 72 pt.", field=label))
        if w <= 0:
            problems.append(_("“%(field)s”: chiều rộng phải lớn hơn 0.", field=label))
        height = _field_height_mm(name, size)
    if x < 0 or y < 0 or x + w > page_width + 1e-6 or y + height > page_height + 1e-6:
        problems.append(
            _(
                "“%(field)s” nằm ngoài trang (%(width)s × %(height)s mm): hãy sửa vị trí hoặc khổ giấy.",
                field=label,
                width=_mm_text(page_width),
                height=_mm_text(page_height),
            )
        )
    return problems


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _mm_text(value: float) -> str:
    return f"{value:g}".replace(".", ",")


def _field_height_mm(name: str, size: float) -> float:
    return FIELD_LINES.get(name, 1) * LINE_HEIGHT * size * MM_PER_PT


# --------------------------------------------------------------------------- rendering


@dataclass(frozen=True)
class _Compiled:
    template: jinja2.Template
    css: str  # the body's static <style> blocks


@lru_cache(maxsize=16)
def _compile(body: str) -> _Compiled:
    """The body as a sandboxed template, once per process for each body. Raises ``TemplateRefused``
    for what the sandbox must not run (syntax, unknown placeholders, calls, includes…). Resources from
    elsewhere are left to the fetcher, so a template saved before a rule was added still prints."""
    sandbox, _resources = _body_problems(body)
    if sandbox:
        raise TemplateRefused(sandbox)
    css = "\n".join(STYLE_BLOCK.findall(body))
    return _Compiled(pdf.environment().from_string(STYLE_BLOCK.sub("", body)), css)


def render_certificates(
    spec: TemplateSpec,
    items: Sequence[Mapping[str, Any]],
    *,
    mode: str = "full",
    offset: tuple[float, float] = (0, 0),
) -> bytes:
    """One PDF, one page per item in order, laid out as one WeasyPrint document (call it per chunk of
    about 50, or use ``render_batch``). ``offset`` (mm, right and down) moves a blank's fields; the full
    design ignores it. Raises ``TemplateRefused`` for a body that cannot be rendered."""
    if mode not in MODES:
        raise ValueError(f"unknown certificate mode: {mode}")
    if not items:
        raise ValueError("render_certificates needs at least one item")
    completed = [certificate_item(item) for item in items]
    if mode == "full":
        compiled = _compile(spec.body)
        # The sandbox's output is markup whose values are escaped (autoescape): safe to insert.
        pages = [
            {"html": Markup(compiled.template.render(**item)), "classes": _fit_classes(item)}  # noqa: S704
            for item in completed
        ]
        html = pdf.document_html(FULL_TEMPLATE, {"pages": pages, "title": _title(completed)})
        sheets: list[Any] = [FULL_STYLESHEET, pdf.css_from_string(_full_css(spec, compiled.css))]
        text = pdf.document(html, sheets).write_pdf()
        return _under_every_page(text, _frame_pdf(spec.page_width_mm, spec.page_height_mm))
    pages = [_blank_page(spec, item) for item in completed]
    html = pdf.document_html(BLANK_TEMPLATE, {"pages": pages, "title": _title(completed)})
    sheets = [BLANK_STYLESHEET, pdf.css_from_string(_blank_css(spec, offset))]
    return pdf.document(html, sheets).write_pdf()


@lru_cache(maxsize=4)
def _frame_pdf(width_mm: float, height_mm: float) -> bytes:
    """The full design's frame, the same on every certificate (the border and the emblem at top
    centre), as a one-page PDF of the page size: laid out once per process."""
    spec = TemplateSpec("", {}, width_mm, height_mm)
    html = pdf.document_html(FRAME_TEMPLATE, {})
    return pdf.document(html, [FULL_STYLESHEET, pdf.css_from_string(_page_css(spec))]).write_pdf()


def _under_every_page(document: bytes, frame: bytes) -> bytes:
    """``document`` with the one page of ``frame`` drawn under each of its pages, as one shared form.

    WeasyPrint draws an SVG image again on every page it appears on (its paths parsed and transformed
    in Python each time); the border and emblem cost as much as the text of a certificate that way.
    As a form XObject they are written once per PDF and each page only refers to them.
    """
    writer = PdfWriter(clone_from=PdfReader(BytesIO(document)))
    frame_page = PdfReader(BytesIO(frame)).pages[0]
    form = DecodedStreamObject()
    form.set_data(frame_page.get_contents().get_data())
    form.update(
        {
            NameObject("/Type"): NameObject("/XObject"),
            NameObject("/Subtype"): NameObject("/Form"),
            NameObject("/BBox"): frame_page.mediabox,
            NameObject("/Resources"): frame_page["/Resources"].clone(writer),
        }
    )
    # pypdf has no public call that makes an object indirect; streams must be.
    form_reference = writer._add_object(form.flate_encode())
    prefix = DecodedStreamObject()
    prefix.set_data(f"q {FRAME_NAME} Do Q\n".encode())
    prefix_reference = writer._add_object(prefix)
    for page in writer.pages:
        resources = page["/Resources"]
        if "/XObject" not in resources:
            resources[NameObject("/XObject")] = DictionaryObject()
        resources["/XObject"][NameObject(FRAME_NAME)] = form_reference
        page[NameObject("/Contents")] = ArrayObject([prefix_reference, page.raw_get("/Contents")])
    output = BytesIO()
    writer.write(output)
    return output.getvalue()


def _title(items: Sequence[Mapping[str, Any]]) -> str:
    first = items[0]
    if len(items) == 1:
        return f"{first['award_title'].capitalize()} {first['serial']}"
    return f"{first['award_title'].capitalize()} {first['serial']} – {items[-1]['serial']}"


def _page_css(spec: TemplateSpec) -> str:
    width, height = spec.page_width_mm, spec.page_height_mm
    return (
        f"@page {{ size: {width:g}mm {height:g}mm; margin: 0; }}\n"
        f".certificate {{ width: {width:g}mm; height: {height:g}mm; }}\n"
    )


def _full_css(spec: TemplateSpec, body_css: str) -> str:
    """Page size, the fit steps of the full design's variable text, the main area's top paddings,
    and the body's own styles."""
    rules = [_page_css(spec)]
    for name, (selector, size, _width, _lines, _bold) in FULL_FIT.items():
        rules += [
            f".fit-{name.replace('_', '-')}-{step} {selector} {{ font-size: {size * step / 100:.2f}pt; }}\n"
            for step in FIT_STEPS
        ]
    rules += [
        f".main-pad-{mm} .c-main {{ padding-top: {mm}mm; }}\n" for mm in range(1, MAIN_PAD_MAX + 1)
    ]
    rules.append(body_css)
    return "".join(rules)


def _fit_classes(item: Mapping[str, Any]) -> str:
    """The classes a page of the full design gets from its texts: the fit step of each variable text
    (``fit-recipient-80``) and the padding that centres the main area's estimated lines
    (``main-pad-12``)."""
    classes = []
    main_height = MAIN_GAPS_MM
    for name, (_selector, size, width, lines, bold) in FULL_FIT.items():
        text = str(item.get(name, ""))
        step = _fit_step(text, size, width, lines, bold=bold)
        if step < 100:
            classes.append(f"fit-{name.replace('_', '-')}-{step}")
        if name in MAIN_FIELDS:
            used = min(lines, _lines_needed(text, size * step / 100, width, bold=bold))
            main_height += used * size * step / 100 * LINE_HEIGHT * MM_PER_PT
    pad = min(MAIN_PAD_MAX, int((MAIN_HEIGHT_MM - main_height) / 2))
    if pad > 0:
        classes.append(f"main-pad-{pad}")
    return " ".join(classes)


def _blank_css(spec: TemplateSpec, offset: tuple[float, float]) -> str:
    """Page size, and each field's box at its position plus the printer's offset, with its fit steps."""
    dx, dy = float(offset[0]), float(offset[1])
    rules = [_page_css(spec)]
    for name, position in spec.positions.items():
        if name not in FIELDS:
            continue
        css = name.replace("_", "-")
        x, y, w = float(position["x"]) + dx, float(position["y"]) + dy, float(position["w"])
        box = f"left: {x:.2f}mm; top: {y:.2f}mm; width: {w:.2f}mm;"
        if name in SQUARE_FIELDS:
            rules.append(f".f-{css} {{ {box} height: {w:.2f}mm; }}\n")
            continue
        size = float(position.get("size", 14))
        rules.append(
            f".f-{css} {{ {box} height: {_field_height_mm(name, size):.2f}mm; "
            f"font-size: {size:.2f}pt; text-align: {position.get('align', 'left')}; "
            f"font-weight: {'bold' if position.get('bold') else 'normal'}; "
            f"font-style: {'italic' if position.get('italic') else 'normal'}; }}\n"
        )
        rules += [
            f".f-{css}.fit-{step} {{ font-size: {size * step / 100:.2f}pt; }}\n"
            for step in FIT_STEPS
        ]
    return "".join(rules)


def _blank_page(spec: TemplateSpec, item: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The fields of one certificate on a blank: text (with its fit step), lines, or an image."""
    fields = []
    for name, position in spec.positions.items():
        if name not in FIELDS:
            continue
        field: dict[str, Any] = {"css": name.replace("_", "-")}
        value = item[name]
        if name in SQUARE_FIELDS:
            field["src"] = value
        elif isinstance(value, list):
            field["lines"] = value
        else:
            text = BLANK_LABELS.get(name, "") + value
            step = _fit_step(
                text,
                float(position.get("size", 14)),
                float(position["w"]),
                FIELD_LINES.get(name, 1),
                bold=bool(position.get("bold")),
            )
            field |= {"text": text, "fit": f"fit-{step}" if step < 100 else ""}
        fields.append(field)
    return fields


# Advance widths of Liberation Serif Bold (the widest face), in em, by character: an estimate of how
# long a text prints, to choose its size before WeasyPrint lays it out.
_NARROW = dict.fromkeys(" .,'", 0.25) | dict.fromkeys("ijlt:;/", 0.3) | dict.fromkeys("fr-()", 0.4)
_WIDE = {"m": 0.83, "w": 0.72, "M": 0.94, "W": 1.0, "I": 0.39, "J": 0.5, "đ": 0.56, "Đ": 0.72}


def _width_em(text: str) -> float:
    width = 0.0
    for char in text:
        if char in _WIDE:
            width += _WIDE[char]
            continue
        base = unicodedata.normalize("NFD", char)[0]
        if base in _NARROW:
            width += _NARROW[base]
        elif base in _WIDE:
            width += _WIDE[base]
        elif base.isupper():
            width += 0.75
        elif base.isdigit():
            width += 0.5
        elif base.isalpha():
            width += 0.54
        else:
            width += 0.5
    return width


def _text_mm(text: str, size_pt: float, *, bold: bool) -> float:
    return _width_em(text) * (1.0 if bold else 0.94) * size_pt * MM_PER_PT


def _fit_step(text: str, size_pt: float, width_mm: float, lines: int, *, bold: bool) -> int:
    """The largest step (per cent of ``size_pt``) at which ``text`` fits in ``lines`` lines of
    ``width_mm``; the last step when even that is too long (the area then clips it)."""
    if not text:
        return 100
    needed_mm = _text_mm(text, size_pt, bold=bold)
    # Wrapping wastes the end of each line but the last: count a line as 90% full.
    capacity_mm = width_mm * (1 if lines == 1 else 0.9 * lines)
    for step in (100, *FIT_STEPS):
        if needed_mm * step / 100 <= capacity_mm:
            return step
    return FIT_STEPS[-1]


def _lines_needed(text: str, size_pt: float, width_mm: float, *, bold: bool) -> int:
    if not text:
        return 0
    return max(1, math.ceil(_text_mm(text, size_pt, bold=bold) / (width_mm * 0.95)))


# --------------------------------------------------------------------------- batches


def render_batch(
    spec: TemplateSpec,
    items: Sequence[Mapping[str, Any]],
    *,
    mode: str = "full",
    offset: tuple[float, float] = (0, 0),
    chunk: int = CHUNK,
    workers: int = WORKERS,
) -> Iterator[bytes]:
    """One PDF per chunk of ``chunk`` items, yielded in order; ``join_pdfs`` makes them one file.

    Chunks are rendered in ``workers`` processes (each builds its stylesheets and fonts once); at most
    two chunks per worker wait to be taken, so memory stays flat for any number of items. With
    ``workers=1`` everything runs in this process. The processes come from a fork server (started on
    the first batch of a process, about 2 s): forking the caller, a web or queue worker that may run
    threads, is not safe. A script that calls this needs the ``if __name__ == "__main__":`` guard.
    Raises ``TemplateRefused`` at once, before any process starts, for a body that cannot render.
    """
    if mode not in MODES:
        raise ValueError(f"unknown certificate mode: {mode}")
    if chunk < 1 or workers < 1:
        raise ValueError("chunk and workers must be at least 1")
    if mode == "full":
        _compile(spec.body)
    plain = TemplateSpec(
        spec.body,
        {name: dict(position) for name, position in spec.positions.items()},
        float(spec.page_width_mm),
        float(spec.page_height_mm),
        spec.version,
    )
    chunks = _chunks(items, chunk)
    offset = (float(offset[0]), float(offset[1]))
    if workers == 1:
        return (render_certificates(plain, part, mode=mode, offset=offset) for part in chunks)
    return _in_processes(plain, chunks, mode, offset, workers)


def _in_processes(
    spec: TemplateSpec,
    chunks: Iterator[list[dict[str, Any]]],
    mode: str,
    offset: tuple[float, float],
    workers: int,
) -> Iterator[bytes]:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker)
    pending: deque[Future[bytes]] = deque()
    try:
        for part in chunks:
            pending.append(pool.submit(_render_chunk, spec, part, mode, offset))
            if len(pending) >= 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _chunks(items: Iterable[Mapping[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    iterator = iter(items)
    while part := [dict(item) for item in islice(iterator, size)]:
        yield part


def _start_worker() -> None:
    """Build the process's shared stylesheets and fonts before its first chunk."""
    for name in (FULL_STYLESHEET, BLANK_STYLESHEET):
        pdf.stylesheet(name)
    pdf.environment()


def _render_chunk(
    spec: TemplateSpec, items: list[dict[str, Any]], mode: str, offset: tuple[float, float]
) -> bytes:
    return render_certificates(spec, items, mode=mode, offset=offset)


def join_pdfs(parts: Iterable[bytes]) -> bytes:
    """One PDF of the pages of ``parts``, in order."""
    writer = PdfWriter()
    for part in parts:
        writer.append(BytesIO(part))
    output = BytesIO()
    writer.write(output)
    return output.getvalue()


# --------------------------------------------------------------------------- calibration


def calibration_pdf(spec: TemplateSpec, *, offset: tuple[float, float] = (0, 0)) -> bytes:
    """One page to align a printer with the blanks: millimetre rulers along the edges, a box with a
    crosshair and its name at each field's position (``offset`` applied), and what to do with it."""
    dx, dy = float(offset[0]), float(offset[1])
    boxes = []
    for name in FIELDS:
        position = spec.positions.get(name)
        if position is None:
            continue
        x, y, right, bottom = _box(name, position)
        boxes.append(
            {
                "name": name,
                "label": FIELD_LABELS[name],
                "where": f"x = {_mm_text(x)}, y = {_mm_text(y)}",
                "x": x + dx,
                "y": y + dy,
                "w": right - x,
                "h": bottom - y,
            }
        )
    data = {
        "boxes": boxes,
        "rulers": Markup(_rulers_svg(spec.page_width_mm, spec.page_height_mm)),  # noqa: S704 (numbers)
        "offset": (_signed_mm(dx), _signed_mm(dy)),
        "page": (_mm_text(spec.page_width_mm), _mm_text(spec.page_height_mm)),
        "version": spec.version,
    }
    html = pdf.document_html(CALIBRATION_TEMPLATE, data)
    box_css = "".join(
        f".box-{index} {{ left: {box['x']:.2f}mm; top: {box['y']:.2f}mm; "
        f"width: {box['w']:.2f}mm; height: {box['h']:.2f}mm; }}\n"
        for index, box in enumerate(boxes)
    )
    sheets = [CALIBRATION_STYLESHEET, pdf.css_from_string(_page_css(spec) + box_css)]
    return pdf.document(html, sheets).write_pdf()


def _signed_mm(value: float) -> str:
    return ("+" if value > 0 else "−" if value < 0 else "") + _mm_text(abs(value))


def _rulers_svg(width: float, height: float) -> str:
    """Millimetre rulers along the four edges, as inline SVG in page millimetres: a tick every mm,
    longer every 5 mm, numbered every 10 mm."""
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="rulers" viewBox="0 0 {width:g} {height:g}" '
        f'width="{width:g}mm" height="{height:g}mm">',
        '<g stroke="#000" stroke-width="0.12">',
    ]
    for x in range(1, int(width)):
        length = 6 if x % 10 == 0 else 4 if x % 5 == 0 else 2
        parts.append(f'<path d="M{x} 0v{length}M{x} {height:g}v-{length}"/>')
    for y in range(1, int(height)):
        length = 6 if y % 10 == 0 else 4 if y % 5 == 0 else 2
        parts.append(f'<path d="M0 {y}h{length}M{width:g} {y}h-{length}"/>')
    parts.append('</g><g font-family="Liberation Sans, DejaVu Sans, sans-serif" font-size="2.4">')
    for x in range(10, int(width), 10):
        parts.append(f'<text x="{x}" y="9" text-anchor="middle">{x}</text>')
    for y in range(20, int(height), 10):  # 10 would touch the top ruler's 10
        parts.append(f'<text x="7.5" y="{y + 0.8}">{y}</text>')
    parts.append("</g></svg>")
    return "".join(parts)


__all__ = [
    "DEFAULT_BODY",
    "DEFAULT_POSITIONS",
    "FIELDS",
    "PLACEHOLDERS",
    "TemplateRefused",
    "TemplateSpec",
    "calibration_pdf",
    "certificate_item",
    "check_template",
    "join_pdfs",
    "qr_data_uri",
    "render_batch",
    "render_certificates",
    "sample_item",
]
