"""Forms of the nomination area.

* ``NominationFilterForm``: the list's filters, sorting and search (GET, no CSRF token).
* ``nomination_form(...)``: the nomination form, built for one round and one recipient kind by a factory
  from the campaign's criteria (a points field ``score_<criterion id>`` per applicable criterion and a
  reported-figure field ``value_<criterion id>`` per measurable one). Field names are those of
  ``awards.nominations.NominationData``, so that a ``NominationError.field`` names a field of the form.
* ``ActionForm``: a workflow button, with the reason a return needs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    FieldList,
    Form,
    FormField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.core import Field
from wtforms.validators import Length, NumberRange, Optional, Regexp
from wtforms.widgets import HiddenInput

from awards import labels
from awards.nomination_lists import (
    DEFAULT_SORT,
    NOMINATION_STATE_LABELS,
    SEX_LABELS,
    SORT_LABELS,
    STAFF_CATEGORY_LABELS,
    ListFilters,
)
from awards.nominations import NominationData, NominationError, PastAwardInput, ScoreInput
from forms.campaigns import (
    TWO_PLACES,
    AmountField,
    ChoiceField,
    DayField,
    DecimalRange,
    Step,
    WholeNumberField,
    given,
    max_length,
    required,
)
from forms.fields import TEXT_FILTERS, options
from models import (
    AwardForm,
    Criterion,
    CriterionGroup,
    Nomination,
    NominationState,
    RecipientKind,
    Sex,
    StaffCategory,
)

REPORT_MAX = 20000
PAST_AWARD_ROWS = 3  # empty rows offered below the ones already filled in
PAST_AWARD_MAX = 30


def unix_newlines(value: object) -> object:
    """Browsers send textarea line breaks as CR LF: store plain LF, as the documents and exports expect."""
    return value.replace("\r\n", "\n").replace("\r", "\n") if isinstance(value, str) else value


PARAGRAPH_FILTERS = [*TEXT_FILTERS, unix_newlines]

# --------------------------------------------------------------------------- list filters


class NominationFilterForm(FlaskForm):
    """Filters of the list page, read from the query string. A value that is not among the choices is
    reported on its field and ignored, never an error page."""

    class Meta:
        csrf = False

    q = StringField(
        _l("Tìm theo tên tập thể, cá nhân"),
        validators=[Optional(), Length(max=100)],
        filters=TEXT_FILTERS,
    )
    round = SelectField(_l("Đợt xét"), validators=[Optional()])
    unit = SelectField(_l("Đơn vị đề nghị"), validators=[Optional()])
    state = SelectField(
        _l("Trạng thái"),
        choices=options([("", _l("Mọi trạng thái")), *labels.choices(NOMINATION_STATE_LABELS)]),
        validators=[Optional()],
    )
    award_form = SelectField(_l("Hình thức khen thưởng"), validators=[Optional()])
    kind = SelectField(
        _l("Đối tượng"),
        choices=options(
            [("", _l("Tập thể và cá nhân")), *labels.choices(labels.RECIPIENT_KIND_LABELS)]
        ),
        validators=[Optional()],
    )
    sort = SelectField(
        _l("Sắp xếp theo"),
        choices=options(SORT_LABELS.items()),
        default=DEFAULT_SORT,
        validators=[Optional()],
    )
    order = SelectField(
        _l("Thứ tự"),
        choices=options([("desc", _l("Giảm dần")), ("asc", _l("Tăng dần"))]),
        default="desc",
        validators=[Optional()],
    )

    def set_choices(
        self,
        *,
        rounds: Iterable[tuple[str, str]],
        units: Iterable[tuple[str, str]],
        award_forms: Iterable[tuple[str, str]],
    ) -> None:
        self.round.choices = options([("", _l("Mọi đợt xét")), *rounds])
        self.unit.choices = options([("", _l("Mọi đơn vị")), *units])
        self.award_form.choices = options([("", _l("Mọi hình thức")), *award_forms])

    def _value(self, name: str) -> str:
        field = self[name]
        return "" if field.errors or not field.data else str(field.data)

    def filters(self, *, round_ids: dict[str, int], with_unit: bool) -> ListFilters:
        """The filters to apply (call after ``validate()``); ``round_ids`` maps round codes to ids."""
        state = self._value("state")
        kind = self._value("kind")
        unit = self._value("unit")
        award_form = self._value("award_form")
        return ListFilters(
            round_id=round_ids.get(self._value("round")),
            unit_id=int(unit) if with_unit and unit else None,
            state=NominationState(state) if state else None,
            award_form_id=int(award_form) if award_form else None,
            kind=RecipientKind(kind) if kind else None,
            query="" if self.q.errors else (self.q.data or ""),
            sort=self._value("sort") or DEFAULT_SORT,
            descending=self._value("order") != "asc",
        )

    def args(self) -> dict[str, str]:
        """The valid filters as query arguments, for pagination, sort links and the export link."""
        names = ("q", "round", "unit", "state", "award_form", "kind", "sort", "order")
        return {name: value for name in names if (value := self._value(name))}


# --------------------------------------------------------------------------- the nomination form


def _raw_text(field: Field) -> str:
    return str(field.raw_data[0]).strip() if field.raw_data else ""


class PastAwardRow(Form):
    """One line of "III. Các hình thức đã được khen thưởng"; an empty line is skipped."""

    year = WholeNumberField(
        _l("Năm"),
        validators=[
            Optional(),
            NumberRange(min=1945, max=2100, message=_l("Năm từ 1945 đến 2100.")),
        ],
    )
    award = StringField(
        _l("Hình thức khen thưởng"), validators=[max_length(255)], filters=TEXT_FILTERS
    )
    decision_number = StringField(
        _l("Số, ngày quyết định"), validators=[max_length(128)], filters=TEXT_FILTERS
    )

    @property
    def is_blank(self) -> bool:
        return (
            self.year.data is None
            and not _raw_text(self.year)
            and not self.award.data
            and not self.decision_number.data
        )

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        if self.is_blank:
            return valid
        if self.year.data is None and not self.year.errors:
            self.year.errors.append(str(_l("Nhập năm được khen thưởng.")))
            valid = False
        if not self.award.data and not self.award.errors:
            self.award.errors.append(str(_l("Nhập hình thức khen thưởng.")))
            valid = False
        return valid


@dataclass(frozen=True)
class ScoreRow:
    """One criterion of the self-assessment, with its fields in the form."""

    criterion: Criterion
    score: Field
    value: Field | None

    @property
    def suggested(self) -> Decimal | None:
        """Points suggested by the reported figure (max × min(actual / target, 1)), if there is one."""
        if self.value is None or self.value.errors or self.value.data is None:
            return None
        return self.criterion.suggested_points(self.value.data)


@dataclass(frozen=True)
class ScoreGroup:
    group: CriterionGroup
    rows: list[ScoreRow]

    @property
    def max_points(self) -> Decimal:
        return sum((row.criterion.max_points for row in self.rows), Decimal(0))


class NominationForm(FlaskForm):
    """Fields common to both recipient kinds; ``CollectiveForm`` and ``IndividualForm`` add the
    nominee's details and the report headings of their kind (DOMAIN.md §4)."""

    kind: RecipientKind
    criteria: list[Criterion] = []

    version = IntegerField(widget=HiddenInput(), validators=[Optional()])
    award_form_id = ChoiceField(
        _l("Hình thức khen thưởng đề nghị"),
        coerce=int,
        validators=[given()],
        description=_l("Chỉ các hình thức dành cho đối tượng này trong đợt xét."),
    )
    citation = TextAreaField(
        _l("Nội dung ghi trên bằng khen, giấy khen"),
        validators=[max_length(1000)],
        filters=PARAGRAPH_FILTERS,
        description=_l(
            "Dòng trích yếu thành tích in trên bằng, ví dụ: Đã có thành tích xuất sắc trong phong trào "
            "thi đua “Chuyển đổi số trên địa bàn tỉnh Bắc Ninh giai đoạn 2024 – 2025”."
        ),
        render_kw={"rows": 2},
    )
    submit = SubmitField(_l("Lưu hồ sơ"))
    preview = SubmitField(_l("Tính điểm gợi ý"))

    # ----------------------------------------------------------------- structure for the template

    def score_groups(self) -> list[ScoreGroup]:
        """The criteria fields grouped by criterion group, in the campaign's order."""
        groups: dict[int, ScoreGroup] = {}
        ordered = sorted(self.criteria, key=lambda c: (c.group.position, c.group_id, c.position))
        for criterion in ordered:
            entry = groups.setdefault(criterion.group_id, ScoreGroup(criterion.group, []))
            value = self._fields.get(f"value_{criterion.id}")
            entry.rows.append(ScoreRow(criterion, self[f"score_{criterion.id}"], value))
        return list(groups.values())

    @property
    def max_total(self) -> Decimal:
        return sum((c.max_points for c in self.criteria), Decimal(0))

    @property
    def score_total(self) -> Decimal:
        """Sum of the points typed so far (what ``payload`` would save)."""
        return sum((s.points for s in self._scores()), Decimal(0))

    # ----------------------------------------------------------------- values for the service

    def _scores(self) -> list[ScoreInput]:
        scores = []
        for criterion in self.criteria:
            score = self[f"score_{criterion.id}"]
            value_field = self._fields.get(f"value_{criterion.id}")
            points = None if score.errors else score.data
            value = None
            if value_field is not None and not value_field.errors:
                value = value_field.data
            if points is None and value is not None:
                # A reported figure without points: take the suggested points, which the page shows.
                points = criterion.suggested_points(value)
            if points is None:
                continue
            scores.append(ScoreInput(criterion.id, points, value))
        return scores

    def _past_awards(self) -> list[PastAwardInput]:
        rows = []
        for entry in self.past_awards:
            row = entry.form
            if row.is_blank:
                continue
            rows.append(PastAwardInput(row.year.data, row.award.data, row.decision_number.data))
        return rows

    def _details(self) -> dict[str, Any]:
        return {}

    def payload(self) -> NominationData:
        """The validated input as ``NominationData`` (call after ``validate()`` succeeded)."""
        return NominationData(
            kind=self.kind,
            award_form_id=self.award_form_id.data,
            nominee_name=self.nominee_name.data,
            citation=self.citation.data or "",
            report_profile=self.report_profile.data or "",
            report_achievements=self.report_achievements.data or "",
            report_measures=self.report_measures.data or "",
            scores=self._scores(),
            past_awards=self._past_awards(),
            **self._details(),
        )

    def attach_error(self, error: NominationError) -> None:
        """Show a service's refusal on the field it names, or above the form."""
        field = self._fields.get(error.field or "")
        if field is not None and not isinstance(field, FieldList):
            field.errors = [*field.errors, str(error)]
        else:
            self.form_errors.append(str(error))


def _report_field(label: Any, description: Any) -> TextAreaField:
    return TextAreaField(
        label,
        validators=[max_length(REPORT_MAX)],
        filters=PARAGRAPH_FILTERS,
        description=description,
        render_kw={"rows": 6},
    )


def _name_field(label: Any) -> StringField:
    return StringField(label, validators=[required(), max_length(255)], filters=TEXT_FILTERS)


class CollectiveForm(NominationForm):
    kind = RecipientKind.COLLECTIVE

    nominee_name = _name_field(_l("Tên tập thể"))
    nominee_unit_id = ChoiceField(
        _l("Đơn vị cấp trên của tập thể"),
        coerce=int,
        default=0,
        description=_l("Cơ quan, đơn vị quản lý trực tiếp tập thể được đề nghị."),
    )
    headcount = WholeNumberField(
        _l("Số người"),
        validators=[
            given(),
            NumberRange(min=1, max=1_000_000, message=_l("Số người phải lớn hơn 0.")),
        ],
    )
    women_share = AmountField(
        _l("Tỷ lệ nữ (%)"),
        validators=[
            Optional(),
            DecimalRange(0, 100, message=_l("Tỷ lệ nữ phải từ 0 đến 100%.")),
            TWO_PLACES,
        ],
        description=_l("Tập thể có từ 70% nữ trở lên được ưu tiên khi bằng điểm."),
    )
    report_profile = _report_field(
        _l("I. Đặc điểm, tình hình"),
        _l(
            "Chức năng, nhiệm vụ; cơ cấu tổ chức; số lượng cán bộ, công chức, người lao động; "
            "điều kiện, thuận lợi và khó khăn."
        ),
    )
    report_achievements = _report_field(
        _l("II. Thành tích đạt được"),
        _l("Kết quả thực hiện các chỉ tiêu, nhiệm vụ chuyển đổi số, có số liệu so sánh."),
    )
    report_measures = _report_field(
        _l("Các biện pháp, giải pháp, sáng kiến đã áp dụng"),
        _l("Thuộc phần II: cách làm, mô hình, sáng kiến đã mang lại kết quả trên."),
    )

    def _details(self) -> dict[str, Any]:
        return {
            "nominee_unit_id": self.nominee_unit_id.data or None,
            "headcount": self.headcount.data,
            "women_share": self.women_share.data,
        }


class IndividualForm(NominationForm):
    kind = RecipientKind.INDIVIDUAL

    nominee_name = _name_field(_l("Họ và tên"))
    sex = ChoiceField(
        _l("Giới tính"),
        choices=options([("", _l("— Chọn —")), *labels.choices(SEX_LABELS)]),
        validators=[required()],
    )
    date_of_birth = DayField(_l("Ngày sinh"), validators=[given()])
    position = StringField(
        _l("Chức vụ"),
        validators=[max_length(255)],
        filters=TEXT_FILTERS,
        description=_l("Ví dụ: Trưởng phòng Chuyển đổi số; Chuyên viên."),
    )
    staff_category = ChoiceField(
        _l("Lãnh đạo, quản lý hay nhân viên"),
        choices=options([("", _l("— Chọn —")), *labels.choices(STAFF_CATEGORY_LABELS)]),
        validators=[Optional()],
    )
    workplace = StringField(
        _l("Nơi công tác"),
        validators=[max_length(255)],
        filters=TEXT_FILTERS,
        description=_l("Phòng, ban và cơ quan, đơn vị nơi cá nhân công tác."),
    )
    citizen_id = StringField(
        _l("Số CCCD / định danh cá nhân"),
        validators=[
            Optional(),
            Regexp(r"^\d{12}$", message=_l("Số CCCD/định danh cá nhân gồm đúng 12 chữ số.")),
        ],
        filters=TEXT_FILTERS,
        description=_l("Không bắt buộc; dùng để phát hiện hồ sơ trùng."),
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    report_profile = _report_field(
        _l("I. Sơ lược lý lịch"),
        _l(
            "Quê quán; trình độ chuyên môn, lý luận chính trị; chức vụ, đơn vị công tác; quá trình "
            "công tác."
        ),
    )
    report_achievements = _report_field(
        _l("II. Thành tích đạt được"),
        _l("Kết quả thực hiện nhiệm vụ được giao, có số liệu cụ thể."),
    )
    report_measures = _report_field(
        _l("Các sáng kiến, giải pháp, đề tài đã áp dụng"),
        _l("Thuộc phần II: sáng kiến, giải pháp được công nhận hoặc áp dụng tại đơn vị."),
    )

    def _details(self) -> dict[str, Any]:
        return {
            "sex": Sex(self.sex.data),
            "date_of_birth": self.date_of_birth.data,
            "position": self.position.data or "",
            "staff_category": StaffCategory(self.staff_category.data)
            if self.staff_category.data
            else None,
            "workplace": self.workplace.data or "",
            "citizen_id": self.citizen_id.data or None,
        }


def _score_field(criterion: Criterion) -> AmountField:
    maximum = criterion.max_points.normalize()
    return AmountField(
        f"{criterion.code}. {criterion.title}",
        validators=[
            Optional(),
            DecimalRange(
                0,
                criterion.max_points,
                message=_l("Điểm từ 0 đến %(max)s.", max=format(maximum, "f")),
            ),
            Step("0.5", _l("Điểm chấm theo bước 0,5.")),
        ],
        description=criterion.guidance,
        render_kw={"inputmode": "decimal"},
    )


def _value_field(criterion: Criterion) -> AmountField:
    upper = Decimal(100) if criterion.target_unit == "%" else Decimal(10) ** 9
    return AmountField(
        _l("Số liệu báo cáo của tiêu chí %(code)s", code=criterion.code),
        validators=[
            Optional(),
            DecimalRange(0, upper, message=_l("Số liệu từ 0 đến %(max)s.", max=upper)),
        ],
        render_kw={
            "inputmode": "decimal",
            "data-suggest": f"suggest-{criterion.id}",
            "data-max": format(criterion.max_points.normalize(), "f"),
            "data-target": format(Decimal(criterion.target_value or 1).normalize(), "f"),
        },
    )


def nomination_form_class(
    kind: RecipientKind, criteria: list[Criterion], *, past_rows: int = 0
) -> type[NominationForm]:
    """A form class for ``kind`` with one points field per criterion of ``criteria`` (and a figure
    field for the measurable ones), and ``past_rows`` past awards plus a few empty lines."""
    base = CollectiveForm if kind is RecipientKind.COLLECTIVE else IndividualForm
    attributes: dict[str, Any] = {
        "criteria": list(criteria),
        "past_awards": FieldList(
            FormField(PastAwardRow),
            min_entries=min(past_rows + PAST_AWARD_ROWS, PAST_AWARD_MAX),
            max_entries=PAST_AWARD_MAX,
        ),
    }
    for criterion in criteria:
        attributes[f"score_{criterion.id}"] = _score_field(criterion)
        if criterion.is_measurable:
            attributes[f"value_{criterion.id}"] = _value_field(criterion)
    return type(f"{base.__name__}ForCampaign", (base,), attributes)


def initial_data(nomination: Nomination) -> dict[str, Any]:
    """The stored nomination as form data (for the edit page's first display)."""
    data: dict[str, Any] = {
        "version": nomination.version,
        "award_form_id": nomination.award_form_id,
        "nominee_name": nomination.nominee_name,
        "citation": nomination.citation,
        "report_profile": nomination.report_profile,
        "report_achievements": nomination.report_achievements,
        "report_measures": nomination.report_measures,
        "nominee_unit_id": nomination.nominee_unit_id or 0,
        "headcount": nomination.headcount,
        "women_share": nomination.women_share,
        "sex": nomination.sex.value if nomination.sex else "",
        "date_of_birth": nomination.date_of_birth,
        "position": nomination.position,
        "staff_category": nomination.staff_category.value if nomination.staff_category else "",
        "workplace": nomination.workplace,
        "citizen_id": nomination.citizen_id or "",
        "past_awards": [
            {"year": p.year, "award": p.form, "decision_number": p.decision_number}
            for p in nomination.past_awards
        ],
    }
    for score in nomination.self_scores:
        data[f"score_{score.criterion_id}"] = score.points
        data[f"value_{score.criterion_id}"] = score.reported_value
    return data


def nomination_form(
    kind: RecipientKind,
    *,
    criteria: list[Criterion],
    award_forms: list[AwardForm],
    nominee_units: Iterable[tuple[int, str]] = (),
    nomination: Nomination | None = None,
) -> NominationForm:
    """Build the form for ``kind``: from the request when it was submitted (a POST is judged on what
    it carries), else empty (new) or filled from ``nomination`` (edit)."""
    form_class = nomination_form_class(
        kind, criteria, past_rows=len(nomination.past_awards) if nomination else 0
    )
    submitted = request.method == "POST"
    data = initial_data(nomination) if nomination is not None and not submitted else None
    form = form_class(data=data)
    form.award_form_id.choices = options((f.id, f.name) for f in award_forms)
    if isinstance(form, CollectiveForm):
        form.nominee_unit_id.choices = options(
            [(0, _l("— Không ghi —")), *nominee_units],
        )
    return form


# --------------------------------------------------------------------------- workflow actions


class ActionForm(FlaskForm):
    reason = TextAreaField(
        _l("Lý do"),
        validators=[max_length(2000)],
        filters=PARAGRAPH_FILTERS,
        description=_l("Đơn vị đề nghị sẽ thấy lý do này trong lịch sử hồ sơ."),
        render_kw={"rows": 3},
    )
