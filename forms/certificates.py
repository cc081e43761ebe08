"""Forms of the certificate pages (``awards/certificate_views.py``).

* ``LookupForm``: the public verification page's one field, the code printed on a certificate. It is a
  GET form (a search, bookmarkable, no state changes), so it carries no CSRF token.
* ``template_form(...)``: the board's certificate template editor, built by a factory from the variable
  fields of ``exports.certificates.FIELDS``: the body (sandboxed Jinja HTML), one row of millimetre
  positions per field (``pos_<field>``: x, y, width, and for text also size, alignment, bold, italic;
  the QR code is a square and has only x, y and its side), the page size and a note. ``mode`` chooses
  what the live preview renders; it is not saved.
* ``PrinterForm``: a printer's name and its x/y offset for pre-printed blanks (−20..20 mm, 0.1 mm steps,
  the precision the ``printers`` table stores).

The forms check shapes and ranges; whether the template itself is acceptable (placeholders, syntax,
positions on the page) is ``exports.certificates.check_template``'s call, made by the service on save
and by the view before a preview, so that there is one rule.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, Form, FormField, StringField, SubmitField, TextAreaField

from forms.campaigns import (
    AmountField,
    ChoiceField,
    DecimalRange,
    Step,
    given,
    max_length,
    required,
)
from forms.fields import TEXT_FILTERS, options
from models import CertificateMode, CertificateTemplate, Printer

BODY_MAX = 100_000  # a certificate's HTML is a page of text; this leaves ample room for styling
NOTE_MAX = 255
NAME_MAX = 128
PAGE_MM = (50, 1000)  # from a postcard to the historical 400 × 300 mm Bằng khen and beyond
OFFSET_MM = 20
ONE_DECIMAL = Step("0.1", _l("Chỉ dùng tối đa 1 chữ số thập phân."))
ALIGN_CHOICES = [("left", _l("Trái")), ("center", _l("Giữa")), ("right", _l("Phải"))]
MODE_CHOICES = [  # (value, label) pairs: forms/printing.py uses them too
    (CertificateMode.FULL.value, _l("Bản đầy đủ (viền, quốc huy, toàn bộ chữ)")),
    (CertificateMode.BLANK.value, _l("In lên phôi (chỉ phần chữ thay đổi)")),
]


def _mm(label: Any, low: int = 0, high: int = PAGE_MM[1], *, inclusive: bool = True) -> AmountField:
    return AmountField(
        label,
        validators=[
            given(),
            DecimalRange(
                low,
                high,
                inclusive=inclusive,
                message=_l("Từ %(low)s đến %(high)s mm.", low=low, high=high),
            ),
        ],
        render_kw={"inputmode": "decimal", "class": "form-control form-control-sm"},
    )


# --------------------------------------------------------------------------- public lookup


class LookupForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search: nothing changes, and the URL may be shared

    code = StringField(
        _l("Mã xác thực"),
        validators=[required(), max_length(64)],
        filters=TEXT_FILTERS,
        description=_l(
            "Mã gồm 20 chữ và số, in ở góc dưới giấy chứng nhận, ví dụ 7K3QZ-M9D2X-A1B2C-D3E4F. "
            "Không phân biệt chữ hoa, chữ thường; có thể bỏ dấu gạch."
        ),
        render_kw={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"},
    )


# --------------------------------------------------------------------------- template editor


class TextPositionRow(Form):
    """Where one line of variable text goes on a blank, in millimetres from the top-left corner."""

    x = _mm(_l("Cách lề trái (mm)"))
    y = _mm(_l("Cách mép trên (mm)"))
    w = _mm(_l("Chiều rộng (mm)"), inclusive=False)
    size = AmountField(
        _l("Cỡ chữ (pt)"),
        validators=[given(), DecimalRange(6, 72, message=_l("Cỡ chữ từ 6 đến 72 pt."))],
        render_kw={"inputmode": "decimal", "class": "form-control form-control-sm"},
    )
    align = ChoiceField(
        _l("Căn lề"),
        choices=options(ALIGN_CHOICES),
        render_kw={"class": "form-select form-select-sm"},
    )
    bold = BooleanField(_l("Đậm"))
    italic = BooleanField(_l("Nghiêng"))

    square = False

    def value(self) -> dict[str, Any]:
        return {
            "x": float(self.x.data),
            "y": float(self.y.data),
            "w": float(self.w.data),
            "size": float(self.size.data),
            "align": self.align.data,
            "bold": bool(self.bold.data),
            "italic": bool(self.italic.data),
        }


class SquarePositionRow(Form):
    """Where a square (the QR code) goes: its top-left corner and its side."""

    x = _mm(_l("Cách lề trái (mm)"))
    y = _mm(_l("Cách mép trên (mm)"))
    w = _mm(_l("Cạnh (mm)"), inclusive=False)

    square = True

    def value(self) -> dict[str, Any]:
        return {"x": float(self.x.data), "y": float(self.y.data), "w": float(self.w.data)}


@dataclass(frozen=True)
class PositionField:
    """One variable field of the template: its placeholder name, what it is, and whether it is a square."""

    name: str
    label: str
    square: bool


class TemplateForm(FlaskForm):
    """Base of ``template_form``'s classes; the position rows are added per field."""

    position_fields: tuple[PositionField, ...] = ()

    body = TextAreaField(
        _l("Nội dung mẫu (HTML)"),
        validators=[required(), max_length(BODY_MAX)],
        description=_l(
            "Mẫu bản đầy đủ, viết bằng HTML; dùng các trường dữ liệu trong bảng bên cạnh, ví dụ "
            "{{ recipient }}. Trường không có trong bảng sẽ bị từ chối."
        ),
        render_kw={"rows": 22, "spellcheck": "false", "class": "form-control font-monospace small"},
    )
    page_width_mm = _mm(_l("Khổ giấy: rộng (mm)"), *PAGE_MM)
    page_height_mm = _mm(_l("Khổ giấy: cao (mm)"), *PAGE_MM)
    note = StringField(
        _l("Ghi chú phiên bản"),
        validators=[max_length(NOTE_MAX)],
        filters=TEXT_FILTERS,
        description=_l("Ví dụ: đổi cỡ chữ tên người nhận cho phôi mới."),
    )
    mode = ChoiceField(
        _l("Xem trước dạng"), choices=options(MODE_CHOICES), default=CertificateMode.FULL.value
    )
    submit = SubmitField(_l("Lưu thành phiên bản mới"))
    preview = SubmitField(_l("Xem trước (PDF, tab mới)"))

    def rows(self) -> list[tuple[PositionField, Any]]:
        return [(field, self[f"pos_{field.name}"]) for field in self.position_fields]

    def positions(self) -> dict[str, dict[str, Any]]:
        """The rows as the template's ``positions`` JSON: ``{field: {x, y, w, …}}``."""
        return {field.name: row.form.value() for field, row in self.rows()}

    def values(self) -> dict[str, Any]:
        """Keyword arguments of ``certificates.save_template`` (without the actor)."""
        return {
            "body": self.body.data,
            "positions": self.positions(),
            "page_width_mm": self.page_width_mm.data,
            "page_height_mm": self.page_height_mm.data,
            "note": self.note.data or "",
        }


def position_fields(
    fields: Sequence[str], descriptions: Mapping[str, object], squares: Collection[str]
) -> tuple[PositionField, ...]:
    """The editor's rows: each field of ``fields`` with its description (up to its example)."""
    return tuple(
        PositionField(name, str(descriptions.get(name, name)).split(" (")[0], name in squares)
        for name in fields
    )


def template_form(
    fields: tuple[PositionField, ...], template: CertificateTemplate | None = None, **kwargs: Any
) -> TemplateForm:
    """The editor's form for ``fields``, filled from ``template`` when there is no posted data."""
    attributes: dict[str, Any] = {"position_fields": fields}
    for field in fields:
        row = SquarePositionRow if field.square else TextPositionRow
        attributes[f"pos_{field.name}"] = FormField(row, label=field.label)
    cls = type("TemplateFormForFields", (TemplateForm,), attributes)
    if template is not None:
        kwargs.setdefault("data", initial_data(template))
    return cls(**kwargs)


def initial_data(template: CertificateTemplate) -> dict[str, Any]:
    """A stored template as the editor's data (the body and positions of that version)."""
    positions = json.loads(template.positions or "{}")
    data: dict[str, Any] = {
        "body": template.body,
        "page_width_mm": Decimal(template.page_width_mm),
        "page_height_mm": Decimal(template.page_height_mm),
        "note": "",
        "mode": CertificateMode.FULL.value,
    }
    for name, position in positions.items():
        data[f"pos_{name}"] = {key: _number(value) for key, value in position.items()}
    return data


def _number(value: object) -> object:
    """JSON numbers as the decimals the number fields show (``12.5``, not ``12.500000001``)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return Decimal(str(value))
    return value


# --------------------------------------------------------------------------- printers


class PrinterForm(FlaskForm):
    """A printer and its offset: where it really prints, relative to where it was asked to."""

    name = StringField(
        _l("Tên máy in"),
        validators=[required(), max_length(NAME_MAX)],
        filters=TEXT_FILTERS,
        description=_l("Ví dụ: Máy in phòng Thi đua – Khen thưởng (HP LaserJet, khay 1)."),
        render_kw={"maxlength": NAME_MAX},
    )
    offset_x_mm = AmountField(
        _l("Độ lệch ngang (mm)"),
        validators=[
            given(),
            DecimalRange(-OFFSET_MM, OFFSET_MM, message=_l("Độ lệch từ −20 đến 20 mm.")),
            ONE_DECIMAL,
        ],
        default=Decimal(0),
        description=_l("Dương: dịch chữ sang phải; âm: sang trái."),
        render_kw={"inputmode": "decimal"},
    )
    offset_y_mm = AmountField(
        _l("Độ lệch dọc (mm)"),
        validators=[
            given(),
            DecimalRange(-OFFSET_MM, OFFSET_MM, message=_l("Độ lệch từ −20 đến 20 mm.")),
            ONE_DECIMAL,
        ],
        default=Decimal(0),
        description=_l("Dương: dịch chữ xuống dưới; âm: lên trên."),
        render_kw={"inputmode": "decimal"},
    )
    submit = SubmitField(_l("Lưu máy in"))

    @classmethod
    def of(cls, printer: Printer, **kwargs: Any) -> PrinterForm:
        return cls(
            formdata=None,
            name=printer.name,
            offset_x_mm=printer.offset_x_mm,
            offset_y_mm=printer.offset_y_mm,
            **kwargs,
        )

    def values(self) -> dict[str, Any]:
        return {
            "name": self.name.data,
            "offset_x_mm": self.offset_x_mm.data,
            "offset_y_mm": self.offset_y_mm.data,
        }
