"""The reviewer's workspace (chấm điểm): my assignments per round with progress, the score page of one
review (the dossier, its evidence, the self-assessment, the score form), the offline score sheet, and
the board's reopening of a submitted review.

A reviewer opens only their own reviews that are not recused and not of their own unit's nominations
(``scoring.visible_reviews`` / ``scoring.can_open``): any other review id answers 404. Other reviewers'
scores of a nomination are shown only once the reviewer's own review is submitted.
Views are thin: load (404), gate (403), validate the form, call one service, commit once, flash, redirect.
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
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response as BaseResponse

from awards import assignment, labels, nomination_lists, nominations, scoring
from awards.dossier_views import choose_round, round_from_args
from awards.extensions import db
from awards.permissions import roles_required
from awards.rounds import round_or_404
from awards.scoring import ReviewNotPermitted, ScoringError, StaleReviewError
from forms.reviews import RecuseForm, ReopenForm, SheetUploadForm, review_form
from models import Review, ReviewState, Role

bp = Blueprint("reviews", __name__, url_prefix="/reviews")


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {
        "state_labels": nomination_lists.NOMINATION_STATE_LABELS,
        "state_badges": nomination_lists.STATE_BADGES,
        "kind_labels": labels.RECIPIENT_KIND_LABELS,
        "review_state_labels": review_state_labels(),
    }


def review_state_labels() -> dict[ReviewState, str]:
    return {
        ReviewState.ASSIGNED: _("Chưa chấm"),
        ReviewState.DRAFT: _("Đang chấm (nháp)"),
        ReviewState.SUBMITTED: _("Đã nộp"),
        ReviewState.RECUSED: _("Từ chối chấm"),
    }


def my_review(review_id: int) -> Review:
    """The current user's review ``review_id`` if they may open it; 404 otherwise."""
    review = db.session.get(Review, review_id)
    if review is None or not scoring.can_open(review, current_user):
        abort(404)
    return review


@bp.route("/")
@roles_required(Role.REVIEWER)
def index() -> str:
    progress = scoring.progress_by_round(current_user)
    return render_template(
        "reviews/index.html",
        progress=progress,
        reviews={p.round.id: scoring.my_reviews(current_user, p.round.id) for p in progress},
        upload_form=SheetUploadForm(formdata=None),
    )


def _page(review: Review, form: Any, status: int = 200) -> tuple[str, int]:
    nomination = review.nomination
    criteria = form.criteria
    own = scoring.self_scores(nomination)
    show_others = review.state is ReviewState.SUBMITTED
    return (
        render_template(
            "reviews/detail.html",
            review=review,
            nomination=nomination,
            criteria=criteria,
            own=own,
            suggestions={c.id: scoring.suggested_points(c, nomination) for c in criteria},
            files=nominations.live_files(nomination),
            form=form,
            editable=scoring.can_edit(review, current_user),
            matrix=scoring.score_matrix(nomination) if show_others else None,
            margin=nomination.round.campaign.comment_margin,
            recuse_form=RecuseForm(formdata=None) if review.state in scoring.OPEN_STATES else None,
        ),
        status,
    )


@bp.route("/<int:review_id>", methods=["GET", "POST"])
@roles_required(Role.REVIEWER)
def detail(review_id: int) -> BaseResponse | tuple[str, int]:
    review = my_review(review_id)
    form = review_form(scoring.criteria_of(review), review)
    if request.method == "GET" or not form.validate_on_submit():
        return _page(review, form, 200 if request.method == "GET" else 422)
    submit = bool(form.submit_review.data)
    version = form.version.data if form.version.data is not None else -1
    try:
        scoring.save_review(
            review,
            form.values(),
            form.comment.data or "",
            version=version,
            submit=submit,
            actor=current_user,
        )
        db.session.commit()
    except (StaleReviewError, StaleDataError):
        db.session.rollback()
        form.form_errors.append(
            _(
                "Phiếu chấm đã được lưu ở nơi khác trong lúc bạn chấm. Vui lòng tải lại trang và "
                "nhập lại."
            )
        )
        return _page(review, form, 409)
    except ReviewNotPermitted:
        db.session.rollback()
        abort(403)
    except ScoringError as error:
        db.session.rollback()
        form.attach_error(error)
        return _page(review, form, 422)
    reference = review.nomination.reference
    if submit:
        flash(_("Đã nộp phiếu chấm hồ sơ %(ref)s.", ref=reference), "success")
    else:
        flash(_("Đã lưu nháp phiếu chấm hồ sơ %(ref)s.", ref=reference), "success")
    if form.save_next.data:
        following = scoring.next_pending(current_user, after=review)
        if following is None:
            flash(_("Bạn đã chấm hết các hồ sơ được phân công trong đợt xét."), "info")
            return redirect(url_for("reviews.index"))
        return redirect(url_for("reviews.detail", review_id=following.id))
    return redirect(url_for("reviews.detail", review_id=review.id))


@bp.route("/<int:review_id>/recuse", methods=["POST"])
@roles_required(Role.REVIEWER)
def recuse(review_id: int) -> BaseResponse:
    review = my_review(review_id)
    form = RecuseForm()
    if not form.validate_on_submit():
        flash(_("Vui lòng nêu lý do xung đột lợi ích."), "danger")
        return redirect(url_for("reviews.detail", review_id=review.id))
    try:
        assignment.recuse(review, current_user, form.reason.data)
    except assignment.AssignmentError as error:
        db.session.rollback()
        flash(str(error), "danger")
        return redirect(url_for("reviews.detail", review_id=review.id))
    db.session.commit()
    flash(
        _("Đã ghi nhận việc từ chối chấm hồ sơ %(ref)s.", ref=review.nomination.reference),
        "success",
    )
    return redirect(url_for("reviews.index"))


@bp.route("/<int:review_id>/reopen", methods=["POST"])
@roles_required(Role.BOARD)
def reopen(review_id: int) -> BaseResponse:
    review = db.get_or_404(Review, review_id)
    back = redirect(url_for("nominations.detail", nomination_id=review.nomination_id))
    form = ReopenForm()
    if not form.validate_on_submit():
        flash(_("Vui lòng nêu lý do mở lại phiếu chấm."), "danger")
        return back
    try:
        scoring.reopen_review(review, current_user, form.reason.data)
    except ReviewNotPermitted:
        db.session.rollback()
        abort(403)
    except ScoringError as error:
        db.session.rollback()
        flash(str(error), "danger")
        return back
    db.session.commit()
    flash(
        _(
            "Đã mở lại phiếu chấm của %(name)s; điểm của hồ sơ đã được tính lại.",
            name=review.reviewer.full_name,
        ),
        "success",
    )
    return back


# --------------------------------------------------------------------------- offline score sheet


@bp.route("/sheet.xlsx")
@roles_required(Role.REVIEWER)
def sheet() -> BaseResponse | str:
    round_ = round_from_args()
    if round_ is None:
        return choose_round("reviews.sheet", _("Tải phiếu chấm Excel"))
    data = scoring.score_sheet(current_user, round_)
    return Response(
        data,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={
            "Content-Disposition": f'attachment; filename="phieu-cham-{round_.code}.xlsx"',
            "Cache-Control": "private, no-store",
        },
    )


@bp.route("/sheet", methods=["POST"])
@roles_required(Role.REVIEWER)
def upload_sheet() -> BaseResponse | tuple[str, int]:
    form = SheetUploadForm()
    back = redirect(url_for("reviews.index"))
    if not form.validate_on_submit() or form.file.data is None:
        flash(_("Hãy chọn tệp phiếu chấm Excel để tải lên."), "danger")
        return back
    round_ = round_or_404(form.round.data)
    result = scoring.import_score_sheet(
        current_user,
        round_,
        form.file.data.read(),
        max_uncompressed=current_app.config["IMPORT_MAX_UNCOMPRESSED_BYTES"],
        max_rows=current_app.config["IMPORT_MAX_ROWS"],
    )
    if result.errors:
        db.session.rollback()
        return (
            render_template("reviews/sheet_errors.html", round=round_, errors=result.errors),
            422,
        )
    db.session.commit()
    flash(
        _(
            "Đã lưu nháp điểm của %(n)d hồ sơ từ phiếu chấm. Hãy kiểm tra và nộp từng phiếu trên hệ thống.",
            n=result.saved,
        ),
        "success",
    )
    return back
