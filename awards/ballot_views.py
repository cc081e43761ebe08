"""The council ballot's pages: the board opens and runs a session (attendance, written opinions of
absent members, the live tally, closing, the minutes PDF); council members (reviewers) vote.

Views are thin: load (404), gate (403), validate the form, call one service of ``awards.ballots``,
commit once, flash, redirect.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from awards import ballots, labels
from awards.ballots import BallotError, BallotNotPermitted
from awards.extensions import db
from awards.permissions import roles_required
from awards.rounds import choose_round, round_from_args
from exports import minutes as minutes_pdf
from forms.auth import ConfirmForm
from forms.ballots import ATTENDANCE_LABELS, AttendanceForm, BallotForm, vote_form
from forms.fields import options
from models import Attendance, Ballot, BallotState, Role, User

bp = Blueprint("ballots", __name__, url_prefix="/ballots")


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {
        "attendance_labels": ATTENDANCE_LABELS,
        "kind_labels": labels.RECIPIENT_KIND_LABELS,
        "BallotState": BallotState,
        "Attendance": Attendance,
    }


def _ballot(ballot_id: int) -> Ballot:
    return db.get_or_404(Ballot, ballot_id)


def _to_detail(ballot: Ballot) -> BaseResponse:
    return redirect(url_for("ballots.detail", ballot_id=ballot.id))


def _refused(ballot: Ballot, error: BallotError) -> BaseResponse:
    db.session.rollback()
    if isinstance(error, BallotNotPermitted):
        abort(403)
    flash(str(error), "danger")
    return _to_detail(ballot)


# --------------------------------------------------------------------------- the board


@bp.route("/", methods=["GET", "POST"])
@roles_required(Role.BOARD, Role.REVIEWER)
def index() -> BaseResponse | str:
    """The board: a round's sessions and the form to open one. A council member: their sessions."""
    if not current_user.has_role(Role.BOARD):
        if request.method == "POST":
            abort(403)
        return render_template("ballots/mine.html", ballots=ballots.ballots_of_member(current_user))
    round_ = round_from_args()
    if round_ is None:
        return choose_round("ballots.index", _("Họp Hội đồng xét khen thưởng"))
    form = BallotForm()
    members = ballots.council_members()
    form.member_ids.choices = options((u.id, u.full_name) for u in members)
    if request.method == "GET":
        form.title.data = form.title.data or round_.name
        form.member_ids.data = [u.id for u in members]
    if form.validate_on_submit():
        try:
            ballot = ballots.open_ballot(round_, by=current_user, **form.values())
        except BallotNotPermitted:
            db.session.rollback()
            abort(403)
        except BallotError as error:
            db.session.rollback()
            form.form_errors.append(str(error))
        else:
            db.session.commit()
            flash(
                _("Đã mở phiên họp Hội đồng. Ghi nhận thành viên có mặt trước khi biểu quyết."),
                "success",
            )
            return _to_detail(ballot)
    return render_template(
        "ballots/index.html", round=round_, form=form, ballots=ballots.ballots_of(round_)
    )


@bp.route("/<int:ballot_id>")
@roles_required(Role.BOARD)
def detail(ballot_id: int) -> str:
    ballot = _ballot(ballot_id)
    members = ballots.members_of(ballot)
    rows = ballots.tally(ballot)
    present = sum(1 for m, _u, _unit in members if m.attendance is Attendance.PRESENT)
    return render_template(
        "ballots/detail.html",
        ballot=ballot,
        members=members,
        rows=rows,
        present=present,
        quorum_met=ballots.quorum_met(present, len(members), ballot.quorum_percent),
        attendance_form=AttendanceForm,
    )


@bp.route("/<int:ballot_id>/attendance", methods=["POST"])
@roles_required(Role.BOARD)
def attendance(ballot_id: int) -> BaseResponse:
    ballot = _ballot(ballot_id)
    form = AttendanceForm()
    if not form.validate_on_submit() or not str(form.user_id.data or "").isdigit():
        flash(_("Yêu cầu không hợp lệ. Hãy tải lại trang và thử lại."), "danger")
        return _to_detail(ballot)
    user = db.session.get(User, int(form.user_id.data)) or abort(404)
    try:
        ballots.set_attendance(ballot, user, Attendance(form.attendance.data), by=current_user)
    except BallotError as error:
        return _refused(ballot, error)
    db.session.commit()
    flash(_("Đã cập nhật tình trạng tham dự của %(name)s.", name=user.full_name), "success")
    return _to_detail(ballot)


@bp.route("/<int:ballot_id>/close", methods=["POST"])
@roles_required(Role.BOARD)
def close(ballot_id: int) -> BaseResponse:
    ballot = _ballot(ballot_id)
    if not ConfirmForm().validate_on_submit():
        flash(_("Yêu cầu không hợp lệ. Hãy tải lại trang và thử lại."), "danger")
        return _to_detail(ballot)
    try:
        ballots.close_ballot(ballot, current_user)
    except BallotError as error:
        return _refused(ballot, error)
    db.session.commit()
    flash(_("Đã kết thúc biểu quyết. Kết quả đã được chốt."), "success")
    return _to_detail(ballot)


@bp.route("/<int:ballot_id>/minutes.pdf")
@roles_required(Role.BOARD, Role.APPROVER)
def minutes(ballot_id: int) -> Response:
    ballot = _ballot(ballot_id)
    config = current_app.config
    data = ballots.minutes_data(
        ballot,
        place=config["DOCUMENT_PLACE"],
        superior=config["COUNCIL_SUPERIOR"],
        council=config["COUNCIL_NAME"],
    )
    filename = minutes_pdf.minutes_filename(data["held_on"], ballot.id)
    return Response(
        minutes_pdf.render_minutes(data),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )


# --------------------------------------------------------------------------- members


def _voter(ballot: Ballot) -> User | None:
    """Whose votes the page records: the member named by ``?member=`` when the board records a written
    opinion, else the current user. None when a board user names nobody."""
    member_arg = request.args.get("member", "")
    if current_user.has_role(Role.BOARD) and member_arg:
        if not member_arg.isdigit():
            abort(404)
        member = db.session.get(User, int(member_arg)) or abort(404)
        if ballots.member_of(ballot, member) is None:
            abort(404)
        return member
    if not current_user.has_role(Role.REVIEWER):
        return None
    if ballots.member_of(ballot, current_user) is None:
        abort(403)
    return current_user


@bp.route("/<int:ballot_id>/vote", methods=["GET", "POST"])
@roles_required(Role.REVIEWER, Role.BOARD)
def vote(ballot_id: int) -> BaseResponse | str:
    ballot = _ballot(ballot_id)
    member = _voter(ballot)
    if member is None:
        return _to_detail(ballot)
    on_behalf = member.id != current_user.id
    items = ballots.voting_list(ballot, member)
    form = vote_form([i.nomination.id for i in items], {i.nomination.id: i.approve for i in items})
    args = {"ballot_id": ballot.id, "member": member.id} if on_behalf else {"ballot_id": ballot.id}
    if request.method == "POST":
        back = redirect(url_for("ballots.vote", **args))
        if ballot.state is not BallotState.OPEN:
            flash(_("Phiên họp đã kết thúc biểu quyết, không thể ghi nhận phiếu."), "danger")
            return back
        if not form.validate_on_submit():
            flash(_("Yêu cầu không hợp lệ. Hãy tải lại trang và thử lại."), "danger")
            return back
        try:
            count = ballots.cast_votes(ballot, member, form.choices(), current_user)
        except BallotNotPermitted:
            db.session.rollback()
            abort(403)
        except BallotError as error:
            db.session.rollback()
            flash(str(error), "danger")
            return back
        db.session.commit()
        if on_behalf:
            flash(
                _(
                    "Đã ghi %(n)d phiếu theo ý kiến bằng văn bản của %(name)s.",
                    n=count,
                    name=member.full_name,
                ),
                "success",
            )
            return _to_detail(ballot)
        flash(
            _(
                "Đã lưu %(n)d phiếu biểu quyết. Bạn có thể sửa phiếu đến khi kết thúc biểu quyết.",
                n=count,
            ),
            "success",
        )
        return back
    return render_template(
        "ballots/vote.html",
        ballot=ballot,
        member=member,
        membership=ballots.member_of(ballot, member),
        on_behalf=on_behalf,
        items=items,
        form=form,
        action=url_for("ballots.vote", **args),
    )
