"""Forms of the council ballot: opening a session, attendance, and a member's votes.

The vote form is built per member from the nominations they may vote on (``vote_form``): one
Đồng ý / Không đồng ý choice per nomination, named ``n<id>``. Rules (membership, attendance, state,
conflict of interest) live in ``awards/ballots.py``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, StringField, SubmitField
from wtforms.validators import InputRequired, Optional

from forms.campaigns import (
    AmountField,
    ChoiceField,
    DayField,
    DecimalRange,
    MultiCheckboxField,
    given,
    max_length,
    required,
)
from forms.fields import TEXT_FILTERS, options
from models import Attendance

APPROVE, REJECT = "yes", "no"


class BallotForm(FlaskForm):
    """A council session for a round; ``member_ids`` choices are the council members, set by the view."""

    title = StringField(
        _l("Nội dung xét"),
        validators=[required(), max_length(255)],
        filters=TEXT_FILTERS,
        description=_l("Ví dụ: Ngày Chuyển đổi số 10/10/2025"),
    )
    held_on = DayField(_l("Ngày họp"), validators=[given()])
    place = StringField(
        _l("Địa điểm"), validators=[Optional(), max_length(255)], filters=TEXT_FILTERS
    )
    chair_name = StringField(
        _l("Chủ trì (Chủ tịch Hội đồng)"),
        validators=[required(), max_length(255)],
        filters=TEXT_FILTERS,
    )
    secretary_name = StringField(
        _l("Thư ký Hội đồng"), validators=[required(), max_length(255)], filters=TEXT_FILTERS
    )
    quorum_percent = AmountField(
        _l("Tỷ lệ thành viên có mặt tối thiểu (%)"),
        default=Decimal(80),
        validators=[
            given(),
            DecimalRange(0, 100, inclusive=False, message=_l("Từ trên 0 đến 100.")),
        ],
    )
    member_ids = MultiCheckboxField(_l("Thành viên Hội đồng"), coerce=int, validate_choice=True)
    submit = SubmitField(_l("Mở phiên họp"))

    def values(self) -> dict[str, Any]:
        """The keyword arguments of ``ballots.open_ballot`` (without the round and the actor)."""
        return {
            "title": self.title.data,
            "held_on": self.held_on.data,
            "place": self.place.data or "",
            "chair_name": self.chair_name.data,
            "secretary_name": self.secretary_name.data,
            "quorum_percent": self.quorum_percent.data,
            "member_ids": self.member_ids.data or [],
        }


ATTENDANCE_LABELS = {
    Attendance.PRESENT: _l("Có mặt"),
    Attendance.WRITTEN: _l("Vắng, có ý kiến bằng văn bản"),
    Attendance.ABSENT: _l("Vắng mặt"),
}


class AttendanceForm(FlaskForm):
    user_id = HiddenField(validators=[InputRequired()])
    attendance = ChoiceField(
        _l("Tình trạng"),
        choices=options((a.value, label) for a, label in ATTENDANCE_LABELS.items()),
        validators=[InputRequired()],
    )
    submit = SubmitField(_l("Lưu"))


class VoteFormBase(FlaskForm):
    submit = SubmitField(_l("Lưu phiếu biểu quyết"))

    def choices(self) -> dict[int, bool]:
        """``{nomination_id: approve}`` for every nomination given an answer."""
        result = {}
        for name, field in self._fields.items():
            if name.startswith("n") and name[1:].isdigit() and field.data in (APPROVE, REJECT):
                result[int(name[1:])] = field.data == APPROVE
        return result


def vote_form(nomination_ids: list[int], current: dict[int, bool | None]) -> VoteFormBase:
    """A form with one Đồng ý / Không đồng ý choice per nomination (``n<id>``), preset to the votes
    already cast (``current``)."""

    class VoteForm(VoteFormBase):
        pass

    for nomination_id in nomination_ids:
        setattr(
            VoteForm,
            f"n{nomination_id}",
            RadioField(
                choices=options([(APPROVE, _l("Đồng ý")), (REJECT, _l("Không đồng ý"))]),
                validators=[Optional()],
                validate_choice=True,
            ),
        )
    data = {
        f"n{nid}": (APPROVE if vote else REJECT)
        for nid, vote in current.items()
        if vote is not None
    }
    return VoteForm(data=data)
