from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from awards.labels import ROLE_LABELS, choices
from forms.fields import LANGUAGE_OPTIONS, TEXT_FILTERS, options


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class UserForm(FlaskForm):
    full_name = StringField(
        _l("Họ và tên"), validators=[DataRequired(), Length(max=255)], filters=TEXT_FILTERS
    )
    email = EmailField(
        _l("Thư điện tử"), validators=[Optional(), Email(), Length(max=255)], filters=TEXT_FILTERS
    )
    unit_id = SelectField(_l("Đơn vị"), coerce=int, validators=[Optional()])
    roles = MultiCheckboxField(
        _l("Vai trò"),
        choices=options(choices(ROLE_LABELS)),
        validators=[DataRequired(message=_l("Chọn ít nhất một vai trò."))],
    )
    locale = SelectField(_l("Ngôn ngữ"), choices=options(LANGUAGE_OPTIONS))
    submit = SubmitField(_l("Lưu"))


class NewUserForm(UserForm):
    username = StringField(
        _l("Tên đăng nhập"),
        validators=[
            DataRequired(),
            Length(min=3, max=64),
            Regexp(
                r"^[a-zA-Z0-9._-]+$",
                message=_l("Chỉ dùng chữ không dấu, chữ số và các ký tự . _ -"),
            ),
        ],
        filters=TEXT_FILTERS,
    )
    password = PasswordField(_l("Mật khẩu ban đầu"), validators=[DataRequired(), Length(max=256)])
    field_order = ("username", "full_name", "email", "unit_id", "roles", "password", "locale")


class UserSearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Tìm theo tên"), validators=[Optional(), Length(max=100)])
    role = SelectField(
        _l("Vai trò"),
        choices=options([("", _l("Tất cả")), *choices(ROLE_LABELS)]),
        validators=[Optional()],
    )
