"""Evidence upload form. The type is judged by ``awards.evidence`` from the content, not here by the name:
the ``accept`` attribute only narrows the browser's file picker."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, SubmitField

from awards.evidence import ACCEPT, evidence_criteria
from forms.fields import options
from models import Nomination

NO_CRITERION = 0


class EvidenceUploadForm(FlaskForm):
    file = FileField(
        _l("Tệp minh chứng"),
        validators=[FileRequired(_l("Hãy chọn tệp cần tải lên."))],
        render_kw={"accept": ACCEPT},
        description=_l("PDF, DOCX, XLSX, JPG hoặc PNG."),
    )
    criterion_id = SelectField(_l("Minh chứng cho tiêu chí"), coerce=int, default=NO_CRITERION)
    submit = SubmitField(_l("Tải lên"))

    @classmethod
    def for_nomination(cls, nomination: Nomination, **kwargs: object) -> EvidenceUploadForm:
        """The form with the criteria a file of ``nomination`` may be attached to."""
        form = cls(**kwargs)
        form.criterion_id.choices = options(
            [(NO_CRITERION, _l("— Không gắn với tiêu chí cụ thể —"))]
            + [(c.id, f"{c.code}. {c.title}") for c in evidence_criteria(nomination)]
        )
        return form
