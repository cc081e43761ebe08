"""The board's reviewer assignment page: each nomination in review with its reviewers, assignment by
hand, in bulk and automatically, progress per reviewer and per nomination, reminders; and a reviewer's
recusal (declaring a conflict of interest on an assigned review).

Views are thin: load (404), gate (403), validate the form, call one service of ``awards.assignment``,
commit once, flash, redirect.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response

from awards import assignment, labels, nomination_lists
from awards.assignment import AssignmentError, AssignmentNotPermitted
from awards.extensions import db
from awards.permissions import roles_required
from awards.rounds import choose_round, round_from_args
from forms.assignment import AssignOneForm, AutoAssignForm, BulkAssignForm, RecuseForm
from forms.auth import ConfirmForm
from models import Nomination, Review, ReviewState, Role, Round, User

bp = Blueprint("assignments", __name__, url_prefix="/assignments")

REVIEW_STATE_LABELS = {
    ReviewState.ASSIGNED: _l("Chưa chấm"),
    ReviewState.DRAFT: _l("Đang chấm"),
    ReviewState.SUBMITTED: _l("Đã nộp"),
    ReviewState.RECUSED: _l("Đã khai xung đột lợi ích"),
}
REVIEW_STATE_BADGES = {
    ReviewState.ASSIGNED: "text-bg-secondary",
    ReviewState.DRAFT: "text-bg-warning",
    ReviewState.SUBMITTED: "text-bg-success",
    ReviewState.RECUSED: "text-bg-light border",
}
# Where a reminder sends the reviewer: the reviewer workspace, once it is installed.
WORKSPACE_ENDPOINT = "reviews.index"
DEFAULT_CAP = 50


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {
        "review_state_labels": REVIEW_STATE_LABELS,
        "review_state_badges": REVIEW_STATE_BADGES,
        "kind_labels": labels.RECIPIENT_KIND_LABELS,
        "state_labels": nomination_lists.NOMINATION_STATE_LABELS,
    }


def _to_index(round_: Round) -> Response:
    return redirect(url_for("assignments.index", round=round_.code))


def _refused(error: AssignmentError) -> None:
    db.session.rollback()
    if isinstance(error, AssignmentNotPermitted):
        abort(403)
    flash(str(error), "danger")


def _changed_meanwhile() -> None:
    # Two officers assigned the same pair at once: the unique (nomination, reviewer) key kept one.
    db.session.rollback()
    flash(_("Phân công vừa được người khác thay đổi. Hãy tải lại trang và thử lại."), "warning")


def _invalid() -> None:
    flash(_("Yêu cầu không hợp lệ. Hãy tải lại trang và thử lại."), "danger")


def _bulk_form(round_: Round) -> BulkAssignForm:
    form = BulkAssignForm()
    form.nomination_ids.choices = [
        (n.id, n.reference or str(n.id)) for n in assignment.in_review_nominations(round_)
    ]
    form.reviewer_ids.choices = [(r.id, r.full_name) for r in assignment.active_reviewers()]
    return form


def _auto_form(round_: Round) -> AutoAssignForm:
    form = AutoAssignForm()
    if form.per_nomination.data is None:
        form.per_nomination.data = round_.campaign.min_reviews
    if form.cap.data is None:
        form.cap.data = DEFAULT_CAP
    return form


@bp.route("/")
@roles_required(Role.BOARD)
def index() -> str:
    round_ = round_from_args()
    if round_ is None:
        return choose_round("assignments.index", _("Phân công chấm điểm"))
    rows = assignment.nomination_progress(round_)
    progress = assignment.reviewer_progress(round_)
    return render_template(
        "assignments/index.html",
        round=round_,
        rows=rows,
        progress=progress,
        eligible=assignment.eligible_by_nomination(round_),
        reviewers=assignment.active_reviewers(),
        auto_form=_auto_form(round_),
        bulk_form=BulkAssignForm(formdata=None),
        assign_form=AssignOneForm(formdata=None),
        lagging=sum(1 for p in progress if p.pending > 0),
        min_reviews=round_.campaign.min_reviews,
        totals={
            "assigned": sum(p.assigned for p in progress),
            "submitted": sum(p.submitted for p in progress),
        },
    )


@bp.route("/rounds/<int:round_id>/bulk", methods=["POST"])
@roles_required(Role.BOARD)
def bulk(round_id: int) -> Response:
    round_ = db.get_or_404(Round, round_id)
    form = _bulk_form(round_)
    if not form.validate_on_submit():
        for field in (form.nomination_ids, form.reviewer_ids):
            for message in field.errors:
                flash(str(message), "danger")
        return _to_index(round_)
    nominations = assignment.nominations_by_ids(form.nomination_ids.data)
    reviewers = assignment.reviewers_by_ids(form.reviewer_ids.data)
    try:
        result = assignment.assign_bulk(nominations, reviewers, current_user)
    except AssignmentError as error:
        _refused(error)
        return _to_index(round_)
    except sa.exc.IntegrityError:
        _changed_meanwhile()
        return _to_index(round_)
    db.session.commit()
    flash(_("Đã phân công %(n)d lượt chấm.", n=len(result.assigned)), "success")
    for nomination, reviewer, why in result.skipped:
        flash(
            _(
                "Bỏ qua %(name)s – hồ sơ %(ref)s: %(why)s.",
                name=reviewer.full_name,
                ref=nomination.reference or nomination.id,
                why=why,
            ),
            "warning",
        )
    return _to_index(round_)


@bp.route("/nominations/<int:nomination_id>/assign", methods=["POST"])
@roles_required(Role.BOARD)
def assign_one(nomination_id: int) -> Response:
    nomination = db.get_or_404(Nomination, nomination_id)
    form = AssignOneForm()
    form.reviewer_id.choices = [(0, "")] + [
        (r.id, r.full_name) for r in assignment.active_reviewers()
    ]
    if not form.validate_on_submit():
        flash(_("Hãy chọn người chấm."), "danger")
        return _to_index(nomination.round)
    try:
        review = assignment.assign(
            nomination, db.get_or_404(User, form.reviewer_id.data), current_user
        )
    except AssignmentError as error:
        _refused(error)
        return _to_index(nomination.round)
    except sa.exc.IntegrityError:
        _changed_meanwhile()
        return _to_index(nomination.round)
    db.session.commit()
    flash(
        _(
            "Đã phân công %(name)s chấm hồ sơ %(ref)s.",
            name=review.reviewer.full_name,
            ref=nomination.reference or nomination.id,
        ),
        "success",
    )
    return _to_index(nomination.round)


@bp.route("/rounds/<int:round_id>/auto", methods=["POST"])
@roles_required(Role.BOARD)
def auto(round_id: int) -> Response:
    round_ = db.get_or_404(Round, round_id)
    form = AutoAssignForm()
    if not form.validate_on_submit():
        for field in (form.per_nomination, form.cap):
            for message in field.errors:
                flash(f"{field.label.text}: {message}", "danger")
        return _to_index(round_)
    try:
        result = assignment.assign_automatically(
            round_, per_nomination=form.per_nomination.data, cap=form.cap.data, by=current_user
        )
    except AssignmentError as error:
        _refused(error)
        return _to_index(round_)
    except sa.exc.IntegrityError:
        _changed_meanwhile()
        return _to_index(round_)
    db.session.commit()
    flash(_("Đã phân công tự động %(n)d lượt chấm.", n=result.assigned), "success")
    if result.unfilled:
        shown = ", ".join(
            f"{n.reference or n.id} (−{missing})" for n, missing in result.unfilled[:20]
        )
        flash(
            _(
                "%(n)d hồ sơ chưa đủ người chấm (xung đột lợi ích hoặc đã đạt mức tối đa): %(list)s. "
                "Hãy thêm người chấm hoặc nâng mức tối đa.",
                n=len(result.unfilled),
                list=shown + (", …" if len(result.unfilled) > 20 else ""),
            ),
            "warning",
        )
    return _to_index(round_)


@bp.route("/reviews/<int:review_id>/unassign", methods=["POST"])
@roles_required(Role.BOARD)
def unassign(review_id: int) -> Response:
    review = db.get_or_404(Review, review_id)
    round_ = review.nomination.round
    if not ConfirmForm().validate_on_submit():
        _invalid()
        return _to_index(round_)
    name, ref = review.reviewer.full_name, review.nomination.reference or review.nomination_id
    try:
        assignment.unassign(review, current_user)
    except AssignmentError as error:
        _refused(error)
        return _to_index(round_)
    db.session.commit()
    flash(_("Đã hủy phân công %(name)s chấm hồ sơ %(ref)s.", name=name, ref=ref), "success")
    return _to_index(round_)


def _workspace_link() -> str:
    if WORKSPACE_ENDPOINT in current_app.view_functions:
        return url_for(WORKSPACE_ENDPOINT)
    return ""


@bp.route("/rounds/<int:round_id>/remind", methods=["POST"])
@roles_required(Role.BOARD)
def remind(round_id: int) -> Response:
    round_ = db.get_or_404(Round, round_id)
    if not ConfirmForm().validate_on_submit():
        _invalid()
        return _to_index(round_)
    try:
        sent = assignment.send_reminders(round_, current_user, _workspace_link())
    except AssignmentError as error:
        _refused(error)
        return _to_index(round_)
    db.session.commit()
    if sent:
        flash(_("Đã gửi nhắc nhở tới %(n)d người chấm.", n=sent), "success")
    else:
        flash(_("Không có người chấm nào còn hồ sơ chưa chấm."), "info")
    return _to_index(round_)


@bp.route("/reviews/<int:review_id>/recuse", methods=["GET", "POST"])
@roles_required(Role.REVIEWER)
def recuse(review_id: int) -> Response | str:
    review = db.session.get(Review, review_id)
    if review is None or review.reviewer_id != current_user.id:
        abort(404)
    form = RecuseForm()
    if form.validate_on_submit():
        try:
            assignment.recuse(review, current_user, form.reason.data)
        except AssignmentError as error:
            _refused(error)
        else:
            db.session.commit()
            flash(
                _(
                    "Đã ghi nhận xung đột lợi ích với hồ sơ %(ref)s; Ban Thi đua – Khen thưởng sẽ "
                    "phân công người khác.",
                    ref=review.nomination.reference or review.nomination_id,
                ),
                "success",
            )
            return redirect(_workspace_link() or url_for("core.index"))
    return render_template("assignments/recuse.html", review=review, form=form)
