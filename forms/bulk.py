"""Bulk filing of nominations: the upload of a filled template."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import SubmitField


class BulkImportForm(FlaskForm):
    file = FileField(
        _l("Tệp Excel (.xlsx)"),
        validators=[
            FileRequired(_l("Hãy chọn tệp Excel cần nhập.")),
            FileAllowed(["xlsx"], _l("Chỉ nhận tệp Excel .xlsx (dùng mẫu tải về).")),
        ],
    )
    submit = SubmitField(_l("Tạo hồ sơ nháp"))
