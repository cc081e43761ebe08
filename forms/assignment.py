"""Forms of the board's reviewer assignment and of a reviewer's recusal.

Choices (nominations in review, active reviewers) are set by the view; the rules (conflicts of interest,
duplicates, caps) live in ``awards/assignment.py``.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, SubmitField, TextAreaField
from wtforms.validators import NumberRange

from forms.campaigns import MultiCheckboxField, WholeNumberField, given, max_length, required
from forms.fields import TEXT_FILTERS


def _picked(message: object) -> NumberRange:
    return NumberRange(min=1, message=message)  # type: ignore[arg-type]


class BulkAssignForm(FlaskForm):
    """Every picked reviewer gets every picked nomination (conflicted pairs are skipped)."""

    nomination_ids = MultiCheckboxField(_l("Hồ sơ"), coerce=int)
    reviewer_ids = MultiCheckboxField(_l("Người chấm"), coerce=int)
    submit = SubmitField(_l("Phân công"))

    def validate(self, extra_validators: object = None) -> bool:  # type: ignore[override]
        valid = super().validate(extra_validators)  # type: ignore[arg-type]
        if not self.nomination_ids.data:
            self.nomination_ids.errors = [
                *self.nomination_ids.errors,
                _l("Hãy chọn ít nhất một hồ sơ."),
            ]
            valid = False
        if not self.reviewer_ids.data:
            self.reviewer_ids.errors = [
                *self.reviewer_ids.errors,
                _l("Hãy chọn ít nhất một người chấm."),
            ]
            valid = False
        return valid


class AssignOneForm(FlaskForm):
    """One reviewer for one nomination (choices: the nomination's eligible reviewers)."""

    reviewer_id = SelectField(
        _l("Người chấm"),
        coerce=int,
        validators=[_picked(_l("Hãy chọn người chấm."))],
    )
    submit = SubmitField(_l("Thêm"))


class AutoAssignForm(FlaskForm):
    per_nomination = WholeNumberField(
        _l("Số người chấm mỗi hồ sơ"),
        validators=[given(), NumberRange(min=1, max=50, message=_l("Từ 1 đến 50."))],
    )
    cap = WholeNumberField(
        _l("Tối đa số hồ sơ mỗi người chấm"),
        validators=[given(), NumberRange(min=1, max=10000, message=_l("Từ 1 đến 10.000."))],
    )
    submit = SubmitField(_l("Phân công tự động"))


class RecuseForm(FlaskForm):
    reason = TextAreaField(
        _l("Lý do xung đột lợi ích"),
        validators=[required(), max_length(2000)],
        filters=TEXT_FILTERS,
        render_kw={"rows": 3},
    )
    submit = SubmitField(_l("Khai xung đột lợi ích"))
