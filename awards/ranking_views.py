"""The board's ranking page: per award form of a round, the ranking within quotas, the score matrix of
each nomination, "Chốt điểm" (in review → scored) and "Đề xuất trong chỉ tiêu" (scored → proposed),
and the Excel exports of the ranking and of the score matrix.

The board works here; approvers may read the page and the exports. Views are thin: load (404), gate
(403), validate the form, call one service, commit once, flash, redirect.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from awards import audit, labels, nomination_lists, ranking, workflow
from awards.database import writes_on_get
from awards.extensions import db
from awards.permissions import roles_required
from awards.rounds import choose_round, round_from_args, round_or_404
from forms.auth import ConfirmForm
from models import AwardForm, Role, Round

bp = Blueprint("ranking", __name__, url_prefix="/ranking")

READERS = (Role.BOARD, Role.APPROVER)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {
        "state_labels": nomination_lists.NOMINATION_STATE_LABELS,
        "state_badges": nomination_lists.STATE_BADGES,
        "kind_labels": labels.RECIPIENT_KIND_LABELS,
    }


def _award_form(round_: Round) -> AwardForm:
    """The award form named by ``?award_form=ID`` (404 unless it is the round campaign's), or the
    campaign's first (404 when it has none)."""
    forms = round_.campaign.award_forms
    wanted = request.args.get("award_form", type=int)
    for form in forms:
        if wanted is None or form.id == wanted:
            return form
    abort(404)


def _round_or_404() -> Round:
    return round_from_args() or abort(404)


@bp.route("/")
@roles_required(*READERS)
def index() -> str:
    round_ = round_from_args()
    if round_ is None:
        return choose_round("ranking.index", _("Xếp hạng"))
    form = _award_form(round_)
    result = ranking.rank(round_, form)
    return render_template(
        "ranking/index.html",
        round=round_,
        award_form=form,
        award_forms=round_.campaign.award_forms,
        ranking=result,
        normalised=ranking.normalised_scores(round_),
        matrices=ranking.score_matrix(round_, form),
        can_act=current_user.has_role(Role.BOARD),
    )


def _back(round_: Round, form: AwardForm) -> BaseResponse:
    return redirect(url_for("ranking.index", round=round_.code, award_form=form.id))


def _form_of(round_: Round, award_form_id: int) -> AwardForm:
    form = db.session.get(AwardForm, award_form_id)
    if form is None or form.campaign_id != round_.campaign_id:
        abort(404)
    return form


def _bulk(round_: Round, form: AwardForm, action: str) -> BaseResponse:
    if not ConfirmForm().validate_on_submit():
        flash(_("Yêu cầu không hợp lệ. Hãy tải lại trang và thử lại."), "danger")
        return _back(round_, form)
    try:
        if action == "complete":
            result = ranking.complete_scoring_all(round_, current_user)
        else:
            result = ranking.propose_within_quota(round_, form, current_user)
    except workflow.NotPermitted:
        db.session.rollback()
        abort(403)
    except workflow.WorkflowError as error:
        db.session.rollback()
        flash(str(error), "danger")
        return _back(round_, form)
    db.session.commit()
    if action == "complete":
        message = _("Đã chốt điểm %(n)d hồ sơ.", n=len(result.moved))
    else:
        message = _("Đã đề xuất khen thưởng %(n)d hồ sơ trong chỉ tiêu.", n=len(result.moved))
    if result.skipped:
        message += " " + _(
            "%(n)d hồ sơ chưa chuyển (xung đột lợi ích hoặc đồng hạng chờ Hội đồng xét).",
            n=result.skipped,
        )
    flash(message, "success" if result.moved else "info")
    return _back(round_, form)


@bp.route("/<round_code>/<int:award_form_id>/complete-scoring", methods=["POST"])
@roles_required(Role.BOARD)
def complete_scoring(round_code: str, award_form_id: int) -> BaseResponse:
    round_ = round_or_404(round_code)
    return _bulk(round_, _form_of(round_, award_form_id), "complete")


@bp.route("/<round_code>/<int:award_form_id>/propose", methods=["POST"])
@roles_required(Role.BOARD)
def propose(round_code: str, award_form_id: int) -> BaseResponse:
    round_ = round_or_404(round_code)
    return _bulk(round_, _form_of(round_, award_form_id), "propose")


def _download(kind: str) -> Response:
    round_ = _round_or_404()
    build = ranking.ranking_workbook if kind == "ranking" else ranking.scores_workbook
    data, count = build(round_)
    audit.record("export", kind, None, after={"round": round_.code, "rows": count})
    db.session.commit()
    return Response(
        data,
        mimetype=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{kind}_{round_.code}.xlsx"'},
    )


@bp.route("/ranking.xlsx")
@roles_required(*READERS)
@writes_on_get
def ranking_xlsx() -> Response:
    return _download("ranking")


@bp.route("/scores.xlsx")
@roles_required(*READERS)
@writes_on_get
def scores_xlsx() -> Response:
    return _download("scores")
