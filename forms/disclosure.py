"""Forms of the public disclosure: a citizen's comment on a published list, and the board's answer.

``PublicCommentForm`` is the only form of the application that anyone may post without logging in, so
it checks more than the service must: the contact is a telephone number or an e-mail address that could
be used to reply, and the nominee is chosen from the list the page shows (``nominee_id`` choices are set
by the view from ``disclosure.public_list``). Limits match ``awards/disclosure.py``.
"""

from __future__ import annotations

import re

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import ValidationError

from awards.disclosure import MAX_BODY, MAX_CONTACT, MAX_NAME
from forms.campaigns import max_length, required
from forms.fields import TEXT_FILTERS

# Digits with the separators people type in Vietnamese numbers: "0912 345 678", "+84 (222) 3.822.111".
PHONE_CHARACTERS = re.compile(r"^\+?[0-9 .()\-]+$")
PHONE_DIGITS = range(
    8, 16
)  # landlines with area code, mobiles, international numbers (E.164: ≤ 15)


def optional_id(value: object) -> int | None:
    """Coerce a select's value to an id; the empty option (a comment on the list as a whole) is None."""
    if value in (None, "", "None"):
        return None
    return int(value)  # type: ignore[call-overload]


class PublicCommentForm(FlaskForm):
    name = StringField(
        _l("Họ và tên"),
        validators=[required(), max_length(MAX_NAME)],
        filters=TEXT_FILTERS,
        render_kw={"autocomplete": "name", "maxlength": MAX_NAME},
    )
    contact = StringField(
        _l("Số điện thoại hoặc thư điện tử"),
        validators=[required(), max_length(MAX_CONTACT)],
        filters=TEXT_FILTERS,
        description=_l("Để Ban Thi đua – Khen thưởng liên hệ trả lời khi cần; không công bố."),
        render_kw={"maxlength": MAX_CONTACT},
    )
    nominee_id = SelectField(
        _l("Ý kiến về tập thể, cá nhân"),
        coerce=optional_id,
        validate_choice=True,
    )
    body = TextAreaField(
        _l("Nội dung ý kiến"),
        validators=[required(), max_length(MAX_BODY)],
        filters=TEXT_FILTERS,
        render_kw={"rows": 6, "maxlength": MAX_BODY},
    )
    submit = SubmitField(_l("Gửi ý kiến"))

    def validate_contact(self, field: Field) -> None:
        value = field.data or ""
        if "@" in value:
            try:
                validate_email(value, check_deliverability=False)
            except EmailNotValidError:
                raise ValidationError(_l("Địa chỉ thư điện tử không hợp lệ.")) from None
            return
        digits = sum(ch.isdigit() for ch in value)
        if not PHONE_CHARACTERS.match(value) or digits not in PHONE_DIGITS:
            raise ValidationError(
                _l("Nhập số điện thoại (ví dụ 0912 345 678) hoặc địa chỉ thư điện tử.")
            )


class AnswerForm(FlaskForm):
    """The board's answer to one comment; the view gives each comment's form its own ``prefix``."""

    answer = TextAreaField(
        _l("Trả lời"),
        validators=[required(), max_length(MAX_BODY)],
        filters=TEXT_FILTERS,
        render_kw={"rows": 3, "maxlength": MAX_BODY},
    )
    submit = SubmitField(_l("Lưu trả lời"))
