"""Certificate pages (issue 6): public verification, the board's template editor, printers.

* ``/verify/<code>`` — the public contract of DESIGN.md §6, reached from the QR code printed on each
  certificate: the certificate's facts (``certificates.verification``: what the certificate itself
  shows, never a citizen id or a birth date) under a large status, valid or revoked with date and
  reason. Codes are read as people type them (case, spaces and dashes ignored; see
  ``certificates.normalise_code``); an unknown code gets a 404 page that says how to check it. Every
  lookup, found or not, counts against ``VERIFY_RATE_LIMIT`` per client address: no login stands in the
  way of someone walking the code space. ``/verify?code=…`` is the page's own form.
* ``/certificates/templates`` — the board edits each award form's template: body, millimetre positions
  of the variable fields on a blank, page size. Saving adds a version (``certificates.save_template``
  refuses unknown placeholders, keeping what was typed); the preview renders the *submitted* template on
  sample data without saving anything, and refuses to render what ``check_template`` objects to.
* ``/certificates/printers`` — printers and their offsets, and each printer's calibration page for an
  award form's current template.

Views are thin: load (404), gate (403), validate the form, call one service, commit once, redirect.
The editor's page and the calibration page may create an award form's first template version (the
default design, ``certificates.current_template``), so they are marked ``writes_on_get`` and commit it.
"""

from __future__ import annotations

import sqlalchemy as sa
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
from sqlalchemy.orm import contains_eager, selectinload
from werkzeug.wrappers import Response as BaseResponse

from awards import certificates
from awards.certificates import CertificateError, CertificateNotPermitted
from awards.database import writes_on_get
from awards.extensions import db, limiter
from awards.permissions import roles_required
from exports import certificates as documents
from forms.certificates import (
    LookupForm,
    PositionField,
    PrinterForm,
    TemplateForm,
    position_fields,
    template_form,
)
from models import AwardForm, Campaign, CertificateTemplate, Printer, Role, User

bp = Blueprint("certificates", __name__)

INVALID = 422  # a form sent back with its errors, as the other editors do
DEFAULT_VERIFY_RATE_LIMIT = "30 per minute;300 per hour"


def _verify_limit() -> str:
    return current_app.config.get("VERIFY_RATE_LIMIT", DEFAULT_VERIFY_RATE_LIMIT)


# --------------------------------------------------------------------------- public verification


@bp.route("/verify")
def lookup() -> BaseResponse | str:
    """The verification page's form: a code typed by hand goes to its page, in its printed form."""
    form = LookupForm(request.args)
    if request.args and form.validate():
        code = certificates.normalise_code(form.code.data)
        if code:
            return redirect(url_for("certificates.verify", code=code))
        form.code.errors = [_("Mã xác thực chỉ gồm chữ và số, ví dụ 7K3QZ-M9D2X-A1B2C-D3E4F.")]
    return render_template("certificates/verify.html", facts=None, asked=None, form=form)


@bp.route("/verify/<code>")
@limiter.limit(_verify_limit)
def verify(code: str) -> tuple[str, int, dict[str, str]]:
    facts = certificates.verification(code)
    asked = code[:64]
    # Not found: the code as typed stays in the box, to be corrected rather than typed again.
    form = LookupForm(formdata=None, code=asked if facts is None else "")
    page = render_template("certificates/verify.html", facts=facts, asked=asked, form=form)
    # The page names a person: it is for whoever holds the code, not for search engines.
    return page, 200 if facts else 404, {"X-Robots-Tag": "noindex"}


# --------------------------------------------------------------------------- template editor


def _award_form(award_form_id: int) -> AwardForm:
    return db.get_or_404(AwardForm, award_form_id)


def _fields() -> tuple[PositionField, ...]:
    return position_fields(documents.FIELDS, documents.PLACEHOLDERS, documents.SQUARE_FIELDS)


@bp.route("/certificates/templates")
@roles_required(Role.BOARD)
def templates() -> str:
    campaigns = db.session.scalars(
        sa.select(Campaign)
        .options(selectinload(Campaign.award_forms))
        .order_by(Campaign.period_start.desc(), Campaign.code)
    ).all()
    # Read only: an award form never edited shows the default design, created when first opened.
    latest = dict(
        db.session.execute(
            sa.select(
                CertificateTemplate.award_form_id, sa.func.max(CertificateTemplate.version)
            ).group_by(CertificateTemplate.award_form_id)
        ).all()
    )
    return render_template("certificates/templates.html", campaigns=campaigns, latest=latest)


def _editor_page(
    award_form: AwardForm,
    form: TemplateForm,
    *,
    loaded: CertificateTemplate | None = None,
    status: int = 200,
) -> tuple[str, int]:
    versions = certificates.templates_of(award_form)
    author_ids = {version.created_by_id for version in versions if version.created_by_id}
    authors = (
        dict(
            db.session.execute(
                sa.select(User.id, User.full_name).where(User.id.in_(author_ids))
            ).all()
        )
        if author_ids
        else {}
    )
    return (
        render_template(
            "certificates/template_edit.html",
            award_form=award_form,
            form=form,
            current=certificates.current_template(award_form),
            loaded=loaded,
            versions=versions,
            authors=authors,
            placeholders=documents.PLACEHOLDERS,
        ),
        status,
    )


@bp.route("/certificates/templates/<int:award_form_id>", methods=["GET", "POST"])
@roles_required(Role.BOARD)
@writes_on_get
def template_edit(award_form_id: int) -> BaseResponse | tuple[str, int]:
    """The editor, filled with the current version (or ``?version=N``, to start again from an older
    one); saving posts here and adds a version."""
    award_form = _award_form(award_form_id)
    if request.method == "GET":
        loaded = certificates.current_template(award_form)
        wanted = request.args.get("version", type=int)
        if wanted is not None and wanted != loaded.version:
            older = [t for t in certificates.templates_of(award_form) if t.version == wanted]
            if not older:
                abort(404)
            loaded = older[0]
        form = template_form(_fields(), loaded, formdata=None)
        page = _editor_page(award_form, form, loaded=loaded)
        db.session.commit()  # the default first version, if it was just created
        return page
    form = template_form(_fields())
    if not form.validate_on_submit():
        return _editor_page(award_form, form, status=INVALID)
    try:
        template = certificates.save_template(award_form, **form.values(), actor=current_user)
    except CertificateNotPermitted:
        db.session.rollback()
        abort(403)
    except CertificateError as error:
        db.session.rollback()
        form.form_errors.append(str(error))
        return _editor_page(award_form, form, status=INVALID)
    db.session.commit()
    flash(
        _(
            "Đã lưu mẫu giấy chứng nhận của %(form)s, phiên bản %(version)d. Các lần in từ nay dùng "
            "phiên bản này.",
            form=award_form.name,
            version=template.version,
        ),
        "success",
    )
    return redirect(url_for("certificates.template_edit", award_form_id=award_form.id))


@bp.route("/certificates/templates/<int:award_form_id>/preview.pdf", methods=["POST"])
@roles_required(Role.BOARD)
def template_preview(award_form_id: int) -> Response | tuple[str, int]:
    """The submitted (unsaved) template on sample data, as a PDF in a new tab. Nothing is saved; a
    template ``check_template`` objects to is not rendered at all."""
    award_form = _award_form(award_form_id)
    form = template_form(_fields())
    if not form.validate_on_submit():
        problems = [f"{label}: {message}" for label, message in _field_errors(form)] or [
            _("Yêu cầu không hợp lệ. Hãy tải lại trang và thử lại.")
        ]
        return _preview_refused(award_form, problems)
    values = form.values()
    spec = documents.TemplateSpec(
        body=values["body"],
        positions=values["positions"],
        page_width_mm=float(values["page_width_mm"]),
        page_height_mm=float(values["page_height_mm"]),
        version=0,  # not a saved version
    )
    problems = documents.check_template(
        spec.body,
        spec.positions,
        page_width_mm=spec.page_width_mm,
        page_height_mm=spec.page_height_mm,
    )
    if problems:
        return _preview_refused(award_form, problems)
    item = documents.certificate_item(documents.sample_item())
    try:
        pdf = documents.render_certificates(spec, [item], mode=form.mode.data)
    except documents.TemplateRefused as refused:  # the renderer's own last check
        return _preview_refused(award_form, refused.problems)
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": 'inline; filename="xem-truoc-giay-chung-nhan.pdf"',
            "Cache-Control": "no-store",
        },
    )


def _field_errors(form: TemplateForm) -> list[tuple[str, str]]:
    """Every field error of the editor's form with the label of its field (and row)."""
    found: list[tuple[str, str]] = []
    for field in form:
        if not field.errors:
            continue
        if isinstance(field.errors, dict):  # a position row: its own fields' errors
            for sub in field.form:
                for message in sub.errors:
                    found.append((f"{field.label.text} – {sub.label.text}", str(message)))
        else:
            found.extend((str(field.label.text), str(message)) for message in field.errors)
    return found


def _preview_refused(award_form: AwardForm, problems: list[str]) -> tuple[str, int]:
    page = render_template(
        "certificates/preview_refused.html", award_form=award_form, problems=problems
    )
    return page, INVALID


# --------------------------------------------------------------------------- printers


def _printers_page(
    form: PrinterForm | None = None,
    failed: tuple[int, PrinterForm] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    listed = certificates.printers()
    forms = {
        printer.id: failed[1]
        if failed is not None and failed[0] == printer.id
        else PrinterForm.of(printer, prefix=f"p{printer.id}")
        for printer in listed
    }
    award_forms = db.session.scalars(
        sa.select(AwardForm)
        .join(Campaign, Campaign.id == AwardForm.campaign_id)
        .options(contains_eager(AwardForm.campaign))
        .order_by(Campaign.period_start.desc(), Campaign.code, AwardForm.position, AwardForm.id)
    ).all()
    return (
        render_template(
            "certificates/printers.html",
            printers=listed,
            forms=forms,
            form=form or PrinterForm(formdata=None),
            award_forms=award_forms,
        ),
        status,
    )


@bp.route("/certificates/printers", methods=["GET", "POST"])
@roles_required(Role.BOARD)
def printers() -> BaseResponse | tuple[str, int]:
    if request.method == "GET":
        return _printers_page()
    form = PrinterForm()
    if not form.validate_on_submit():
        return _printers_page(form, status=INVALID)
    try:
        printer = certificates.create_printer(**form.values(), actor=current_user)
    except CertificateNotPermitted:
        db.session.rollback()
        abort(403)
    except CertificateError as error:
        db.session.rollback()
        form.form_errors.append(str(error))
        return _printers_page(form, status=INVALID)
    db.session.commit()
    flash(_("Đã thêm máy in %(name)s.", name=printer.name), "success")
    return redirect(url_for("certificates.printers", _anchor=f"printer-{printer.id}"))


@bp.route("/certificates/printers/<int:printer_id>", methods=["POST"])
@roles_required(Role.BOARD)
def printer_edit(printer_id: int) -> BaseResponse | tuple[str, int]:
    printer = db.get_or_404(Printer, printer_id)
    form = PrinterForm(prefix=f"p{printer.id}")
    if not form.validate_on_submit():
        return _printers_page(failed=(printer.id, form), status=INVALID)
    try:
        certificates.update_printer(printer, **form.values(), actor=current_user)
    except CertificateNotPermitted:
        db.session.rollback()
        abort(403)
    except CertificateError as error:
        db.session.rollback()
        form.form_errors.append(str(error))
        return _printers_page(failed=(printer.id, form), status=INVALID)
    db.session.commit()
    flash(_("Đã lưu máy in %(name)s.", name=printer.name), "success")
    return redirect(url_for("certificates.printers", _anchor=f"printer-{printer.id}"))


@bp.route("/certificates/printers/<int:printer_id>/calibration.pdf")
@roles_required(Role.BOARD)
@writes_on_get
def calibration(printer_id: int) -> Response:
    """The calibration page of an award form's current template (``?award_form=<id>``), or of the
    default design when none is chosen, shifted by the printer's offset."""
    printer = db.get_or_404(Printer, printer_id)
    award_form_id = request.args.get("award_form", type=int)
    if award_form_id is None:
        spec = documents.TemplateSpec(documents.DEFAULT_BODY, documents.DEFAULT_POSITIONS)
        name = f"can-chinh-may-in-{printer.id}-mau-mac-dinh.pdf"
    else:
        award_form = _award_form(award_form_id)
        template = certificates.current_template(award_form)
        spec = certificates.spec_of(template)
        name = f"can-chinh-may-in-{printer.id}-mau-{award_form.id}-v{template.version}.pdf"
    pdf = documents.calibration_pdf(spec, offset=certificates.offset_of(printer))
    db.session.commit()  # the award form's default first version, if it was just created
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}"'},
    )
