from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length

from forms.fields import LANGUAGE_OPTIONS, TEXT_FILTERS, options


class LoginForm(FlaskForm):
    username = StringField(
        _l("Tên đăng nhập"),
        validators=[DataRequired(), Length(max=64)],
        filters=TEXT_FILTERS,
        render_kw={"autocomplete": "username", "autofocus": True},
    )
    password = PasswordField(
        _l("Mật khẩu"),
        validators=[DataRequired(), Length(max=256)],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField(_l("Ghi nhớ đăng nhập trên máy này"))
    submit = SubmitField(_l("Đăng nhập"))


class ChangePasswordForm(FlaskForm):
    current = PasswordField(
        _l("Mật khẩu hiện tại"),
        validators=[DataRequired(), Length(max=256)],
        render_kw={"autocomplete": "current-password"},
    )
    new = PasswordField(
        _l("Mật khẩu mới"),
        validators=[DataRequired(), Length(max=256)],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Nhập lại mật khẩu mới"),
        validators=[DataRequired(), EqualTo("new", message=_l("Hai mật khẩu mới không khớp."))],
    )
    submit = SubmitField(_l("Đổi mật khẩu"))


class LanguageForm(FlaskForm):
    locale = SelectField(_l("Ngôn ngữ"), choices=options(LANGUAGE_OPTIONS))
    submit = SubmitField(_l("Lưu"))


class ConfirmForm(FlaskForm):
    """An empty form: a POST button that carries only the CSRF token."""

    submit = SubmitField(_l("Xác nhận"))


class ConfirmPasswordForm(FlaskForm):
    password = PasswordField(
        _l("Mật khẩu"),
        validators=[DataRequired(), Length(max=256)],
        render_kw={"autocomplete": "current-password", "autofocus": True},
    )
