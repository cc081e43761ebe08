"""Evidence files: upload to a nomination, download, remove (soft).

A file is reachable only by whoever may see its nomination (or, for a submission's minutes, its
submission): anyone else gets 404, as if it did not exist. Downloads are served as attachments under the
user's original name, with the stored type, ``nosniff``, a sandboxing CSP and no caching.

An upload bigger than ``MAX_CONTENT_LENGTH`` is cut off by Werkzeug while the form is parsed (413, possibly
before the view runs, when the CSRF check reads the form): ``too_large`` turns that into a message on the
nomination's page instead of a bare error page.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from awards import evidence, nominations
from awards.core import error_message
from awards.evidence import EvidenceError
from awards.extensions import db
from awards.permissions import UNIT_ROLES, roles_required
from awards.storage import get_storage
from forms.auth import ConfirmForm
from forms.evidence import NO_CRITERION, EvidenceUploadForm
from models import EvidenceFile, Nomination

bp = Blueprint("evidence", __name__)

DOWNLOAD_CSP = "default-src 'none'; sandbox"


def _nomination_page(nomination_id: int) -> str:
    # No "#evidence" anchor: the page must open at its top, where the message is shown.
    return url_for("nominations.detail", nomination_id=nomination_id)


def _owner_page(file: EvidenceFile) -> str:
    if file.nomination_id is not None:
        return _nomination_page(file.nomination_id)
    return url_for("dossiers.detail", submission_id=file.submission_id)


def _visible_file(file_id: int) -> EvidenceFile:
    """The live file ``file_id`` if the current user may see it; 404 otherwise (never 403: a file
    outside one's scope does not exist for them)."""
    file = db.session.get(EvidenceFile, file_id)
    if file is None or file.deleted_at is not None or not evidence.can_view(file, current_user):
        abort(404)
    return file


@bp.route("/nominations/<int:nomination_id>/files", methods=["POST"])
@roles_required(*UNIT_ROLES)
def upload(nomination_id: int) -> Response:
    nomination = db.session.get(Nomination, nomination_id)
    if nomination is None or not nominations.can_view(nomination, current_user):
        abort(404)
    back = redirect(_nomination_page(nomination.id))
    form = EvidenceUploadForm.for_nomination(nomination)
    if not form.validate_on_submit():
        for messages in form.errors.values():
            for message in messages:
                flash(str(message), "danger")
        return back
    criterion_id = form.criterion_id.data if form.criterion_id.data != NO_CRITERION else None
    try:
        file = evidence.add_file(nomination, form.file.data, current_user, criterion_id)
    except EvidenceError as error:
        db.session.rollback()
        flash(str(error), "danger")
        return back
    db.session.commit()
    flash(_("Đã tải lên tệp “%(name)s”.", name=file.original_name), "success")
    return back


@bp.route("/files/<int:file_id>")
@login_required
def download(file_id: int) -> Response:
    file = _visible_file(file_id)
    try:
        stream = get_storage().open(file.storage_key)
    except FileNotFoundError:
        current_app.logger.error("evidence file %s: no bytes under %s", file.id, file.storage_key)
        abort(404)
    response = send_file(
        stream,
        mimetype=file.content_type,
        as_attachment=True,
        download_name=file.original_name,
        conditional=False,
        etag=False,
    )
    response.content_length = file.size_bytes
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = DOWNLOAD_CSP
    return response


@bp.route("/files/<int:file_id>/delete", methods=["POST"])
@roles_required(*UNIT_ROLES)
def delete(file_id: int) -> Response:
    file = _visible_file(file_id)
    back = redirect(_owner_page(file))
    if not ConfirmForm().validate_on_submit():
        flash(_("Yêu cầu không hợp lệ. Hãy tải lại trang và thử lại."), "danger")
        return back
    try:
        evidence.remove_file(file, current_user)
    except EvidenceError as error:
        flash(str(error), "danger")
        return back
    db.session.commit()
    flash(_("Đã xóa tệp “%(name)s” khỏi hồ sơ.", name=file.original_name), "success")
    return back


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error: RequestEntityTooLarge) -> Response | tuple[str, int]:
    """An oversize upload goes back to its nomination with a message; other routes of this blueprint
    get the usual error page."""
    # The body was refused unread: the forms of the page rendered next must not parse it again.
    request.form = request.files = ImmutableMultiDict()  # type: ignore[misc]
    if request.endpoint == "evidence.upload" and request.view_args:
        db.session.rollback()
        limit = current_app.config["EVIDENCE_MAX_FILE_MB"]
        flash(
            _(
                "Tệp gửi lên quá lớn nên không được nhận. Mỗi tệp minh chứng tối đa %(limit)s MB: hãy "
                "nén, giảm độ phân giải hoặc chia nhỏ tệp rồi tải lên lại.",
                limit=limit,
            ),
            "danger",
        )
        return redirect(_nomination_page(int(request.view_args["nomination_id"])))
    return render_template("errors/error.html", code=413, message=error_message(413)), 413


@bp.app_template_filter("filesize")
def filesize(size: int) -> str:
    return evidence.format_size(size)


@bp.app_context_processor
def evidence_helpers() -> dict[str, object]:
    def evidence_panel(nomination: Nomination) -> dict[str, object]:
        """What ``templates/nominations/_evidence.html`` shows for ``nomination``."""
        editable = current_user.is_authenticated and nominations.can_edit(nomination, current_user)
        return {
            "files": nominations.live_files(nomination),
            "can_edit": editable,
            "form": EvidenceUploadForm.for_nomination(nomination, formdata=None)
            if editable
            else None,
        }

    return {"evidence_panel": evidence_panel}
