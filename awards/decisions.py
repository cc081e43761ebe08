"""Award decisions (Quyết định): drafting, issuing, revoking (DESIGN.md §2–§5, DOMAIN.md §5).

* ``create_draft`` (the board) gathers the approved nominations of one award form of a round that no
  decision holds yet — collectives first, then individuals, each by score — and fills the draft from the
  campaign and the award form: issuing body and number symbol, authority, subject, legal basis ("Căn cứ"
  lines of the campaign), signer, executors, recipients, base salary for the cash of each item.
* ``update_draft`` edits those texts; ``sync_items`` brings the items in line with the approvals again.
* ``decision_data`` turns a decision into the plain dict ``exports.decisions.render_decision`` lays out
  (the shape is documented there); a draft is rendered from the live rows, an issued decision from the
  document frozen at issue.
* ``issue`` (the approver): takes the next number of the issuing body's year and the golden-book numbers
  of its items (``awards/numbering.py``: gapless, safe under concurrency), awards every item through
  ``workflow.transition``, creates one certificate per item (serial and an unguessable verification
  code), freezes the document, stores the PDF and its SHA-256. Nothing of an issued decision changes
  afterwards, except revocation.
* ``revoke_decision`` / ``revoke_item`` (the approver, Law 06/2022 ch. VII): with a reason and the
  reference of the revoking act; items, nominations and certificates become revoked; nothing is deleted.

Units hear of every outcome (``notifications.notify_unit``). Services flush, never commit.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import secrets
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import lazy_gettext as _l

from awards import audit, clock, nominations, notifications, numbering, workflow
from awards.extensions import db
from awards.storage import get_storage, new_key
from awards.templating import long_date
from awards.text import fold
from exports import decisions as decision_pdf
from exports.decisions import format_money
from exports.documents import count_phrase
from models import (
    SIGNER_PREFIXES,
    AwardForm,
    Certificate,
    CertificateStatus,
    Decision,
    DecisionItem,
    DecisionState,
    Nomination,
    NominationState,
    RecipientKind,
    Role,
    Round,
    RoundPhase,
    User,
    utcnow,
)

S = NominationState
DRAFTING_PHASES = frozenset({RoundPhase.APPROVING, RoundPhase.DECIDED})
DEFAULT_EXECUTORS = (
    "Chánh Văn phòng Ủy ban nhân dân tỉnh, Giám đốc Sở Nội vụ, Thủ trưởng các cơ quan, đơn vị "
    "có liên quan"
)
DEFAULT_RECIPIENTS = "Như Điều 3\nLưu: VT, NV"
DEFAULT_PROPOSAL = "Theo đề nghị của Giám đốc Sở Nội vụ"
FUNDING = "Kinh phí khen thưởng chi từ Quỹ Thi đua, khen thưởng theo quy định hiện hành."
# A verification code: 20 characters of Crockford's base32 = 100 random bits, in groups of five.
_CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CODE_LENGTH = 20


class DecisionError(ValueError):
    """The action is refused; ``str(error)`` tells the user why."""


class DecisionNotPermitted(DecisionError):
    """The actor may not do this at all (views answer 403)."""


def _require(actor: User, role: Role) -> None:
    if not actor.has_role(role):
        raise DecisionNotPermitted(str(_l("Bạn không có quyền thực hiện thao tác này.")))


def _require_draft(decision: Decision) -> None:
    if decision.state is not DecisionState.DRAFT:
        raise DecisionError(
            str(_l("Quyết định đã ban hành: không thể sửa, chỉ có thể hủy bỏ theo quy định."))
        )


# --------------------------------------------------------------------------- drafting


def awaiting(round_: Round, award_form: AwardForm) -> list[Nomination]:
    """Approved nominations of ``award_form`` in ``round_`` that no decision holds yet, in annex order:
    collectives first, then individuals, each by score (best first), then reference."""
    held = sa.select(DecisionItem.nomination_id)
    return list(
        db.session.scalars(
            sa.select(Nomination)
            .where(
                Nomination.round_id == round_.id,
                Nomination.award_form_id == award_form.id,
                Nomination.state == S.APPROVED,
                Nomination.id.not_in(held),
            )
            .order_by(
                sa.case((Nomination.kind == RecipientKind.COLLECTIVE, 0), else_=1),
                Nomination.score.desc().nulls_last(),
                Nomination.reference,
            )
        )
    )


def cash_for(award_form: AwardForm, kind: RecipientKind, base_salary: Decimal) -> Decimal:
    """The cash of one item: the award form's multiple for ``kind`` × the base salary, in whole đồng."""
    multiple = (
        award_form.cash_multiple_collective
        if kind is RecipientKind.COLLECTIVE
        else award_form.cash_multiple_individual
    )
    return (multiple * base_salary).quantize(Decimal(1), ROUND_HALF_UP)


def _head_title(award_form: AwardForm) -> str:
    """The head's title above a deputy's ("KT. CHỦ TỊCH"): the authority's leading words."""
    authority = award_form.awarding_title.strip()
    match = re.match(r"(.+?)\s+(ỦY BAN|UBND|SỞ|BAN|HỘI ĐỒNG)\b", authority)
    return match.group(1) if match else authority


def _split_legal_basis(text: str) -> tuple[list[str], str]:
    """The campaign's legal basis → ("Căn cứ …" lines without end punctuation, "Theo đề nghị …")."""
    basis: list[str] = []
    proposal = ""
    for line in text.splitlines():
        line = line.strip().rstrip(";.").strip()
        if not line:
            continue
        if fold(line).startswith("theo de nghi"):
            proposal = line
        else:
            basis.append(line)
    return basis, proposal


def _item_for(nomination: Nomination, position: int, base_salary: Decimal) -> DecisionItem:
    return DecisionItem(
        nomination=nomination,
        position=position,
        kind=nomination.kind,
        name=nomination.nominee_name,
        place=nominations.place_of(nomination),
        citation=nomination.citation,
        cash=cash_for(nomination.award_form, nomination.kind, base_salary),
    )


def create_draft(round_: Round, award_form: AwardForm, actor: User) -> Decision:
    """A draft decision of ``award_form`` in ``round_`` holding every approved nomination not yet in a
    decision. Raises ``DecisionNotPermitted`` (not the board), ``DecisionError`` (wrong phase, nothing
    approved awaits a decision)."""
    _require(actor, Role.BOARD)
    if round_.phase not in DRAFTING_PHASES:
        raise DecisionError(
            str(_l("Chỉ soạn quyết định khi đợt xét ở giai đoạn phê duyệt hoặc đã quyết định."))
        )
    if award_form.campaign_id != round_.campaign_id:
        raise DecisionError(str(_l("Hình thức khen thưởng không thuộc phong trào của đợt xét.")))
    waiting = awaiting(round_, award_form)
    if not waiting:
        raise DecisionError(
            str(
                _l(
                    "Không có hồ sơ nào đã được phê duyệt “%(form)s” đang chờ quyết định.",
                    form=award_form.name,
                )
            )
        )
    campaign = round_.campaign
    basis, proposal = _split_legal_basis(campaign.legal_basis)
    signed_on = clock.today()
    decision = Decision(
        round=round_,
        award_form=award_form,
        state=DecisionState.DRAFT,
        symbol=award_form.decision_symbol,
        year=signed_on.year,
        signed_on=signed_on,
        issuer=award_form.decision_issuer,
        authority=award_form.awarding_title,
        subject=(
            f"Về việc tặng {award_form.name} cho các tập thể, cá nhân đã có thành tích xuất sắc "
            f"trong phong trào thi đua “{campaign.name}”"
        ),
        legal_basis="\n".join(basis),
        proposal=proposal or DEFAULT_PROPOSAL,
        executors=DEFAULT_EXECUTORS,
        recipients=DEFAULT_RECIPIENTS,
        signer_prefix=award_form.signer_prefix,
        signer_head_title=_head_title(award_form) if award_form.signer_prefix else "",
        signer_title=award_form.signer_title,
        signer_name=award_form.signer_name,
        base_salary=Decimal(current_app.config["BASE_SALARY_VND"]),
        created_by_id=actor.id,
    )
    db.session.add(decision)
    decision.items = [
        _item_for(nomination, position, decision.base_salary)
        for position, nomination in enumerate(waiting, start=1)
    ]
    db.session.flush()
    return decision


@dataclass
class DraftData:
    signed_on: date
    subject: str
    legal_basis: str
    proposal: str
    executors: str
    recipients: str
    signer_prefix: str
    signer_head_title: str
    signer_title: str
    signer_name: str
    base_salary: Decimal


def update_draft(decision: Decision, data: DraftData, actor: User) -> None:
    """Edit a draft's texts, date, signer and base salary (cash of the items follows)."""
    _require(actor, Role.BOARD)
    _require_draft(decision)
    if data.signer_prefix and data.signer_prefix not in SIGNER_PREFIXES:
        raise DecisionError(str(_l("Tiền tố ký không hợp lệ (KT., TM., TL., TUQ. hoặc để trống).")))
    if data.signer_prefix and not data.signer_head_title.strip():
        raise DecisionError(
            str(
                _l(
                    "Ký thay, thay mặt, thừa lệnh cần chức danh của người đứng đầu (ví dụ CHỦ TỊCH)."
                )
            )
        )
    if data.base_salary <= 0:
        raise DecisionError(str(_l("Mức lương cơ sở phải lớn hơn 0.")))
    for name in (
        "subject",
        "legal_basis",
        "proposal",
        "executors",
        "recipients",
        "signer_prefix",
        "signer_head_title",
        "signer_title",
        "signer_name",
    ):
        setattr(decision, name, getattr(data, name).strip())
    decision.signed_on = data.signed_on
    decision.year = data.signed_on.year
    if decision.base_salary != data.base_salary:
        decision.base_salary = data.base_salary
        for item in decision.items:
            item.cash = cash_for(decision.award_form, item.kind, data.base_salary)
    db.session.flush()


def sync_items(decision: Decision, actor: User) -> tuple[int, int]:
    """Bring a draft's items in line with the approvals: drop items no longer approved, add approved
    nominations no decision holds, renumber. Returns (added, removed)."""
    _require(actor, Role.BOARD)
    _require_draft(decision)
    kept = [item for item in decision.items if item.nomination.state is S.APPROVED]
    removed = len(decision.items) - len(kept)
    for item in decision.items:
        if item not in kept:
            db.session.delete(item)
    db.session.flush()
    fresh = awaiting(decision.round, decision.award_form)
    ordered = sorted(
        [*(item.nomination for item in kept), *fresh],
        key=lambda n: (n.kind is not RecipientKind.COLLECTIVE, -(n.score or 0), n.reference or ""),
    )
    by_nomination = {item.nomination_id: item for item in kept}
    # Move kept items out of the way of the unique (decision, position) pair before renumbering.
    for offset, item in enumerate(kept, start=1):
        item.position = -offset
    db.session.flush()
    items = []
    for position, nomination in enumerate(ordered, start=1):
        item = by_nomination.get(nomination.id) or _item_for(
            nomination, position, decision.base_salary
        )
        item.position = position
        items.append(item)
    decision.items = items
    db.session.flush()
    return len(fresh), removed


def delete_draft(decision: Decision, actor: User) -> None:
    """Discard a draft (it never had a number)."""
    _require(actor, Role.BOARD)
    _require_draft(decision)
    db.session.delete(decision)
    db.session.flush()


# --------------------------------------------------------------------------- the document's data


def _issuer_lines(issuer: str) -> dict[str, str]:
    """A department prints its superior ("UBND TỈNH BẮC NINH") above its own name; a People's Committee
    prints its name on two lines."""
    lines = [line.strip() for line in issuer.splitlines() if line.strip()]
    if len(lines) >= 2 and lines[0].startswith("UBND "):
        return {"superior": lines[0], "heading": "\n".join(lines[1:])}
    return {"superior": "", "heading": "\n".join(lines)}


def _multiple(value: Decimal) -> str:
    return format(value.normalize(), "f").replace(".", ",")


def _articles(decision: Decision, collectives: int, individuals: int, total: Decimal) -> list[dict]:
    form = decision.award_form
    campaign = decision.round.campaign
    texts = [
        f"Tặng {form.name} cho {count_phrase(collectives, individuals)} đã có thành tích xuất sắc "
        f"trong phong trào thi đua “{campaign.name}” (có danh sách kèm theo)."
    ]
    if total > 0:
        parts = []
        if collectives and form.cash_multiple_collective:
            amount = cash_for(form, RecipientKind.COLLECTIVE, decision.base_salary)
            parts.append(
                f"mỗi tập thể {_multiple(form.cash_multiple_collective)} lần mức lương cơ sở "
                f"({format_money(amount)} đồng)"
            )
        if individuals and form.cash_multiple_individual:
            amount = cash_for(form, RecipientKind.INDIVIDUAL, decision.base_salary)
            parts.append(
                f"mỗi cá nhân {_multiple(form.cash_multiple_individual)} lần mức lương cơ sở "
                f"({format_money(amount)} đồng)"
            )
        texts.append(
            f"Tiền thưởng kèm theo {form.name}: {'; '.join(parts)}, theo mức lương cơ sở "
            f"{format_money(decision.base_salary)} đồng. Tổng cộng: {format_money(total)} đồng. {FUNDING}"
        )
    executors = decision.executors.strip().rstrip(".;")
    texts.append(
        f"Quyết định này có hiệu lực kể từ ngày ký. {executors} và các tập thể, cá nhân có tên tại "
        "Điều 1 chịu trách nhiệm thi hành Quyết định này./."
    )
    return [{"label": f"Điều {i}.", "text": text} for i, text in enumerate(texts, start=1)]


def _signer_lines(decision: Decision) -> list[str]:
    if decision.signer_prefix:
        return [f"{decision.signer_prefix} {decision.signer_head_title}", decision.signer_title]
    return [decision.signer_title]


def build_data(decision: Decision) -> dict[str, Any]:
    """The plain values of ``decision`` read from its rows now (a draft, or the moment of issue)."""
    items = [item for item in decision.items]
    collectives = [i for i in items if i.kind is RecipientKind.COLLECTIVE]
    individuals = [i for i in items if i.kind is RecipientKind.INDIVIDUAL]
    total = sum((item.cash for item in items), Decimal(0))
    number = decision.number
    symbol = decision.symbol
    reference_number = number or f"      /{symbol}"
    form = decision.award_form

    def rows(section: list[DecisionItem]) -> list[dict[str, Any]]:
        return [
            {
                "index": index,
                "name": item.name,
                "place": item.place,
                "citation": item.citation,
                "golden_book": item.golden_book,
                "cash": int(item.cash),
            }
            for index, item in enumerate(section, start=1)
        ]

    sections = []
    if collectives:
        sections.append(
            {
                "numeral": "I",
                "heading": "TẬP THỂ",
                "name_header": "Tên tập thể",
                "place_header": "Đơn vị",
                "rows": rows(collectives),
            }
        )
    if individuals:
        sections.append(
            {
                "numeral": "II" if collectives else "I",
                "heading": "CÁ NHÂN",
                "name_header": "Họ và tên",
                "place_header": "Chức vụ, đơn vị",
                "rows": rows(individuals),
            }
        )
    return {
        "draft": decision.state is DecisionState.DRAFT,
        "number": number,
        "symbol": symbol,
        "issuer": {**_issuer_lines(decision.issuer), "name": " ".join(decision.issuer.split())},
        "place": current_app.config["DOCUMENT_PLACE"],
        "date_line": long_date(decision.signed_on),
        "signed_on": decision.signed_on.strftime("%d/%m/%Y"),
        "subject": decision.subject,
        "authority": decision.authority,
        "legal_basis": [
            line.strip().rstrip(";.") for line in decision.legal_basis.splitlines() if line.strip()
        ],
        "proposal": decision.proposal.strip().rstrip(";."),
        "articles": _articles(decision, len(collectives), len(individuals), total),
        "recipients": [
            line.strip().lstrip("-").strip().rstrip(";.")
            for line in decision.recipients.splitlines()
            if line.strip()
        ],
        "signer": {"title_lines": _signer_lines(decision), "name": decision.signer_name},
        "annex": {
            "title": f"DANH SÁCH TẬP THỂ, CÁ NHÂN ĐƯỢC TẶNG {form.name.upper()}",
            "reference": (
                f"(Kèm theo Quyết định số {reference_number} ngày "
                f"{decision.signed_on.strftime('%d/%m/%Y')})"
            ),
            "sections": sections,
        },
        "totals": {
            "collectives": len(collectives),
            "individuals": len(individuals),
            "cash": int(total),
        },
    }


def decision_data(decision: Decision) -> dict[str, Any]:
    """The document's plain values: frozen at issue for an issued or revoked decision."""
    if decision.state is not DecisionState.DRAFT and decision.document:
        return json.loads(decision.document)
    return build_data(decision)


def render(decision: Decision) -> bytes:
    """The decision's PDF: the stored file of an issued decision, a fresh rendering of a draft."""
    if decision.pdf_key:
        with get_storage().open(decision.pdf_key) as stream:
            return stream.read()
    return decision_pdf.render_decision(decision_data(decision))


# --------------------------------------------------------------------------- issuing


def verification_code() -> str:
    """A fresh public verification code: 100 random bits, "7K3QZ-M9D2X-…"."""
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(_CODE_LENGTH))
    return "-".join(raw[i : i + 5] for i in range(0, _CODE_LENGTH, 5))


def _serial_prefix(symbol: str, year: int) -> str:
    ascii_symbol = re.sub(r"[^A-Z0-9]+", "-", fold(symbol).upper()).strip("-")
    return f"{year}-{ascii_symbol}"


def _refuse_unapproved(decision: Decision) -> None:
    stale = [item for item in decision.items if item.nomination.state is not S.APPROVED]
    if stale:
        raise DecisionError(
            str(
                _l(
                    "Danh sách của dự thảo có hồ sơ không còn ở trạng thái đã phê duyệt (%(refs)s): hãy cập nhật danh sách trước khi ban hành.",
                    refs=", ".join(item.nomination.reference or "" for item in stale),
                )
            )
        )


def issue(decision: Decision, actor: User) -> Decision:
    """Sign and issue ``decision`` (see the module docstring). Raises ``DecisionNotPermitted`` (not an
    approver) or ``DecisionError`` (not a draft, wrong phase, empty, an item no longer approved)."""
    _require(actor, Role.APPROVER)
    _require_draft(decision)
    if decision.round.phase not in DRAFTING_PHASES:
        raise DecisionError(
            str(_l("Chỉ ban hành quyết định khi đợt xét ở giai đoạn phê duyệt hoặc đã quyết định."))
        )
    if not decision.items:
        raise DecisionError(str(_l("Quyết định chưa có tập thể, cá nhân nào.")))
    if not decision.signer_name.strip() or not decision.signer_title.strip():
        raise DecisionError(str(_l("Hãy nhập chức danh và họ tên người ký trước khi ban hành.")))
    _refuse_unapproved(decision)
    items = list(decision.items)
    decision.seq = numbering.take(numbering.decision_key(decision.symbol, decision.year))
    decision.number = f"{decision.seq:02d}/{decision.symbol}"
    first = numbering.take(numbering.golden_book_key(decision.symbol, decision.year), len(items))
    prefix = _serial_prefix(decision.symbol, decision.year)
    for offset, item in enumerate(items):
        item.golden_book = first + offset
        db.session.add(
            Certificate(
                item=item,
                serial=f"{prefix}-{item.golden_book:05d}",
                code=verification_code(),
                status=CertificateStatus.VALID,
            )
        )
        workflow.transition(item.nomination, "award", actor)
    decision.state = DecisionState.ISSUED
    decision.issued_by_id = actor.id
    decision.issued_at = utcnow()
    data = build_data(decision)
    decision.document = json.dumps(data, ensure_ascii=False, sort_keys=True)
    pdf = decision_pdf.render_decision(data)
    key = new_key()
    get_storage().put(key, io.BytesIO(pdf))
    decision.pdf_key = key
    decision.pdf_sha256 = hashlib.sha256(pdf).hexdigest()
    db.session.flush()
    audit.record(
        "decision.issue",
        "decisions",
        decision.id,
        after={"number": decision.number, "items": len(items), "sha256": decision.pdf_sha256},
        actor=actor,
    )
    link = url_for("decisions.public_detail", decision_id=decision.id)
    for item in items:
        _tell(item, "award", link)
    return decision


def stored_pdf_matches(decision: Decision) -> bool:
    """Whether the stored PDF of an issued decision still has the SHA-256 recorded at issue."""
    if not decision.pdf_key or not decision.pdf_sha256:
        return False
    with get_storage().open(decision.pdf_key) as stream:
        return hashlib.sha256(stream.read()).hexdigest() == decision.pdf_sha256


# --------------------------------------------------------------------------- revocation


def _check_revocation(actor: User, reason: str, reference: str) -> None:
    _require(actor, Role.APPROVER)
    if not reason.strip():
        raise DecisionError(str(_l("Vui lòng nêu lý do.")))
    if not reference.strip():
        raise DecisionError(
            str(_l("Hãy ghi số, ngày của văn bản hủy bỏ (ví dụ Quyết định số 15/QĐ-UBND)."))
        )


def _revoke(item: DecisionItem, actor: User, reason: str, reference: str) -> None:
    now = utcnow()
    item.revoked_at = now
    item.revoked_by_id = actor.id
    item.revoke_reason = reason
    item.revoke_reference = reference
    certificate = item.certificate
    if certificate is not None and certificate.status is CertificateStatus.VALID:
        certificate.status = CertificateStatus.REVOKED
        certificate.revoked_at = now
        certificate.revoke_reason = reason
    workflow.transition(item.nomination, "revoke", actor, reason=f"{reason} ({reference})")


def revoke_decision(decision: Decision, actor: User, reason: str, reference: str) -> int:
    """Revoke an issued decision and every item not revoked yet; returns how many items were revoked."""
    _check_revocation(actor, reason, reference)
    if decision.state is not DecisionState.ISSUED:
        raise DecisionError(str(_l("Chỉ hủy bỏ được quyết định đã ban hành và còn hiệu lực.")))
    reason, reference = reason.strip(), reference.strip()
    live = [item for item in decision.items if item.revoked_at is None]
    for item in live:
        _revoke(item, actor, reason, reference)
    decision.state = DecisionState.REVOKED
    decision.revoked_at = utcnow()
    decision.revoked_by_id = actor.id
    decision.revoke_reason = reason
    decision.revoke_reference = reference
    db.session.flush()
    link = url_for("decisions.public_detail", decision_id=decision.id)
    for item in live:
        _tell(item, "revoke", link, reason)
    return len(live)


def revoke_item(item: DecisionItem, actor: User, reason: str, reference: str) -> None:
    """Revoke one item of an issued decision (its certificate and nomination follow)."""
    _check_revocation(actor, reason, reference)
    if item.decision.state is not DecisionState.ISSUED or item.revoked_at is not None:
        raise DecisionError(str(_l("Khen thưởng này không còn hiệu lực để hủy bỏ.")))
    _revoke(item, actor, reason.strip(), reference.strip())
    db.session.flush()
    _tell(item, "revoke", url_for("decisions.public_detail", decision_id=item.decision_id), reason)


def _tell(item: DecisionItem, action: str, link: str, reason: str = "") -> None:
    decision = item.decision
    nomination = item.nomination
    if action == "award":

        def message() -> str:
            return str(
                _l(
                    "%(name)s (hồ sơ %(ref)s) đã được tặng %(form)s theo Quyết định số %(number)s ngày %(date)s.",
                    name=item.name,
                    ref=nomination.reference,
                    form=decision.award_form.name,
                    number=decision.number,
                    date=decision.signed_on.strftime("%d/%m/%Y"),
                )
            )
    else:

        def message() -> str:
            return str(
                _l(
                    "Khen thưởng của %(name)s (hồ sơ %(ref)s) theo Quyết định số %(number)s đã bị hủy bỏ. Lý do: %(reason)s",
                    name=item.name,
                    ref=nomination.reference,
                    number=decision.number,
                    reason=reason,
                )
            )

    notifications.notify_unit(nomination.unit_id, message, link)


# --------------------------------------------------------------------------- lists


def decisions_of(round_: Round) -> list[Decision]:
    return list(
        db.session.scalars(
            sa.select(Decision)
            .where(Decision.round_id == round_.id)
            .order_by(Decision.created_at.desc(), Decision.id.desc())
        )
    )


def public_decisions() -> list[Decision]:
    """Issued (and revoked) decisions, newest first: the public page lists them all."""
    return list(
        db.session.scalars(
            sa.select(Decision)
            .where(Decision.state != DecisionState.DRAFT)
            .order_by(Decision.signed_on.desc(), Decision.id.desc())
        )
    )


def by_number(number: str) -> Decision | None:
    return db.session.scalar(sa.select(Decision).where(Decision.number == number.strip()))
