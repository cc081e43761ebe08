"""The board's intake (tiếp nhận hồ sơ): the dossiers of a round by unit, each dossier's nominations with
their problems, accept into review or return with a reason, and the units' filing extensions.

Only the board (the emulation division of Sở Nội vụ) works here. Views are thin: load (404), gate (403),
validate the form, call one service (``workflow.transition`` or ``awards.submissions``), commit once,
flash, redirect.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from awards import (
    clock,
    labels,
    nomination_lists,
    submissions,
    unit_tree,
    workflow,
)
from awards.extensions import db
from awards.permissions import roles_required
from awards.rounds import choose_round, round_from_args
from awards.submissions import SubmissionError
from exports.documents import percent
from forms.auth import ConfirmForm
from forms.dossiers import ExtensionForm, ReturnForm
from models import Extension, Nomination, NominationState, Role, Round, Submission, Unit

bp = Blueprint("intake", __name__, url_prefix="/intake")

OVERVIEW_STATES = (
    NominationState.DRAFT,
    NominationState.SUBMITTED,
    NominationState.RETURNED,
    NominationState.IN_REVIEW,
    NominationState.WITHDRAWN,
)
# Past intake (scored, proposed, decided …): one column on the overview.
LATER_STATES = tuple(s for s in NominationState if s not in OVERVIEW_STATES)


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {
        "state_labels": nomination_lists.NOMINATION_STATE_LABELS,
        "state_badges": nomination_lists.STATE_BADGES,
        "kind_labels": labels.RECIPIENT_KIND_LABELS,
        "action_labels": workflow.ACTION_LABELS,
    }


def _to_dossier(submission_id: int) -> Response:
    return redirect(url_for("intake.dossier", submission_id=submission_id, _anchor="nominations"))


def _back(nomination: Nomination) -> Response:
    """To the nomination's dossier; to its own page if it never came in through one."""
    if nomination.submission_id is None:
        return redirect(url_for("nominations.detail", nomination_id=nomination.id))
    return _to_dossier(nomination.submission_id)


# --------------------------------------------------------------------------- overview and dossier


@bp.route("/")
@roles_required(Role.BOARD)
def index() -> str:
    round_ = round_from_args()
    if round_ is None:
        return choose_round("intake.index", _("Tiếp nhận hồ sơ"))
    rows = submissions.intake_overview(round_)
    totals = {state: sum(row.count(state) for row in rows) for state in NominationState}
    return render_template(
        "intake/index.html",
        round=round_,
        rows=rows,
        totals=totals,
        states=OVERVIEW_STATES,
        later_states=LATER_STATES,
        later_total=sum(totals[state] for state in LATER_STATES),
        today=clock.today(),
    )


@bp.route("/dossiers/<int:submission_id>")
@roles_required(Role.BOARD)
def dossier(submission_id: int) -> str:
    submission = db.get_or_404(Submission, submission_id)
    problems, reviews = submissions.review_dossier(submission)
    return render_template(
        "intake/dossier.html",
        submission=submission,
        dossier_problems=problems,
        reviews=reviews,
        minutes=submissions.live_minutes(submission),
        vote_percent=percent(submission.votes_for, submission.council_members),
        return_form=ReturnForm(formdata=None),
        waiting_complete=sum(
            1 for r in reviews if r.complete and r.nomination.state is NominationState.SUBMITTED
        ),
    )


def _decide(nomination: Nomination, action: str, reason: str = "") -> Response:
    try:
        workflow.transition(nomination, action, current_user, reason=reason)
    except workflow.NotPermitted:
        db.session.rollback()
        abort(403)
    except workflow.WorkflowError as error:
        db.session.rollback()
        flash(str(error), "danger")
        return _back(nomination)
    db.session.commit()
    if action == "accept":
        message = _("Đã tiếp nhận hồ sơ %(ref)s để chấm điểm.", ref=nomination.reference)
    else:
        message = _("Đã trả lại hồ sơ %(ref)s cho đơn vị, kèm lý do.", ref=nomination.reference)
    flash(message, "success")
    return _back(nomination)


@bp.route("/nominations/<int:nomination_id>/accept", methods=["POST"])
@roles_required(Role.BOARD)
def accept(nomination_id: int) -> Response:
    nomination = db.get_or_404(Nomination, nomination_id)
    if not ConfirmForm().validate_on_submit():
        flash(_("Yêu cầu không hợp lệ. Hãy tải lại trang và thử lại."), "danger")
        return _back(nomination)
    return _decide(nomination, "accept")


@bp.route("/nominations/<int:nomination_id>/return", methods=["POST"])
@roles_required(Role.BOARD)
def return_nomination(nomination_id: int) -> Response:
    nomination = db.get_or_404(Nomination, nomination_id)
    form = ReturnForm()
    if not form.validate_on_submit():
        flash(_("Vui lòng nêu lý do trả lại hồ sơ %(ref)s.", ref=nomination.reference), "danger")
        return _back(nomination)
    return _decide(nomination, "return", form.reason.data)


@bp.route("/dossiers/<int:submission_id>/accept-complete", methods=["POST"])
@roles_required(Role.BOARD)
def accept_complete(submission_id: int) -> Response:
    submission = db.get_or_404(Submission, submission_id)
    if not ConfirmForm().validate_on_submit():
        flash(_("Yêu cầu không hợp lệ. Hãy tải lại trang và thử lại."), "danger")
        return _to_dossier(submission.id)
    try:
        accepted = submissions.accept_complete(submission, current_user)
    except workflow.NotPermitted:
        db.session.rollback()
        abort(403)
    except workflow.WorkflowError as error:
        db.session.rollback()
        flash(str(error), "danger")
        return _to_dossier(submission.id)
    db.session.commit()
    if accepted:
        flash(_("Đã tiếp nhận %(n)d hồ sơ đầy đủ để chấm điểm.", n=len(accepted)), "success")
    else:
        flash(_("Không có hồ sơ đầy đủ nào đang chờ tiếp nhận."), "info")
    return _to_dossier(submission.id)


# --------------------------------------------------------------------------- extensions


def _extension_form(round_: Round) -> ExtensionForm:
    form = ExtensionForm()
    form.unit_id.choices = unit_tree.unit_options(_("— Chọn đơn vị —"))
    if request.method == "GET":
        form.until.data = max(clock.today(), round_.nomination_closes)
    return form


@bp.route("/extensions", methods=["GET", "POST"])
@roles_required(Role.BOARD)
def extensions() -> Response | str:
    round_ = round_from_args()
    if round_ is None:
        return choose_round("intake.extensions", _("Gia hạn nộp hồ sơ"))
    form = _extension_form(round_)
    if form.validate_on_submit():
        unit = db.get_or_404(Unit, form.unit_id.data)
        try:
            extension = submissions.grant_extension(
                round_, unit, form.until.data, form.reason.data, current_user
            )
        except workflow.NotPermitted:
            db.session.rollback()
            abort(403)
        except SubmissionError as error:
            db.session.rollback()
            target = getattr(form, error.field, None) if error.field else None
            if target is not None:
                target.errors = [*target.errors, str(error)]
            else:
                form.form_errors.append(str(error))
        else:
            db.session.commit()
            flash(
                _(
                    "Đã gia hạn nộp hồ sơ cho %(unit)s đến hết ngày %(day)s.",
                    unit=unit.name,
                    day=extension.until.strftime("%d/%m/%Y"),
                ),
                "success",
            )
            return redirect(url_for("intake.extensions", round=round_.code))
    return render_template(
        "intake/extensions.html",
        round=round_,
        form=form,
        extensions=submissions.extensions_of(round_),
    )


@bp.route("/extensions/<int:extension_id>/revoke", methods=["POST"])
@roles_required(Role.BOARD)
def revoke_extension(extension_id: int) -> Response:
    extension = db.get_or_404(Extension, extension_id)
    code, unit_name = extension.round.code, extension.unit.name
    back = redirect(url_for("intake.extensions", round=code))
    if not ConfirmForm().validate_on_submit():
        flash(_("Yêu cầu không hợp lệ. Hãy tải lại trang và thử lại."), "danger")
        return back
    try:
        submissions.revoke_extension(extension, current_user)
    except workflow.NotPermitted:
        db.session.rollback()
        abort(403)
    db.session.commit()
    flash(_("Đã hủy gia hạn nộp hồ sơ của %(unit)s.", unit=unit_name), "success")
    return back
