"""Forms of the review area.

* ``review_form(criteria, review)``: the score form, built by a factory from the campaign's criteria that
  apply to the nomination's kind: ``points_<criterion id>`` (0..max, step 0.5) and ``comment_<criterion
  id>`` per criterion, an overall ``comment``, the review's ``version`` and three buttons (save a draft,
  submit, save and go to the next). Field names are those of ``awards.scoring.ScoringError.problems``.
* ``ReopenForm``: the board's reason to reopen a submitted review.
* ``SheetUploadForm``: the filled offline score sheet.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, IntegerField, SubmitField, TextAreaField
from wtforms.validators import Optional
from wtforms.widgets import HiddenInput

from awards.scoring import COMMENT_MAX, ScoreValues, ScoringError
from forms.campaigns import AmountField, DecimalRange, Step, max_length, required
from forms.fields import TEXT_FILTERS
from models import Criterion, Review


class ReviewForm(FlaskForm):
    """Base of the factory's forms; the criterion fields are added per campaign."""

    criteria: list[Criterion] = []
    comment = TextAreaField(
        _l("Nhận xét chung"), filters=TEXT_FILTERS, validators=[max_length(COMMENT_MAX)]
    )
    version = IntegerField(widget=HiddenInput(), validators=[Optional()])
    save = SubmitField(_l("Lưu nháp"))
    submit_review = SubmitField(_l("Nộp phiếu chấm"))
    save_next = SubmitField(_l("Lưu và chấm hồ sơ tiếp theo"))

    def points(self, criterion: Criterion) -> Any:
        return self[f"points_{criterion.id}"]

    def criterion_comment(self, criterion: Criterion) -> Any:
        return self[f"comment_{criterion.id}"]

    def values(self) -> ScoreValues:
        return {
            c.id: (self.points(c).data, self.criterion_comment(c).data or "") for c in self.criteria
        }

    def attach_error(self, error: ScoringError) -> None:
        """Put the service's messages under their fields; the rest above the form."""
        if not error.problems:
            self.form_errors.append(str(error))
        for name, message in error.problems.items():
            target = self._fields.get(name)
            if target is None:
                self.form_errors.append(message)
            else:
                target.errors = [*target.errors, message]


def review_form(criteria: list[Criterion], review: Review, **kwargs: Any) -> ReviewForm:
    """A score form for ``criteria``, filled from ``review`` on GET."""

    class Form(ReviewForm):
        pass

    Form.criteria = list(criteria)
    for criterion in criteria:
        maximum = format(criterion.max_points.normalize(), "f")
        setattr(
            Form,
            f"points_{criterion.id}",
            AmountField(
                _l("Điểm"),
                validators=[
                    Optional(),
                    DecimalRange(
                        0, criterion.max_points, message=_l("Điểm từ 0 đến %(max)s.", max=maximum)
                    ),
                    Step("0.5", _l("Điểm chấm theo bước 0,5.")),
                ],
                render_kw={
                    "type": "number",
                    "inputmode": "decimal",
                    "min": "0",
                    "max": maximum,
                    "step": "0.5",
                },
            ),
        )
        setattr(
            Form,
            f"comment_{criterion.id}",
            TextAreaField(
                _l("Nhận xét"),
                filters=TEXT_FILTERS,
                validators=[max_length(COMMENT_MAX)],
                render_kw={"rows": 2},
            ),
        )
    data: dict[str, Any] = {"comment": review.comment, "version": review.version}
    for score in review.scores:
        data[f"points_{score.criterion_id}"] = Decimal(score.points).normalize()
        data[f"comment_{score.criterion_id}"] = score.comment
    return Form(data=data, **kwargs)


class ReopenForm(FlaskForm):
    reason = TextAreaField(
        _l("Lý do mở lại"),
        filters=TEXT_FILTERS,
        validators=[required(), max_length(COMMENT_MAX)],
    )
    submit = SubmitField(_l("Mở lại phiếu chấm"))


class SheetUploadForm(FlaskForm):
    round = HiddenField()
    file = FileField(_l("Tệp phiếu chấm (.xlsx)"))
    submit = SubmitField(_l("Tải lên"))


class RecuseForm(FlaskForm):
    reason = TextAreaField(
        _l("Lý do xung đột lợi ích"),
        filters=TEXT_FILTERS,
        validators=[required(), max_length(COMMENT_MAX)],
    )
    submit = SubmitField(_l("Từ chối chấm do xung đột lợi ích"))
