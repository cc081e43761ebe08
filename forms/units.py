from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, DateField, SelectField, StringField, SubmitField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    Optional,
    Regexp,
    ValidationError,
)

from awards.labels import UNIT_KIND_LABELS, choices
from awards.unit_tree import CODE_MAX, CODE_RE, NAME_MAX
from exports.excel import is_formula_like
from forms.fields import TEXT_FILTERS, options


def _upper(value: object) -> object:
    return value.upper() if isinstance(value, str) else value


def _not_formula(form: FlaskForm, field: StringField) -> None:
    if is_formula_like(field.data):
        raise ValidationError(_l("Không được bắt đầu bằng các ký tự = + - @."))


class UnitForm(FlaskForm):
    code = StringField(
        _l("Mã đơn vị"),
        validators=[
            DataRequired(),
            Length(max=CODE_MAX),
            Regexp(
                CODE_RE.pattern,
                message=_l("Chỉ dùng chữ in hoa không dấu, chữ số và các ký tự . _ -"),
            ),
        ],
        filters=[*TEXT_FILTERS, _upper],
        description=_l("Ví dụ: SNV, TP-BN, XA.DINHBANG. Chữ thường được tự đổi thành chữ in hoa."),
    )
    name = StringField(
        _l("Tên đơn vị"),
        validators=[DataRequired(), Length(max=NAME_MAX), _not_formula],
        filters=TEXT_FILTERS,
    )
    kind = SelectField(_l("Loại đơn vị"), choices=options(choices(UNIT_KIND_LABELS)))
    valid_from = DateField(_l("Hiệu lực từ ngày"), validators=[DataRequired()])
    submit = SubmitField(_l("Lưu"))


class NewUnitForm(UnitForm):
    parent_id = SelectField(_l("Đơn vị cấp trên"), coerce=int, validators=[InputRequired()])
    field_order = ("code", "name", "kind", "parent_id", "valid_from")


class MoveUnitForm(FlaskForm):
    parent_id = SelectField(_l("Đơn vị cấp trên mới"), coerce=int, validators=[InputRequired()])
    submit = SubmitField(_l("Chuyển đơn vị"))


class RetireUnitForm(FlaskForm):
    valid_to = DateField(
        _l("Còn hiệu lực đến hết ngày"),
        validators=[DataRequired()],
        description=_l("Từ ngày hôm sau, đơn vị không còn hoạt động."),
    )
    submit = SubmitField(_l("Ngừng hoạt động"))


class UnitSearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Tìm theo tên hoặc mã"), validators=[Optional(), Length(max=100)])
    kind = SelectField(
        _l("Loại đơn vị"),
        choices=options([("", _l("Tất cả các loại")), *choices(UNIT_KIND_LABELS)]),
        validators=[Optional()],
    )
    retired = BooleanField(_l("Hiện cả đơn vị đã ngừng hoạt động"))


class UnitImportForm(FlaskForm):
    file = FileField(
        _l("Tệp Excel (.xlsx)"),
        validators=[
            FileRequired(_l("Hãy chọn tệp Excel cần nhập.")),
            FileAllowed(["xlsx"], _l("Chỉ nhận tệp Excel .xlsx (dùng mẫu tải về).")),
        ],
    )
    submit = SubmitField(_l("Nhập đơn vị"))
