"""The unit's side of the dossier (Tờ trình): what it has filed in a round, the readiness of its drafts,
its quota use and filing window; the Tờ trình form (unit head only); a dossier's page and its PDF.

Unit clerks and heads see their own unit's dossiers; the board, approvers and administrators may open any
dossier's page and PDF (the intake area links to them). A dossier outside the user's scope answers 404.
Views are thin: load (404), gate (403), validate the form, call one service, commit once, flash, redirect.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from awards import clock, evidence, labels, nomination_lists, nominations, submissions, workflow
from awards.evidence import EvidenceError
from awards.extensions import db
from awards.permissions import PROVINCE_ROLES, UNIT_ROLES, roles_required
from awards.rounds import choose_round, round_from_args
from awards.submissions import SubmissionError
from exports import documents
from forms.dossiers import MinutesForm, SubmissionForm
from models import (
    AwardForm,
    Nomination,
    NominationState,
    QuotaUsage,
    Role,
    Round,
    Submission,
    Unit,
)

bp = Blueprint("dossiers", __name__, url_prefix="/dossiers")

READERS = (*UNIT_ROLES, *PROVINCE_ROLES)


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {
        "state_labels": nomination_lists.NOMINATION_STATE_LABELS,
        "state_badges": nomination_lists.STATE_BADGES,
        "kind_labels": labels.RECIPIENT_KIND_LABELS,
    }


def own_unit() -> Unit:
    """The current user's unit; 403 for an account attached to none."""
    unit = current_user.unit
    if unit is None:
        abort(403)
    return unit


def visible_submission(submission_id: int) -> Submission:
    """The dossier if the current user may see it; 404 otherwise, as if it did not exist."""
    submission = db.session.get(Submission, submission_id)
    if submission is None or not evidence.can_view_submission(submission, current_user):
        abort(404)
    return submission


def _drafts(round_: Round, unit: Unit) -> list[tuple[Nomination, list[str]]]:
    """The unit's drafts of the round, each with what it still lacks (empty: ready to submit)."""
    drafts = db.session.scalars(
        sa.select(Nomination)
        .where(
            Nomination.round_id == round_.id,
            Nomination.unit_id == unit.id,
            Nomination.state == NominationState.DRAFT,
        )
        .order_by(Nomination.kind, Nomination.id)
        .options(*nominations.LIST_OPTIONS)
    ).all()
    missing = nominations.missing_for_many(drafts)
    return [(n, missing[n.id]) for n in drafts]


def _quota_rows(round_: Round, unit: Unit) -> list[tuple[AwardForm, int]]:
    used = dict(
        db.session.execute(
            sa.select(QuotaUsage.award_form_id, QuotaUsage.used).where(
                QuotaUsage.round_id == round_.id, QuotaUsage.unit_id == unit.id
            )
        ).all()
    )
    return [(form, used.get(form.id, 0)) for form in round_.campaign.award_forms]


def _window(round_: Round, unit: Unit) -> dict[str, Any]:
    today = clock.today()
    return {
        "open": workflow.can_file(round_, unit.id, today),
        "closes": round_.nomination_closes,
        "opens": round_.nomination_opens,
        "extension": submissions.extension_until(round_, unit.id),
        "today": today,
        "closed_message": submissions.filing_closed_message(round_),
    }


@bp.route("/")
@roles_required(*UNIT_ROLES)
def index() -> str:
    unit = own_unit()
    round_ = round_from_args()
    if round_ is None:
        return choose_round("dossiers.index", _("Tờ trình của đơn vị"))
    states = dict(
        db.session.execute(
            sa.select(Nomination.state, sa.func.count())
            .where(Nomination.round_id == round_.id, Nomination.unit_id == unit.id)
            .group_by(Nomination.state)
        ).all()
    )
    return render_template(
        "dossiers/index.html",
        unit=unit,
        round=round_,
        dossiers=submissions.dossier_rows(round_, unit.id),
        drafts=_drafts(round_, unit),
        returned=states.get(NominationState.RETURNED, 0),
        quotas=_quota_rows(round_, unit),
        window=_window(round_, unit),
        can_submit=submissions.can_submit(unit, current_user),
    )


@bp.route("/new", methods=["GET", "POST"])
@roles_required(Role.UNIT_HEAD)
def new() -> BaseResponse | str:
    unit = own_unit()
    round_ = round_from_args()
    if round_ is None:
        return choose_round("dossiers.new", _("Lập Tờ trình"))
    drafts = _drafts(round_, unit)
    ready = [n for n, missing in drafts if not missing]
    form = SubmissionForm()
    form.nomination_ids.choices = [(n.id, n.reference or str(n.id)) for n in ready]
    if request.method == "GET":
        today = clock.today()
        form.signed_on.data = today
        form.minutes_date.data = today
        form.signer_name.data = current_user.full_name
        form.nomination_ids.data = [n.id for n in ready]
    problems: list[submissions.NominationProblem] = []
    if form.validate_on_submit():
        try:
            submission = submissions.submit_dossier(
                round_, unit, current_user, **form.values(), minutes=form.minutes_file.data
            )
        except workflow.NotPermitted:
            db.session.rollback()
            abort(403)
        except SubmissionError as error:
            db.session.rollback()
            problems = error.problems
            target = getattr(form, error.field, None) if error.field else None
            if target is not None and not problems:
                target.errors = [*target.errors, str(error)]
            else:
                form.form_errors.append(str(error))
        else:
            db.session.commit()
            flash(
                _(
                    "Đã trình Tờ trình số %(number)s với %(n)d hồ sơ.",
                    number=submission.number,
                    n=len(submission.nominations),
                ),
                "success",
            )
            return redirect(url_for("dossiers.detail", submission_id=submission.id))
    return render_template(
        "dossiers/new.html",
        form=form,
        unit=unit,
        round=round_,
        ready=ready,
        not_ready=[(n, missing) for n, missing in drafts if missing],
        problems=problems,
        window=_window(round_, unit),
    )


@bp.route("/<int:submission_id>")
@roles_required(*READERS)
def detail(submission_id: int) -> str:
    submission = visible_submission(submission_id)
    can_add_minutes = evidence.can_edit_submission(submission, current_user)
    return render_template(
        "dossiers/detail.html",
        submission=submission,
        minutes=submissions.live_minutes(submission),
        minutes_form=MinutesForm(formdata=None) if can_add_minutes else None,
        vote_percent=documents.percent(submission.votes_for, submission.council_members),
        is_board=current_user.has_role(Role.BOARD),
    )


@bp.route("/<int:submission_id>.pdf")
@roles_required(*READERS)
def pdf(submission_id: int) -> Response:
    submission = visible_submission(submission_id)
    data = submissions.document_of(submission)
    filename = documents.submission_filename(submission.number)
    return Response(
        documents.render_submission(data),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )


@bp.route("/<int:submission_id>/minutes", methods=["POST"])
@roles_required(*UNIT_ROLES)
def minutes(submission_id: int) -> BaseResponse:
    submission = visible_submission(submission_id)
    back = redirect(url_for("dossiers.detail", submission_id=submission.id))
    form = MinutesForm()
    if not form.validate_on_submit() or form.minutes_file.data is None:
        flash(_("Hãy chọn tệp biên bản họp Hội đồng để tải lên."), "danger")
        return back
    try:
        file = evidence.add_minutes(submission, form.minutes_file.data, current_user)
    except EvidenceError as error:
        db.session.rollback()
        flash(str(error), "danger")
        return back
    db.session.commit()
    flash(_("Đã tải lên biên bản “%(name)s”.", name=file.original_name), "success")
    return back
