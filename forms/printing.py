"""The batch-printing form (``awards/printing_views.py``): one per issued decision on the printing page.

Each decision's form has its own prefix (``d<id>-``), so that several forms on one page keep their own
field names and element ids. Mode and format must be sent (an empty POST is refused, not printed with
defaults). The printer matters for pre-printed blanks only (its offset moves every field); the reason is
required by the service when any certificate was printed before — the form cannot know that.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SubmitField, TextAreaField
from wtforms.validators import InputRequired, Optional

from forms.campaigns import ChoiceField, max_length
from forms.fields import TEXT_FILTERS, options
from models import CertificateMode, Printer

REASON_MAX = 1000
NO_PRINTER = 0
MODE_CHOICES = [
    (CertificateMode.FULL.value, _l("Bản đầy đủ (viền, quốc huy, toàn bộ chữ)")),
    (CertificateMode.BLANK.value, _l("In lên phôi (chỉ phần chữ thay đổi)")),
]
FORMAT_CHOICES = [
    ("pdf", _l("Một tệp PDF (in hàng loạt)")),
    ("zip", _l("Tệp ZIP, mỗi người nhận một tệp PDF")),
]


def _chosen() -> InputRequired:
    return InputRequired(message=_l("Hãy chọn một mục trong danh sách."))


class PrintForm(FlaskForm):
    mode = ChoiceField(
        _l("Chế độ in"),
        choices=options(MODE_CHOICES),
        default=CertificateMode.FULL.value,
        validators=[_chosen()],
    )
    printer = ChoiceField(
        _l("Máy in (khi in lên phôi)"),
        coerce=int,
        default=NO_PRINTER,
        validators=[Optional()],
        description=_l("Độ lệch của máy in được áp dụng cho mọi trường khi in lên phôi."),
    )
    fmt = ChoiceField(
        _l("Định dạng tệp"), choices=options(FORMAT_CHOICES), default="pdf", validators=[_chosen()]
    )
    reason = TextAreaField(
        _l("Lý do in lại"),
        validators=[Optional(), max_length(REASON_MAX)],
        filters=TEXT_FILTERS,
        render_kw={"rows": 2},
        description=_l("Bắt buộc khi có giấy chứng nhận đã được in trước đây."),
    )
    submit = SubmitField(_l("In giấy chứng nhận"))

    @classmethod
    def for_decision(
        cls, decision_id: int, printers: Sequence[Printer], **kwargs: Any
    ) -> PrintForm:
        """The form of decision ``decision_id``, its printer list made of ``printers``."""
        form = cls(prefix=f"d{decision_id}", **kwargs)
        form.printer.choices = options(
            [
                (NO_PRINTER, _l("— Không chọn (độ lệch 0) —")),
                *((printer.id, printer.name) for printer in printers),
            ]
        )
        return form
