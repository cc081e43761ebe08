"""Forms of the unit's dossier (Tờ trình) and of the board's intake.

The forms check types and presence; the rules (number format and uniqueness, dates, the council's
majority, the filing window, the quota) live in ``awards/submissions.py``, whose ``SubmissionError``
names the field it concerns so the view can show it there.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import StringField, SubmitField, TextAreaField
from wtforms.validators import NumberRange, ValidationError

from forms.campaigns import (
    ChoiceField,
    DayField,
    MultiCheckboxField,
    WholeNumberField,
    given,
    max_length,
    required,
)
from forms.fields import TEXT_FILTERS


class SubmissionForm(FlaskForm):
    """The Tờ trình: number, date, signer, the unit council's minutes and vote, the drafts it carries.

    ``nomination_ids`` choices are the unit's ready drafts, set by the view."""

    number = StringField(
        _l("Số Tờ trình"),
        validators=[required(), max_length(64)],
        filters=TEXT_FILTERS,
        description=_l("Ví dụ: 15/TTr-STTTT"),
    )
    signed_on = DayField(_l("Ngày ký"), validators=[given()])
    signer_title = TextAreaField(
        _l("Chức vụ người ký"),
        validators=[required(), max_length(255)],
        filters=TEXT_FILTERS,
        description=_l("Mỗi dòng một chức danh, ví dụ: “KT. GIÁM ĐỐC” rồi “PHÓ GIÁM ĐỐC”."),
        render_kw={"rows": 2},
    )
    signer_name = StringField(
        _l("Họ tên người ký"), validators=[required(), max_length(255)], filters=TEXT_FILTERS
    )
    minutes_date = DayField(_l("Ngày họp Hội đồng thi đua của đơn vị"), validators=[given()])
    council_members = WholeNumberField(
        _l("Số thành viên Hội đồng"),
        validators=[given(), NumberRange(min=1, max=999, message=_l("Từ 1 đến 999."))],
    )
    votes_for = WholeNumberField(
        _l("Số thành viên đồng ý"),
        validators=[given(), NumberRange(min=0, max=999, message=_l("Từ 0 đến 999."))],
        description=_l("Phải trên 50% tổng số thành viên Hội đồng."),
    )
    nomination_ids = MultiCheckboxField(
        _l("Hồ sơ trình kèm Tờ trình"),
        coerce=int,
        validate_choice=True,
    )
    minutes_file = FileField(
        _l("Tệp biên bản họp Hội đồng (không bắt buộc, có thể bổ sung sau)"),
        description=_l("PDF, DOCX hoặc ảnh chụp biên bản có chữ ký."),
    )
    submit = SubmitField(_l("Ký và trình Tờ trình"))

    def values(self) -> dict[str, Any]:
        """The keyword arguments of ``submissions.submit_dossier``."""
        return {
            "number": self.number.data,
            "signed_on": self.signed_on.data,
            "signer_name": self.signer_name.data,
            "signer_title": self.signer_title.data,
            "minutes_date": self.minutes_date.data,
            "council_members": self.council_members.data,
            "votes_for": self.votes_for.data,
            "nomination_ids": self.nomination_ids.data or [],
        }


class MinutesForm(FlaskForm):
    """Attach the unit council's minutes to a Tờ trình already submitted."""

    minutes_file = FileField(_l("Tệp biên bản họp Hội đồng"))
    submit = SubmitField(_l("Tải lên biên bản"))


class ReturnForm(FlaskForm):
    """The board returns a nomination to its unit, saying why."""

    reason = TextAreaField(
        _l("Lý do trả lại"),
        validators=[required(), max_length(2000)],
        filters=TEXT_FILTERS,
        render_kw={"rows": 2},
    )
    submit = SubmitField(_l("Trả lại"))


class ExtensionForm(FlaskForm):
    """The board lets one unit file after the round's deadline."""

    unit_id = ChoiceField(_l("Đơn vị"), coerce=int, validators=[given()])
    until = DayField(_l("Gia hạn đến hết ngày"), validators=[given()])
    reason = TextAreaField(
        _l("Lý do"),
        validators=[required(), max_length(2000)],
        filters=TEXT_FILTERS,
        render_kw={"rows": 2},
    )
    submit = SubmitField(_l("Gia hạn"))

    def validate_unit_id(self, field: Any) -> None:
        if not field.data:
            raise ValidationError(_l("Hãy chọn đơn vị được gia hạn."))
