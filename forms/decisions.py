"""Forms of the approval and decision pages (``awards/decision_views.py``).

* ``DecideForm``: the approver's choices on the proposed list. The rows are not fields of their own: each
  decidable row posts ``approve=<id>`` or ``reject=<id>`` (checkboxes) and ``reason-<id>`` (text). A
  rejection needs its reason; an item cannot be both approved and rejected. Problems are kept per item
  (``row_errors``) so the page can show them beside the row, with everything the approver typed.
* ``DraftForm``: the board's edit of a draft decision's texts, date, signer and base salary.
* ``IssueForm``: issuing carries the version of the draft the approver read, so that what is signed is
  what was previewed.
* ``RevokeForm``: reason and the reference of the revoking act (Law 06/2022 ch. VII).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    IntegerField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Optional
from wtforms.widgets import HiddenInput

from awards.decisions import SIGNER_PREFIXES, DraftData
from awards.text import clean
from forms.campaigns import (
    AmountField,
    ChoiceField,
    DayField,
    DecimalRange,
    given,
    max_length,
    required,
    tidy_lines,
)
from forms.fields import TEXT_FILTERS, options
from models import Decision

REASON_MAX = 1000
THOUSANDS = re.compile(r"\d{1,3}([.\s]\d{3})+")


class DongField(AmountField):
    """Whole đồng, typed plainly (2340000) or with the Vietnamese thousands dots (2.340.000)."""

    def __init__(self, label: Any = None, validators: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("invalid_value_message", _l("Nhập số tiền theo đồng, ví dụ 2.340.000."))
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        if valuelist and isinstance(valuelist[0], str):
            text = valuelist[0].strip().removesuffix("đ").strip()
            if THOUSANDS.fullmatch(text):
                text = re.sub(r"[.\s]", "", text)
            valuelist = [text]
        super().process_formdata(valuelist)
        if self.data is not None and self.data != self.data.to_integral_value():
            self.data = None
            raise ValueError(self.invalid_value_message)


class IdListField(SelectMultipleField):
    """Item ids posted by checkboxes that the template draws itself (any id: the service ignores ids
    outside the round and refuses the ones the approver may not decide)."""

    def __init__(self, label: Any = None, validators: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("coerce", int)
        kwargs.setdefault("validate_choice", False)
        kwargs.setdefault("invalid_value_message", _l("Lựa chọn không hợp lệ."))
        super().__init__(label, validators, **kwargs)


class DecideForm(FlaskForm):
    approve = IdListField()
    reject = IdListField()
    submit = SubmitField(_l("Ghi nhận ý kiến phê duyệt"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.reasons: dict[int, str] = {}
        self.row_errors: dict[int, str] = {}

    def validate(self, extra_validators: Any = None) -> bool:
        if not super().validate(extra_validators):
            return False
        source = request.form
        rejected = set(self.reject.data or [])
        for key in source:
            if key.startswith("reason-") and key[7:].isdigit():
                text = clean(source.get(key, ""))
                if text:
                    self.reasons[int(key[7:])] = text
        for nomination_id in set(self.approve.data or []) & rejected:
            self.row_errors[nomination_id] = str(
                _l("Chỉ chọn một trong hai: phê duyệt hoặc không phê duyệt.")
            )
        for nomination_id in rejected:
            reason = self.reasons.get(nomination_id, "")
            if not reason:
                self.row_errors.setdefault(nomination_id, str(_l("Hãy ghi lý do không phê duyệt.")))
            elif len(reason) > REASON_MAX:
                self.row_errors.setdefault(
                    nomination_id, str(_l("Tối đa %(max)d ký tự.", max=REASON_MAX))
                )
        return not self.row_errors

    @property
    def chosen(self) -> bool:
        return bool(self.approve.data or self.reject.data)

    def approved_ids(self) -> list[int]:
        return list(dict.fromkeys(self.approve.data or []))

    def rejections(self) -> dict[int, str]:
        return {nomination_id: self.reasons[nomination_id] for nomination_id in self.reject.data}


class DraftForm(FlaskForm):
    signed_on = DayField(
        _l("Ngày ký"),
        validators=[given()],
        description=_l("Ngày ghi trên quyết định; năm của số quyết định theo ngày này."),
    )
    subject = TextAreaField(
        _l("Trích yếu"),
        validators=[required(), max_length(1000)],
        filters=TEXT_FILTERS,
        render_kw={"rows": 2},
    )
    legal_basis = TextAreaField(
        _l("Căn cứ ban hành"),
        validators=[required(), max_length(8000)],
        filters=[*TEXT_FILTERS, tidy_lines],
        render_kw={"rows": 5},
        description=_l(
            "Mỗi dòng một căn cứ, bắt đầu bằng “Căn cứ …”; không cần dấu chấm phẩy cuối."
        ),
    )
    proposal = TextAreaField(
        _l("Đề nghị của cơ quan tham mưu"),
        validators=[Optional(), max_length(1000)],
        filters=TEXT_FILTERS,
        render_kw={"rows": 2},
        description=_l("Ví dụ: Theo đề nghị của Giám đốc Sở Nội vụ."),
    )
    executors = TextAreaField(
        _l("Cơ quan, đơn vị thi hành (Điều cuối)"),
        validators=[required(), max_length(2000)],
        filters=TEXT_FILTERS,
        render_kw={"rows": 2},
    )
    recipients = TextAreaField(
        _l("Nơi nhận"),
        validators=[required(), max_length(2000)],
        filters=[*TEXT_FILTERS, tidy_lines],
        render_kw={"rows": 3},
        description=_l("Mỗi dòng một nơi nhận, ví dụ “Như Điều 3”, “Lưu: VT, NV”."),
    )
    signer_prefix = ChoiceField(
        _l("Thẩm quyền ký"),
        choices=options([("", _l("— Ký trực tiếp —")), *((p, p) for p in SIGNER_PREFIXES if p)]),
        default="",
        description=_l("KT. (ký thay), TM. (thay mặt), TL. (thừa lệnh), TUQ. (thừa ủy quyền)."),
    )
    signer_head_title = StringField(
        _l("Chức danh người đứng đầu"),
        validators=[max_length(255)],
        filters=TEXT_FILTERS,
        description=_l("Sau KT./TM./TL./TUQ., ví dụ CHỦ TỊCH; để trống khi ký trực tiếp."),
    )
    signer_title = StringField(
        _l("Chức vụ người ký"),
        validators=[max_length(255)],
        filters=TEXT_FILTERS,
        description=_l("Ví dụ: PHÓ CHỦ TỊCH."),
    )
    signer_name = StringField(
        _l("Họ và tên người ký"), validators=[max_length(255)], filters=TEXT_FILTERS
    )
    base_salary = DongField(
        _l("Mức lương cơ sở (đồng)"),
        validators=[
            given(),
            DecimalRange(0, 10**12, inclusive=False, message=_l("Mức lương cơ sở phải lớn hơn 0.")),
        ],
        description=_l("Tiền thưởng của từng tập thể, cá nhân tính theo mức này."),
    )
    version = IntegerField(widget=HiddenInput(), validators=[Optional()])
    submit = SubmitField(_l("Lưu dự thảo"))

    @classmethod
    def of(cls, decision: Decision) -> DraftForm:
        """The form filled from ``decision`` (on GET; a POST reads the request)."""
        return cls(obj=decision)

    def values(self) -> DraftData:
        return DraftData(
            signed_on=self.signed_on.data,
            subject=self.subject.data or "",
            legal_basis=self.legal_basis.data or "",
            proposal=self.proposal.data or "",
            executors=self.executors.data or "",
            recipients=self.recipients.data or "",
            signer_prefix=self.signer_prefix.data or "",
            signer_head_title=self.signer_head_title.data or "",
            signer_title=self.signer_title.data or "",
            signer_name=self.signer_name.data or "",
            base_salary=Decimal(self.base_salary.data).quantize(Decimal(1)),
        )


class IssueForm(FlaskForm):
    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    submit = SubmitField(_l("Ban hành quyết định"))


class RevokeForm(FlaskForm):
    reason = TextAreaField(
        _l("Lý do hủy bỏ"),
        validators=[required(), max_length(2000)],
        filters=TEXT_FILTERS,
        render_kw={"rows": 2},
    )
    reference = StringField(
        _l("Văn bản hủy bỏ (số, ngày)"),
        validators=[required(), max_length(255)],
        filters=TEXT_FILTERS,
        description=_l("Ví dụ: Quyết định số 15/QĐ-UBND ngày 20/11/2025."),
    )
    submit = SubmitField(_l("Hủy bỏ"))
