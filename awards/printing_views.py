"""The batch-printing pages (issue 6): the board prints a decision's certificates; the approver reads.

* ``/printing/?round=CODE`` — each issued decision of the round: its valid certificates, how many were
  printed, its latest print jobs (state, progress, who, when, download), and a form to print them (mode,
  printer for blanks, one PDF or a ZIP of one PDF per recipient, the reason of a reprint).
* ``/printing/jobs/<id>`` — one job: a progress bar that ``static/js/jobs.js`` keeps current from
  ``/printing/jobs/<id>.json`` (no inline script: the CSP allows scripts from the app only), the
  download once done, the error and "Chạy tiếp" (resume) when it failed or was interrupted.

Views are thin: load (404), gate (403), validate the form, call one service, commit once, then hand the
job to its backend (``jobs.start``, after the commit), redirect. Downloads only read.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from awards import certificates, jobs, printing
from awards.certificates import CertificateError, CertificateNotPermitted
from awards.extensions import db
from awards.permissions import roles_required
from awards.rounds import choose_round, round_from_args
from awards.storage import get_storage
from forms.auth import ConfirmForm
from forms.printing import NO_PRINTER, PrintForm
from models import Decision, DecisionState, Job, JobState, Printer, Role, Round

bp = Blueprint("printing", __name__)

READERS = (Role.BOARD, Role.APPROVER)
INVALID = 422
MIMETYPES = {"pdf": "application/pdf", "zip": "application/zip"}

JOB_STATE_LABELS = {
    JobState.QUEUED: _l("Đang chờ"),
    JobState.RUNNING: _l("Đang in"),
    JobState.DONE: _l("Hoàn thành"),
    JobState.FAILED: _l("Bị lỗi"),
}
JOB_STATE_BADGES = {
    JobState.QUEUED: "text-bg-secondary",
    JobState.RUNNING: "text-bg-info",
    JobState.DONE: "text-bg-success",
    JobState.FAILED: "text-bg-danger",
}


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {
        "job_state_labels": JOB_STATE_LABELS,
        "job_state_badges": JOB_STATE_BADGES,
        "JobState": JobState,
        "job_params": jobs.params_of,
        "percent": _percent,
    }


def _percent(job: Job) -> int:
    if job.state is JobState.DONE:
        return 100
    return int(100 * job.done / job.total) if job.total else 0


# --------------------------------------------------------------------------- a round's decisions


def _index_page(
    round_: Round, forms: dict[int, PrintForm] | None = None, status: int = 200
) -> tuple[str, int]:
    decisions = printing.issued_decisions(round_)
    printers = certificates.printers()
    is_board = current_user.has_role(Role.BOARD)
    forms = forms or {}
    return (
        render_template(
            "printing/index.html",
            round=round_,
            decisions=decisions,
            counts=printing.counts(decisions),
            recent=printing.recent_jobs(decisions),
            forms={
                decision.id: forms.get(decision.id)
                or PrintForm.for_decision(decision.id, printers, formdata=None)
                for decision in decisions
            }
            if is_board
            else {},
            is_board=is_board,
            stale=jobs.is_stale,
        ),
        status,
    )


@bp.route("/printing/")
@roles_required(*READERS)
def index() -> str | tuple[str, int]:
    round_ = round_from_args()
    if round_ is None:
        return choose_round("printing.index", _("In giấy chứng nhận"))
    return _index_page(round_)


@bp.route("/printing/decisions/<int:decision_id>/start", methods=["POST"])
@roles_required(Role.BOARD)
def start(decision_id: int) -> BaseResponse | tuple[str, int]:
    decision = db.get_or_404(Decision, decision_id)
    if decision.state is DecisionState.DRAFT:
        abort(404)
    if decision.state is not DecisionState.ISSUED:  # revoked since the page was loaded
        flash(_("Chỉ in giấy chứng nhận của quyết định đã ban hành và còn hiệu lực."), "danger")
        return redirect(url_for("printing.index", round=decision.round.code))
    form = PrintForm.for_decision(decision.id, certificates.printers())
    if not form.validate_on_submit():
        return _index_page(decision.round, {decision.id: form}, INVALID)
    printer = None
    if form.printer.data and form.printer.data != NO_PRINTER:
        printer = db.session.get(Printer, form.printer.data)
    try:
        job = printing.start_print(
            decision,
            mode=form.mode.data,
            printer=printer,
            fmt=form.fmt.data,
            reason=form.reason.data or "",
            actor=current_user,
        )
    except CertificateNotPermitted:
        db.session.rollback()
        abort(403)
    except CertificateError as error:
        db.session.rollback()
        form.form_errors.append(str(error))
        return _index_page(decision.round, {decision.id: form}, INVALID)
    job_id = job.id
    db.session.commit()
    _hand_over(job)
    return redirect(url_for("printing.job", job_id=job_id))


def _hand_over(job: Job) -> None:
    try:
        jobs.start(job)
    except jobs.JobError as error:
        flash(str(error), "danger")


# --------------------------------------------------------------------------- one job


def _print_job(job_id: int) -> Job:
    job = db.get_or_404(Job, job_id)
    if job.kind != printing.KIND:
        abort(404)
    return job


def status_of(job: Job) -> dict[str, Any]:
    """What the job's page polls: state, progress, error, and the download once done."""
    done = job.state is JobState.DONE and bool(job.result_key)
    return {
        "id": job.id,
        "state": job.state.value,
        "label": str(JOB_STATE_LABELS[job.state]),
        "done": job.done,
        "total": job.total,
        "percent": _percent(job),
        "error": job.error,
        "finished": job.state in (JobState.DONE, JobState.FAILED),
        "download_url": url_for("printing.download", job_id=job.id) if done else None,
    }


@bp.route("/printing/jobs/<int:job_id>")
@roles_required(*READERS)
def job(job_id: int) -> str:
    found = _print_job(job_id)
    params = jobs.params_of(found)
    decisions = [db.session.get(Decision, i) for i in params.get("decisions", [])]
    return render_template(
        "printing/job.html",
        job=found,
        params=params,
        decisions=[decision for decision in decisions if decision is not None],
        printer=db.session.get(Printer, params["printer"]) if params.get("printer") else None,
        status=status_of(found),
        can_resume=current_user.has_role(Role.BOARD) and jobs.can_resume(found),
        stale=jobs.is_stale(found),
    )


@bp.route("/printing/jobs/<int:job_id>.json")
@roles_required(*READERS)
def job_status(job_id: int) -> Response:
    return jsonify(status_of(_print_job(job_id)))


@bp.route("/printing/jobs/<int:job_id>/resume", methods=["POST"])
@roles_required(Role.BOARD)
def resume(job_id: int) -> BaseResponse:
    found = _print_job(job_id)
    back = redirect(url_for("printing.job", job_id=found.id))
    if not ConfirmForm().validate_on_submit():
        flash(_("Yêu cầu không hợp lệ. Hãy tải lại trang và thử lại."), "danger")
        return back
    try:
        printing.resume_print(found, current_user)
    except CertificateNotPermitted:
        db.session.rollback()
        abort(403)
    except jobs.JobError as error:
        db.session.rollback()
        flash(str(error), "info")
        return back
    db.session.commit()
    _hand_over(found)
    return back


@bp.route("/printing/jobs/<int:job_id>/download")
@roles_required(*READERS)
def download(job_id: int) -> Response:
    found = _print_job(job_id)
    if found.state is not JobState.DONE or not found.result_key:
        abort(404)
    try:
        stream = get_storage().open(found.result_key)
    except FileNotFoundError:
        abort(404)
    return send_file(
        stream,
        mimetype=MIMETYPES.get(jobs.params_of(found).get("format", "pdf"), "application/pdf"),
        as_attachment=True,
        download_name=found.result_name or f"giay-chung-nhan-{found.id}.pdf",
    )
