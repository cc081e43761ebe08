"""Forms of the campaign set-up: campaigns, rounds, criterion groups, criteria, award forms, copies.

Each object form knows the campaign it works in and the object it edits (``current``), so that it can
refuse a taken code or dates out of order as a field error before anything reaches the database.
``payload()`` returns the values under the names the services in ``awards/campaign_setup.py`` expect.
"""

from __future__ import annotations

import decimal
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from awards import labels
from awards.campaign_setup import code_taken, is_compatible
from awards.extensions import db
from forms.fields import TEXT_FILTERS, options
from models import (
    SIGNER_PREFIXES,
    Aggregation,
    AppliesTo,
    AwardForm,
    AwardType,
    BallotBase,
    Campaign,
    Criterion,
    CriterionGroup,
    RecipientKind,
    Round,
    RoundPhase,
)

CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._/-]*$"

# --------------------------------------------------------------------------- fields and validators


def required() -> DataRequired:
    return DataRequired(message=_l("Vui lòng nhập mục này."))


def tidy_lines(value: object) -> object:
    """One item per line: trim each line and drop the empty ones (the "Căn cứ" lines)."""
    if not isinstance(value, str):
        return value
    return "\n".join(line.strip() for line in value.splitlines() if line.strip())


def given() -> InputRequired:
    """Required for numbers and dates: 0 is a value, and a parse error keeps its own message."""
    return InputRequired(message=_l("Vui lòng nhập mục này."))


def max_length(limit: int) -> Length:
    return Length(max=limit, message=_l("Tối đa %(max)d ký tự."))


def code_validators() -> list[Any]:
    return [
        required(),
        max_length(32),
        Regexp(
            CODE_PATTERN,
            message=_l(
                "Mã chỉ gồm chữ không dấu, chữ số và các ký tự . _ / - (không có dấu cách)."
            ),
        ),
    ]


class DayField(DateField):
    """A date from the browser's date picker (yyyy-mm-dd) or typed as dd/mm/yyyy."""

    def __init__(self, label: Any = None, validators: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("format", ["%Y-%m-%d", "%d/%m/%Y"])
        kwargs.setdefault(
            "invalid_value_message", _l("Ngày không hợp lệ. Nhập theo dạng ngày/tháng/năm.")
        )
        super().__init__(label, validators, **kwargs)


class WholeNumberField(IntegerField):
    def __init__(self, label: Any = None, validators: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("invalid_value_message", _l("Nhập một số nguyên, ví dụ 3."))
        super().__init__(label, validators, **kwargs)


class AmountField(DecimalField):
    """A decimal that also accepts the Vietnamese decimal comma (``12,5``), refuses NaN and infinity,
    and shows stored values without trailing zeros (``12.5``, not ``12.50``)."""

    def __init__(self, label: Any = None, validators: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("places", None)
        kwargs.setdefault("invalid_value_message", _l("Nhập một số, ví dụ 12,5."))
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        if valuelist and isinstance(valuelist[0], str):
            text = valuelist[0].strip()
            if "," in text and "." not in text:
                text = text.replace(",", ".")
            valuelist = [text]
        super().process_formdata(valuelist)
        if self.data is not None and not self.data.is_finite():
            self.data = None
            raise ValueError(self.invalid_value_message)

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        if self.data is None:
            return ""
        return format(Decimal(self.data).normalize(), "f")


class DecimalRange:
    """``low < value`` (or ``low <= value`` when inclusive) and ``value <= high``."""

    def __init__(
        self,
        low: Decimal | int | None = None,
        high: Decimal | int | None = None,
        *,
        inclusive: bool = True,
        message: Any = None,
    ) -> None:
        self.low = None if low is None else Decimal(low)
        self.high = None if high is None else Decimal(high)
        self.inclusive = inclusive
        self.message = message

    def __call__(self, form: Any, field: Any) -> None:
        value = field.data
        if value is None:
            return
        too_low = self.low is not None and (
            value < self.low if self.inclusive else value <= self.low
        )
        if too_low or (self.high is not None and value > self.high):
            raise ValidationError(self.message)


class Step:
    """The value is a whole multiple of ``step`` (0.5 for points, 0.01 for two decimal places)."""

    def __init__(self, step: str, message: Any) -> None:
        self.step = Decimal(step)
        self.message = message

    def __call__(self, form: Any, field: Any) -> None:
        if field.data is None:
            return
        try:
            fits = field.data % self.step == 0
        except decimal.InvalidOperation:
            fits = False
        if not fits:
            raise ValidationError(self.message)


TWO_PLACES = Step("0.01", _l("Chỉ dùng tối đa 2 chữ số thập phân."))


class ChoiceField(SelectField):
    """A select whose refusals are worded in Vietnamese."""

    def __init__(self, label: Any = None, validators: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("invalid_value_message", _l("Lựa chọn không hợp lệ."))
        kwargs.setdefault("invalid_choice_message", _l("Hãy chọn một mục trong danh sách."))
        super().__init__(label, validators, **kwargs)


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def __init__(self, label: Any = None, validators: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("invalid_value_message", _l("Lựa chọn không hợp lệ."))
        kwargs.setdefault("invalid_choice_message", _l("Lựa chọn không hợp lệ: %(value)s."))
        super().__init__(label, validators, **kwargs)


class SetupForm(FlaskForm):
    """Base of the set-up forms: knows its campaign and the object it edits (``None`` when new)."""

    submit = SubmitField(_l("Lưu"))

    def __init__(
        self,
        formdata: Any = None,
        *,
        campaign: Campaign | None = None,
        current: Any = None,
        **kwargs: Any,
    ) -> None:
        self.campaign = campaign
        self.current = current
        # No formdata given: let Flask-WTF read the request (FlaskForm's own default).
        if formdata is None:
            super().__init__(obj=current, **kwargs)
        else:
            super().__init__(formdata, obj=current, **kwargs)

    @property
    def current_id(self) -> int | None:
        return self.current.id if self.current is not None else None

    def payload(self) -> dict[str, Any]:
        """Field values by name, without the CSRF token and the button."""
        return {
            name: field.data
            for name, field in self._fields.items()
            if name not in ("csrf_token", "submit")
        }


# --------------------------------------------------------------------------- campaign


class CampaignForm(SetupForm):
    code = StringField(
        _l("Mã phong trào"),
        validators=code_validators(),
        filters=TEXT_FILTERS,
        description=_l("Mã ngắn, duy nhất, ví dụ CDS-2024-2025."),
    )
    name = StringField(
        _l("Tên phong trào"), validators=[required(), max_length(500)], filters=TEXT_FILTERS
    )
    plan_reference = StringField(
        _l("Kế hoạch phát động"),
        validators=[max_length(500)],
        filters=TEXT_FILTERS,
        description=_l("Số, ngày của kế hoạch hoặc văn bản phát động phong trào."),
    )
    organiser = StringField(
        _l("Cơ quan phát động"), validators=[max_length(255)], filters=TEXT_FILTERS
    )
    standing_body = StringField(
        _l("Cơ quan thường trực"), validators=[max_length(255)], filters=TEXT_FILTERS
    )
    issuing_body = StringField(
        _l("Cơ quan ban hành quyết định khen thưởng"),
        validators=[max_length(255)],
        filters=TEXT_FILTERS,
        description=_l("Ví dụ: ỦY BAN NHÂN DÂN TỈNH BẮC NINH."),
    )
    legal_basis = TextAreaField(
        _l("Căn cứ pháp lý"),
        validators=[max_length(20000)],
        filters=[*TEXT_FILTERS, tidy_lines],
        description=_l(
            "Mỗi dòng một căn cứ, ví dụ: Căn cứ Luật Thi đua, khen thưởng ngày 15/6/2022;"
        ),
        render_kw={"rows": 6},
    )
    period_start = DayField(_l("Ngày bắt đầu"), validators=[given()])
    period_end = DayField(_l("Ngày kết thúc"), validators=[given()])
    aggregation = ChoiceField(
        _l("Cách tổng hợp điểm của các thành viên chấm"),
        choices=options(labels.choices(labels.AGGREGATION_LABELS)),
        coerce=Aggregation,
        default=Aggregation.MEAN,
    )
    min_reviews = WholeNumberField(
        _l("Số phiếu chấm tối thiểu"),
        default=3,
        validators=[
            given(),
            NumberRange(min=1, max=50, message=_l("Nhập một số từ 1 đến 50.")),
        ],
    )
    total_points = AmountField(
        _l("Tổng điểm"),
        default=Decimal(100),
        validators=[
            given(),
            DecimalRange(
                0, 1000, inclusive=False, message=_l("Tổng điểm phải lớn hơn 0 và không quá 1000.")
            ),
            Step("0.5", _l("Tổng điểm phải là bội số của 0,5.")),
        ],
    )
    comment_margin = AmountField(
        _l("Mức chênh lệch phải giải trình"),
        default=Decimal(2),
        validators=[
            Optional(),
            DecimalRange(0, 1000, message=_l("Nhập một số từ 0 đến 1000.")),
            TWO_PLACES,
        ],
        description=_l(
            "Thành viên Hội đồng phải ghi nhận xét khi điểm chấm lệch khỏi điểm tự chấm quá mức này."
        ),
    )

    def validate_code(self, field: Any) -> None:
        if code_taken(Campaign, field.data, exclude_id=self.current_id):
            raise ValidationError(_l("Mã phong trào này đã được dùng. Hãy chọn mã khác."))

    def validate_period_end(self, field: Any) -> None:
        if self.period_start.data and field.data and field.data < self.period_start.data:
            raise ValidationError(_l("Ngày kết thúc phải sau hoặc trùng ngày bắt đầu."))

    def payload(self) -> dict[str, Any]:
        values = super().payload()
        if values["comment_margin"] is None:
            values["comment_margin"] = Decimal(0)
        return values


class CampaignCopyForm(SetupForm):
    code = StringField(_l("Mã phong trào mới"), validators=code_validators(), filters=TEXT_FILTERS)
    name = StringField(
        _l("Tên phong trào mới"), validators=[required(), max_length(500)], filters=TEXT_FILTERS
    )
    period_start = DayField(_l("Ngày bắt đầu"), validators=[given()])
    period_end = DayField(_l("Ngày kết thúc"), validators=[given()])
    submit = SubmitField(_l("Sao chép"))

    validate_code = CampaignForm.validate_code
    validate_period_end = CampaignForm.validate_period_end


# --------------------------------------------------------------------------- rounds


class RoundForm(SetupForm):
    code = StringField(
        _l("Mã đợt xét"),
        validators=code_validators(),
        filters=TEXT_FILTERS,
        description=_l("Duy nhất trong toàn hệ thống, ví dụ CDS-10-10-2025."),
    )
    name = StringField(
        _l("Tên đợt xét"), validators=[required(), max_length(255)], filters=TEXT_FILTERS
    )
    nomination_opens = DayField(_l("Ngày bắt đầu nhận hồ sơ"), validators=[given()])
    nomination_closes = DayField(_l("Hạn nộp hồ sơ"), validators=[given()])
    review_deadline = DayField(_l("Hạn chấm điểm"), validators=[Optional()])
    ceremony_date = DayField(_l("Ngày trao thưởng"), validators=[given()])
    disclosure_days = WholeNumberField(
        _l("Số ngày làm việc công khai lấy ý kiến"),
        validators=[Optional(), NumberRange(min=1, max=60, message=_l("Nhập một số từ 1 đến 60."))],
        description=_l("Để trống nếu đợt xét không công khai lấy ý kiến nhân dân."),
    )
    phase = ChoiceField(
        _l("Giai đoạn"),
        choices=options(labels.choices(labels.PHASE_LABELS)),
        coerce=RoundPhase,
        default=RoundPhase.SETUP,
    )

    def validate_code(self, field: Any) -> None:
        if code_taken(Round, field.data, exclude_id=self.current_id):
            raise ValidationError(_l("Mã đợt xét này đã được dùng. Hãy chọn mã khác."))

    def validate_nomination_closes(self, field: Any) -> None:
        opens = self.nomination_opens.data
        if opens and field.data and field.data < opens:
            raise ValidationError(_l("Hạn nộp hồ sơ phải sau hoặc trùng ngày bắt đầu nhận hồ sơ."))

    def validate_review_deadline(self, field: Any) -> None:
        closes, ceremony = self.nomination_closes.data, self.ceremony_date.data
        if field.data and closes and field.data < closes:
            raise ValidationError(_l("Hạn chấm điểm phải sau hoặc trùng hạn nộp hồ sơ."))
        if field.data and ceremony and field.data > ceremony:
            raise ValidationError(_l("Hạn chấm điểm phải trước hoặc trùng ngày trao thưởng."))

    def validate_ceremony_date(self, field: Any) -> None:
        closes = self.nomination_closes.data
        if field.data and closes and field.data < closes:
            raise ValidationError(_l("Ngày trao thưởng phải sau hoặc trùng hạn nộp hồ sơ."))


class RoundCopyForm(SetupForm):
    campaign_id = ChoiceField(_l("Sao chép vào phong trào"), coerce=int)
    code = StringField(_l("Mã đợt xét mới"), validators=code_validators(), filters=TEXT_FILTERS)
    name = StringField(
        _l("Tên đợt xét mới"), validators=[required(), max_length(255)], filters=TEXT_FILTERS
    )
    shift_years = WholeNumberField(
        _l("Dời các mốc thời gian sau (năm)"),
        default=1,
        validators=[
            given(),
            NumberRange(min=0, max=20, message=_l("Nhập một số từ 0 đến 20.")),
        ],
        description=_l("Ngày 29/02 được chuyển thành 28/02 khi năm mới không nhuận."),
    )
    submit = SubmitField(_l("Sao chép"))

    def __init__(self, formdata: Any = None, **kwargs: Any) -> None:
        super().__init__(formdata, **kwargs)
        rows = db.session.execute(
            sa.select(Campaign.id, Campaign.code, Campaign.name).order_by(
                Campaign.period_start.desc(), Campaign.code
            )
        ).all()
        self.campaign_id.choices = options([(r.id, f"{r.code} — {r.name}") for r in rows])

    def validate_code(self, field: Any) -> None:
        if code_taken(Round, field.data):
            raise ValidationError(_l("Mã đợt xét này đã được dùng. Hãy chọn mã khác."))


class PhaseForm(FlaskForm):
    phase = ChoiceField(
        _l("Giai đoạn"), choices=options(labels.choices(labels.PHASE_LABELS)), coerce=RoundPhase
    )
    submit = SubmitField(_l("Chuyển giai đoạn"))


# --------------------------------------------------------------------------- criteria


class CriterionGroupForm(SetupForm):
    code = StringField(_l("Mã nhóm"), validators=code_validators(), filters=TEXT_FILTERS)
    title = StringField(
        _l("Tên nhóm tiêu chí"), validators=[required(), max_length(255)], filters=TEXT_FILTERS
    )
    applies_to = ChoiceField(
        _l("Áp dụng cho"),
        choices=options(labels.choices(labels.APPLIES_TO_LABELS)),
        coerce=AppliesTo,
        default=AppliesTo.BOTH,
    )
    position = WholeNumberField(
        _l("Thứ tự hiển thị"),
        default=0,
        validators=[
            Optional(),
            NumberRange(min=0, max=9999, message=_l("Nhập một số từ 0 đến 9999.")),
        ],
    )

    def validate_code(self, field: Any) -> None:
        assert self.campaign is not None
        if code_taken(
            CriterionGroup, field.data, campaign_id=self.campaign.id, exclude_id=self.current_id
        ):
            raise ValidationError(_l("Phong trào đã có nhóm tiêu chí mang mã này."))

    def payload(self) -> dict[str, Any]:
        values = super().payload()
        values["position"] = values["position"] or 0
        return values


class CriterionForm(SetupForm):
    group_id = ChoiceField(_l("Nhóm tiêu chí"), coerce=int)
    code = StringField(
        _l("Mã tiêu chí"),
        validators=code_validators(),
        filters=TEXT_FILTERS,
        description=_l("Ví dụ 2.1"),
    )
    title = StringField(
        _l("Nội dung tiêu chí"), validators=[required(), max_length(500)], filters=TEXT_FILTERS
    )
    guidance = TextAreaField(
        _l("Hướng dẫn chấm"),
        validators=[max_length(5000)],
        filters=TEXT_FILTERS,
        render_kw={"rows": 3},
    )
    max_points = AmountField(
        _l("Điểm tối đa"),
        validators=[
            given(),
            DecimalRange(
                0,
                1000,
                inclusive=False,
                message=_l("Điểm tối đa phải lớn hơn 0 và không quá 1000."),
            ),
            Step("0.5", _l("Điểm tối đa phải là bội số của 0,5 (ví dụ 5 hoặc 7,5).")),
        ],
        render_kw={"step": "0.5", "min": "0.5"},
    )
    weight = AmountField(
        _l("Trọng số"),
        default=Decimal(1),
        validators=[
            given(),
            DecimalRange(
                0, 100, inclusive=False, message=_l("Trọng số phải lớn hơn 0 và không quá 100.")
            ),
            Step("0.001", _l("Trọng số dùng tối đa 3 chữ số thập phân.")),
        ],
    )
    applies_to = ChoiceField(
        _l("Áp dụng cho"),
        choices=options(labels.choices(labels.APPLIES_TO_LABELS)),
        coerce=AppliesTo,
    )
    target_value = AmountField(
        _l("Chỉ tiêu (nếu tiêu chí định lượng)"),
        validators=[
            Optional(),
            DecimalRange(0, 10**9, inclusive=False, message=_l("Chỉ tiêu phải lớn hơn 0.")),
            Step("0.001", _l("Chỉ tiêu dùng tối đa 3 chữ số thập phân.")),
        ],
        description=_l("Điểm gợi ý = điểm tối đa × min(kết quả / chỉ tiêu, 1)."),
    )
    target_unit = StringField(
        _l("Đơn vị tính của chỉ tiêu"),
        validators=[max_length(32)],
        filters=TEXT_FILTERS,
        description=_l("Ví dụ: %, hồ sơ, sáng kiến."),
    )
    evidence_required = BooleanField(_l("Bắt buộc có minh chứng"))
    position = WholeNumberField(
        _l("Thứ tự hiển thị"),
        default=0,
        validators=[
            Optional(),
            NumberRange(min=0, max=9999, message=_l("Nhập một số từ 0 đến 9999.")),
        ],
    )

    def __init__(self, formdata: Any = None, **kwargs: Any) -> None:
        super().__init__(formdata, **kwargs)
        assert self.campaign is not None
        self.campaign_groups = {g.id: g for g in self.campaign.criterion_groups}
        self.group_id.choices = options(
            [
                (g.id, f"{g.code} — {g.title} ({labels.APPLIES_TO_LABELS[g.applies_to]})")
                for g in self.campaign_groups.values()
            ]
        )
        if not self.campaign_groups:
            self.group_id.description = _l("Phong trào chưa có nhóm tiêu chí: hãy thêm nhóm trước.")

    def validate_code(self, field: Any) -> None:
        assert self.campaign is not None
        if code_taken(
            Criterion, field.data, campaign_id=self.campaign.id, exclude_id=self.current_id
        ):
            raise ValidationError(_l("Phong trào đã có tiêu chí mang mã này."))

    def validate_applies_to(self, field: Any) -> None:
        group = self.campaign_groups.get(self.group_id.data)
        if group is not None and field.data and not is_compatible(group.applies_to, field.data):
            raise ValidationError(
                _l(
                    "Nhóm đã chọn chỉ dành cho %(kind)s. Hãy chọn đối tượng phù hợp hoặc nhóm khác.",
                    kind=labels.APPLIES_TO_LABELS[group.applies_to],
                )
            )

    def validate_target_unit(self, field: Any) -> None:
        if field.data and self.target_value.data is None:
            raise ValidationError(_l("Chỉ nhập đơn vị tính khi tiêu chí có chỉ tiêu."))

    def payload(self) -> dict[str, Any]:
        values = super().payload()
        values["position"] = values["position"] or 0
        return values


# --------------------------------------------------------------------------- award forms


class AwardFormForm(SetupForm):
    code = StringField(
        _l("Mã hình thức"),
        validators=code_validators(),
        filters=TEXT_FILTERS,
        description=_l("Ví dụ BK-UBND, GK-SNV."),
    )
    name = StringField(
        _l("Tên hình thức khen thưởng"),
        validators=[required(), max_length(255)],
        filters=TEXT_FILTERS,
        description=_l("Ví dụ: Bằng khen của Chủ tịch UBND tỉnh."),
    )
    certificate_title = StringField(
        _l("Tên in trên bằng"),
        validators=[required(), max_length(64)],
        filters=TEXT_FILTERS,
        description=_l("Chữ in hoa màu đỏ trên bằng, ví dụ: BẰNG KHEN."),
    )
    awarding_title = StringField(
        _l("Chức danh người tặng in trên bằng"),
        validators=[required(), max_length(255)],
        filters=TEXT_FILTERS,
        description=_l("Ví dụ: CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH BẮC NINH."),
    )
    recipient_kinds = MultiCheckboxField(
        _l("Đối tượng được khen"),
        choices=options(labels.choices(labels.RECIPIENT_KIND_LABELS)),
    )
    award_type = ChoiceField(
        _l("Loại khen thưởng"),
        choices=options(labels.choices(labels.AWARD_TYPE_LABELS)),
        coerce=AwardType,
        default=AwardType.CAMPAIGN,
        description=_l(
            "Khen thưởng phong trào / chuyên đề không được tính làm căn cứ cho khen thưởng công trạng sau này."
        ),
    )
    min_score = AmountField(
        _l("Điểm tối thiểu để được xét"),
        default=Decimal(0),
        validators=[
            Optional(),
            DecimalRange(0, 1000, message=_l("Điểm tối thiểu không được âm.")),
            TWO_PLACES,
        ],
    )
    quota_total = WholeNumberField(
        _l("Tổng chỉ tiêu"),
        validators=[
            Optional(),
            NumberRange(min=0, max=100000, message=_l("Nhập một số không âm.")),
        ],
        description=_l("Để trống nếu không giới hạn."),
    )
    quota_per_unit = WholeNumberField(
        _l("Chỉ tiêu mỗi đơn vị"),
        validators=[
            Optional(),
            NumberRange(min=0, max=100000, message=_l("Nhập một số không âm.")),
        ],
        description=_l("Để trống nếu không giới hạn."),
    )
    ballot_threshold = AmountField(
        _l("Tỷ lệ phiếu đồng ý tối thiểu (%)"),
        default=Decimal(50),
        validators=[
            given(),
            DecimalRange(
                0, 100, inclusive=False, message=_l("Nhập tỷ lệ lớn hơn 0 và không quá 100.")
            ),
            TWO_PLACES,
        ],
    )
    ballot_base = ChoiceField(
        _l("Tính tỷ lệ phiếu"),
        choices=options(labels.choices(labels.BALLOT_BASE_LABELS)),
        coerce=BallotBase,
        default=BallotBase.VOTING,
    )
    cash_multiple_collective = AmountField(
        _l("Hệ số tiền thưởng cho tập thể (× mức lương cơ sở)"),
        default=Decimal(0),
        validators=[
            Optional(),
            DecimalRange(0, 100, message=_l("Nhập hệ số từ 0 đến 100.")),
            TWO_PLACES,
        ],
    )
    cash_multiple_individual = AmountField(
        _l("Hệ số tiền thưởng cho cá nhân (× mức lương cơ sở)"),
        default=Decimal(0),
        validators=[
            Optional(),
            DecimalRange(0, 100, message=_l("Nhập hệ số từ 0 đến 100.")),
            TWO_PLACES,
        ],
    )
    signer_prefix = ChoiceField(
        _l("Thẩm quyền ký"),
        choices=options([("", _l("— Ký trực tiếp —")), *((p, p) for p in SIGNER_PREFIXES)]),
        default="",
        description=_l("KT. (ký thay), TM. (thay mặt), TL. (thừa lệnh), TUQ. (thừa ủy quyền)."),
    )
    signer_title = StringField(
        _l("Chức vụ người ký"),
        validators=[max_length(255)],
        filters=TEXT_FILTERS,
        description=_l("Ví dụ: PHÓ CHỦ TỊCH."),
    )
    signer_name = StringField(
        _l("Họ tên người ký"), validators=[max_length(255)], filters=TEXT_FILTERS
    )
    decision_issuer = TextAreaField(
        _l("Cơ quan ban hành quyết định (tiêu đề)"),
        default="ỦY BAN NHÂN DÂN\nTỈNH BẮC NINH",
        validators=[required(), max_length(255)],
        filters=TEXT_FILTERS,
        render_kw={"rows": 2},
        description=_l(
            "Chữ in hoa, mỗi dòng một dòng của tiêu đề; cơ quan cấp trên (UBND TỈNH …) ở dòng đầu nếu có."
        ),
    )
    decision_symbol = StringField(
        _l("Ký hiệu số quyết định"),
        default="QĐ-UBND",
        validators=[required(), max_length(32)],
        filters=TEXT_FILTERS,
        description=_l(
            "Số quyết định được cấp liên tục theo ký hiệu này và theo năm, ví dụ QĐ-UBND."
        ),
    )
    position = WholeNumberField(
        _l("Thứ tự hiển thị"),
        default=0,
        validators=[
            Optional(),
            NumberRange(min=0, max=9999, message=_l("Nhập một số từ 0 đến 9999.")),
        ],
    )

    def __init__(self, formdata: Any = None, **kwargs: Any) -> None:
        super().__init__(formdata, **kwargs)
        if not self.is_submitted():
            current = self.current
            kinds = [RecipientKind.COLLECTIVE, RecipientKind.INDIVIDUAL]
            if current is not None:
                kinds = [k for k in kinds if current.is_open_to(k)]
            self.recipient_kinds.data = [k.value for k in kinds]

    def validate_code(self, field: Any) -> None:
        assert self.campaign is not None
        if code_taken(
            AwardForm, field.data, campaign_id=self.campaign.id, exclude_id=self.current_id
        ):
            raise ValidationError(_l("Phong trào đã có hình thức khen thưởng mang mã này."))

    def validate_recipient_kinds(self, field: Any) -> None:
        # Not DataRequired: its "required" attribute on every checkbox would demand both.
        if not field.data:
            raise ValidationError(_l("Chọn ít nhất một đối tượng: tập thể hoặc cá nhân."))

    def validate_min_score(self, field: Any) -> None:
        assert self.campaign is not None
        if field.data is not None and field.data > self.campaign.total_points:
            raise ValidationError(_l("Điểm tối thiểu không được vượt tổng điểm của phong trào."))

    def validate_quota_per_unit(self, field: Any) -> None:
        total = self.quota_total.data
        if field.data is not None and total is not None and field.data > total:
            raise ValidationError(_l("Chỉ tiêu mỗi đơn vị không được vượt tổng chỉ tiêu."))

    def payload(self) -> dict[str, Any]:
        values = super().payload()
        kinds = set(values.pop("recipient_kinds") or ())
        values["for_collectives"] = RecipientKind.COLLECTIVE.value in kinds
        values["for_individuals"] = RecipientKind.INDIVIDUAL.value in kinds
        for name in ("min_score", "cash_multiple_collective", "cash_multiple_individual"):
            if values[name] is None:
                values[name] = Decimal(0)
        values["position"] = values["position"] or 0
        return values
