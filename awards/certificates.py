"""Certificates (giấy chứng nhận: Bằng khen, Giấy khen): templates, printable data, verification.

A certificate record is created for each item when its decision is issued (``awards/decisions.py``):
serial, golden-book number and a public verification code that never changes. Here:

* templates per award form, versioned (``save_template`` always adds a version; nothing printed ever points
  to a template that changed afterwards), checked by ``exports.certificates.check_template`` before they
  are saved: a placeholder the renderer does not know is refused before anything is printed;
* ``certificate_item``: the plain values one certificate is rendered from, read from the decision's frozen
  document (what was signed) and the certificate record — the renderer never sees an ORM object;
* ``record_print``: each printing of a certificate (who, when, why, mode, template version, parameters);
* ``verification``: what the public page ``/verify/<code>`` shows;
* printers and their offsets for pre-printed blanks.

Services flush, never commit.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from awards import decisions
from awards.extensions import db
from awards.text import clean
from exports import certificates as documents
from models import (
    AwardForm,
    Certificate,
    CertificateMode,
    CertificatePrint,
    CertificateStatus,
    CertificateTemplate,
    Decision,
    DecisionItem,
    Job,
    Nomination,
    Printer,
    RecipientKind,
    Role,
    Sex,
    User,
    utcnow,
)

NATION = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
OFFSET_LIMIT_MM = Decimal(20)
_CODE_GROUP = 5


class CertificateError(ValueError):
    """Refused; ``str(error)`` tells the user why (Vietnamese)."""


class CertificateNotPermitted(CertificateError):
    """The actor may not do this at all (views answer 403)."""


def _require_board(actor: User) -> None:
    if not actor.has_role(Role.BOARD):
        raise CertificateNotPermitted(str(_l("Bạn không có quyền thực hiện thao tác này.")))


# --------------------------------------------------------------------------- templates


def templates_of(award_form: AwardForm) -> list[CertificateTemplate]:
    """Every version of ``award_form``'s template, newest first."""
    return list(
        db.session.scalars(
            sa.select(CertificateTemplate)
            .where(CertificateTemplate.award_form_id == award_form.id)
            .order_by(CertificateTemplate.version.desc())
        )
    )


def current_template(award_form: AwardForm) -> CertificateTemplate:
    """The newest version of ``award_form``'s template; version 1 (the default design of DOMAIN.md §6)
    is created the first time it is needed."""
    template = db.session.scalar(
        sa.select(CertificateTemplate)
        .where(CertificateTemplate.award_form_id == award_form.id)
        .order_by(CertificateTemplate.version.desc())
        .limit(1)
    )
    if template is None:
        template = CertificateTemplate(
            award_form_id=award_form.id,
            version=1,
            body=documents.DEFAULT_BODY,
            positions=json.dumps(documents.DEFAULT_POSITIONS, ensure_ascii=False, sort_keys=True),
            page_width_mm=Decimal(297),
            page_height_mm=Decimal(210),
            note=str(_l("Mẫu mặc định")),
        )
        db.session.add(template)
        db.session.flush()
    return template


def spec_of(template: CertificateTemplate) -> documents.TemplateSpec:
    """The plain template the renderer takes."""
    return documents.TemplateSpec(
        body=template.body,
        positions=json.loads(template.positions),
        page_width_mm=float(template.page_width_mm),
        page_height_mm=float(template.page_height_mm),
        version=template.version,
    )


def save_template(
    award_form: AwardForm,
    *,
    body: str,
    positions: Mapping[str, Mapping[str, Any]],
    page_width_mm: Decimal,
    page_height_mm: Decimal,
    note: str,
    actor: User,
) -> CertificateTemplate:
    """Save a new version of ``award_form``'s template. Raises ``CertificateError`` with every problem
    ``check_template`` finds (unknown placeholders, syntax errors, fields off the page); nothing is saved
    then."""
    _require_board(actor)
    if not (0 < page_width_mm <= 1000 and 0 < page_height_mm <= 1000):
        raise CertificateError(str(_l("Khổ giấy phải từ 1 đến 1000 mm mỗi chiều.")))
    problems = documents.check_template(
        body,
        positions,
        page_width_mm=float(page_width_mm),
        page_height_mm=float(page_height_mm),
    )
    if problems:
        raise CertificateError(" ".join(problems))
    latest = current_template(award_form)
    template = CertificateTemplate(
        award_form_id=award_form.id,
        version=latest.version + 1,
        body=body,
        positions=json.dumps(positions, ensure_ascii=False, sort_keys=True),
        page_width_mm=page_width_mm,
        page_height_mm=page_height_mm,
        note=clean(note)[:255],
        created_by_id=actor.id,
    )
    db.session.add(template)
    db.session.flush()
    return template


# --------------------------------------------------------------------------- what a certificate shows


def verify_url(code: str) -> str:
    return f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/verify/{code}"


def _recipient(item: DecisionItem, sex: Sex | None) -> str:
    if item.kind is RecipientKind.COLLECTIVE:
        return item.name
    title = {Sex.MALE: "Ông", Sex.FEMALE: "Bà"}.get(sex, "Ông/Bà")  # type: ignore[arg-type]
    return f"{title} {item.name}"


def certificate_values(certificate: Certificate) -> dict[str, Any]:
    """The plain values of one certificate, from the decision as signed (its frozen document) and the
    certificate record; no QR yet (``certificate_item`` adds it)."""
    return certificate_values_many([certificate])[0]


def certificate_values_many(certificates: Sequence[Certificate]) -> list[dict[str, Any]]:
    """``certificate_values`` of many certificates with a fixed number of queries: each decision's
    frozen document is decoded once, the recipients' sex read in one query."""
    items = {
        item.id: item
        for item in db.session.scalars(
            sa.select(DecisionItem)
            .options(selectinload(DecisionItem.decision).selectinload(Decision.award_form))
            .where(DecisionItem.id.in_({c.item_id for c in certificates}))
        )
    }
    sexes = dict(
        db.session.execute(
            sa.select(Nomination.id, Nomination.sex).where(
                Nomination.id.in_({item.nomination_id for item in items.values()})
            )
        ).all()
    )
    documents_by_decision: dict[int, dict[str, Any]] = {}
    values = []
    for certificate in certificates:
        item = items[certificate.item_id]
        decision = item.decision
        document = documents_by_decision.get(decision.id)
        if document is None:
            document = documents_by_decision[decision.id] = decisions.decision_data(decision)
        values.append(_values(certificate, item, decision, document, sexes.get(item.nomination_id)))
    return values


def _values(
    certificate: Certificate,
    item: DecisionItem,
    decision: Decision,
    document: Mapping[str, Any],
    sex: Sex | None,
) -> dict[str, Any]:
    return {
        "nation": NATION,
        "motto": MOTTO,
        "awarding_title": decision.authority,
        "award_title": decision.award_form.certificate_title,
        "recipient": _recipient(item, sex),
        "position_unit": item.place,
        "citation": item.citation,
        "decision_line": f"Quyết định số {document['number']} ngày {document['signed_on']}",
        "golden_book_line": f"Số sổ vàng: {item.golden_book}",
        "place_date": f"{document['place']}, {document['date_line']}",
        "signer_title_lines": list(document["signer"]["title_lines"]),
        "signer_name": document["signer"]["name"],
        "serial": certificate.serial,
        "code": certificate.code,
        "verify_url": verify_url(certificate.code),
    }


def certificate_item(certificate: Certificate) -> dict[str, Any]:
    """Everything one certificate is rendered from (the QR code included)."""
    return documents.certificate_item(certificate_values(certificate))


def printable(decision: Decision) -> list[Certificate]:
    """The valid certificates of ``decision``, in golden-book order (revoked ones are never printed)."""
    return list(
        db.session.scalars(
            sa.select(Certificate)
            .join(DecisionItem, DecisionItem.id == Certificate.item_id)
            .where(
                DecisionItem.decision_id == decision.id,
                Certificate.status == CertificateStatus.VALID,
            )
            .order_by(DecisionItem.golden_book, DecisionItem.id)
        )
    )


def record_prints(
    printed: Sequence[tuple[Certificate, Mapping[str, Any]]],
    *,
    job: Job | None,
    mode: CertificateMode,
    template: CertificateTemplate,
    printer: Printer | None,
    actor: User | None,
    reason: str,
) -> int:
    """``record_print`` for a chunk of (certificate, parameters) pairs with one query for what the job
    printed already; returns how many were recorded now."""
    already: set[int] = set()
    if job is not None and printed:
        already = set(
            db.session.scalars(
                sa.select(CertificatePrint.certificate_id).where(
                    CertificatePrint.job_id == job.id,
                    CertificatePrint.certificate_id.in_([c.id for c, _ in printed]),
                )
            )
        )
    recorded = 0
    for certificate, params in printed:
        if certificate.id in already:
            continue
        _record(certificate, job, mode, template, printer, actor, reason, params)
        recorded += 1
    db.session.flush()
    return recorded


def record_print(
    certificate: Certificate,
    *,
    job: Job | None,
    mode: CertificateMode,
    template: CertificateTemplate,
    printer: Printer | None,
    actor: User | None,
    reason: str,
    params: Mapping[str, Any],
) -> CertificatePrint:
    """Log one printing of ``certificate`` and keep on it the template version and the parameters it was
    rendered from. Idempotent per job: a resumed job does not print (or count) a certificate twice."""
    if job is not None:
        existing = db.session.scalar(
            sa.select(CertificatePrint).where(
                CertificatePrint.job_id == job.id,
                CertificatePrint.certificate_id == certificate.id,
            )
        )
        if existing is not None:
            return existing
    entry = _record(certificate, job, mode, template, printer, actor, reason, params)
    db.session.flush()
    return entry


def _record(
    certificate: Certificate,
    job: Job | None,
    mode: CertificateMode,
    template: CertificateTemplate,
    printer: Printer | None,
    actor: User | None,
    reason: str,
    params: Mapping[str, Any],
) -> CertificatePrint:
    entry = CertificatePrint(
        certificate_id=certificate.id,
        job_id=job.id if job is not None else None,
        mode=mode,
        template_id=template.id,
        printer_id=printer.id if printer is not None else None,
        reason=clean(reason),
        printed_by_id=actor.id if actor is not None else None,
    )
    db.session.add(entry)
    certificate.printed_count += 1
    certificate.last_printed_at = utcnow()
    certificate.template_version = template.version
    certificate.params = json.dumps(
        {key: value for key, value in params.items() if key != "qr"},
        ensure_ascii=False,
        sort_keys=True,
    )
    return entry


# --------------------------------------------------------------------------- verification


def normalise_code(text: str) -> str:
    """A typed code in its printed form: case, spaces and dashes ignored; O → 0, I/L → 1 (Crockford)."""
    raw = re.sub(r"[^0-9A-Za-z]", "", text or "").upper()
    raw = raw.translate(str.maketrans({"O": "0", "I": "1", "L": "1"}))
    return "-".join(raw[i : i + _CODE_GROUP] for i in range(0, len(raw), _CODE_GROUP))


def by_code(code: str) -> Certificate | None:
    normalised = normalise_code(code)
    if not normalised or len(normalised) > 48:
        return None
    return db.session.scalar(sa.select(Certificate).where(Certificate.code == normalised))


def verification(code: str) -> dict[str, Any] | None:
    """What the public page shows about the certificate with ``code``, or None when there is none:
    the facts printed on it and its status — never the citizen id or the birth date."""
    certificate = by_code(code)
    if certificate is None:
        return None
    values = certificate_values(certificate)
    item = certificate.item
    decision = item.decision
    revoked = certificate.status is CertificateStatus.REVOKED
    return {
        "code": certificate.code,
        "serial": certificate.serial,
        "recipient": values["recipient"],
        "position_unit": values["position_unit"],
        "citation": values["citation"],
        "award": decision.award_form.name,
        "award_title": values["award_title"],
        "awarding_title": values["awarding_title"],
        "decision_id": decision.id,
        "decision_number": decision.number,
        "decision_date": decision.signed_on,
        "golden_book": item.golden_book,
        "signer": " ".join([*values["signer_title_lines"], values["signer_name"]]),
        "signer_name": values["signer_name"],
        "signer_title_lines": values["signer_title_lines"],
        "valid": not revoked,
        "revoked_at": certificate.revoked_at,
        "revoke_reason": certificate.revoke_reason if revoked else "",
        "revoke_reference": (item.revoke_reference or decision.revoke_reference) if revoked else "",
    }


# --------------------------------------------------------------------------- printers


def printers() -> list[Printer]:
    return list(db.session.scalars(sa.select(Printer).order_by(Printer.name)))


def _check_printer(name: str, x: Decimal, y: Decimal, exclude_id: int | None = None) -> str:
    name = clean(name)
    if not name:
        raise CertificateError(str(_l("Vui lòng nhập tên máy in.")))
    if abs(x) > OFFSET_LIMIT_MM or abs(y) > OFFSET_LIMIT_MM:
        raise CertificateError(str(_l("Độ lệch mỗi chiều phải trong khoảng −20 đến 20 mm.")))
    taken = db.session.scalar(
        sa.select(Printer.id).where(Printer.name == name, Printer.id != (exclude_id or 0))
    )
    if taken is not None:
        raise CertificateError(str(_l("Đã có máy in mang tên này.")))
    return name


def create_printer(name: str, offset_x_mm: Decimal, offset_y_mm: Decimal, actor: User) -> Printer:
    _require_board(actor)
    printer = Printer(
        name=_check_printer(name, offset_x_mm, offset_y_mm),
        offset_x_mm=offset_x_mm,
        offset_y_mm=offset_y_mm,
    )
    db.session.add(printer)
    db.session.flush()
    return printer


def update_printer(
    printer: Printer, name: str, offset_x_mm: Decimal, offset_y_mm: Decimal, actor: User
) -> None:
    _require_board(actor)
    printer.name = _check_printer(name, offset_x_mm, offset_y_mm, exclude_id=printer.id)
    printer.offset_x_mm = offset_x_mm
    printer.offset_y_mm = offset_y_mm
    db.session.flush()


def offset_of(printer: Printer | None) -> tuple[float, float]:
    if printer is None:
        return (0.0, 0.0)
    return (float(printer.offset_x_mm), float(printer.offset_y_mm))
