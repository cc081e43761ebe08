"""Evidence files of nominations, and the unit council's minutes of a submission (Tờ trình).

An upload is checked completely before anything is kept:

1. the name: the user's file name is kept for display and download only — normalised to NFC, without
   folders (``../../etc/passwd`` → ``passwd``, ``C:\\x\\Báo cáo.pdf`` → ``Báo cáo.pdf``), control characters
   or more than ``MAX_NAME_LENGTH`` characters; the bytes are stored under a generated key
   (``awards.storage.new_key``);
2. the size: not empty, at most ``EVIDENCE_MAX_FILE_MB``, and the owner's live files together at most
   ``EVIDENCE_MAX_NOMINATION_MB`` (counted under a row lock on the owner, so parallel uploads cannot
   overshoot on PostgreSQL; SQLite serialises writers anyway);
3. the type, from the content and never from the name: PDF, JPG and PNG by their signatures (the
   ``filetype`` library, plus a structural check of our own), DOCX and XLSX as zip archives holding
   ``[Content_Types].xml`` and ``word/document.xml`` resp. ``xl/workbook.xml``, with the zip-bomb guard of
   ``exports.excel.zip_members`` and no macros, ActiveX or encrypted members; the name's extension must
   then agree with what the content is.

The bytes are hashed (SHA-256) while they are read. A file that fails any check leaves no row and no
bytes. One that passes is written to storage before its row is flushed; if the transaction (or the
SAVEPOINT) that added the row is rolled back later — a failed flush, a refusal further on, a failed commit
— the new bytes are deleted again (``_discard_new_files``), so storage never keeps a file the database
does not know.

Removing a file only sets ``deleted_at``: the bytes stay for the record. Services flush, never commit, and
raise ``EvidenceError`` with a message for the user (Vietnamese).
"""

from __future__ import annotations

import hashlib
import logging
import re
import tempfile
import unicodedata
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import BinaryIO

import filetype
import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session, SessionTransaction
from werkzeug.datastructures import FileStorage

from awards import nominations
from awards.extensions import db
from awards.permissions import PROVINCE_ROLES, UNIT_ROLES
from awards.storage import Storage, get_storage, new_key
from awards.templating import format_number
from exports.excel import NotAZipError, ZipTooLargeError, zip_members
from models import (
    Criterion,
    EvidenceFile,
    Nomination,
    Review,
    RoundPhase,
    Submission,
    User,
    utcnow,
)

log = logging.getLogger(__name__)

MB = 1024 * 1024
CHUNK = 256 * 1024
MAX_NAME_LENGTH = 200
SNIFF_BYTES = 8192
MAX_ZIP_MEMBERS = 5000
MAX_CONTENT_TYPES_BYTES = MB
PDF_EOF_WINDOW = 1024  # readers look for %%EOF in the last KiB (as Acrobat does)
# OLE2 compound files: .doc/.xls, and password-protected (encrypted) .docx/.xlsx.
CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_FOLDER_SEPARATORS = re.compile(r"[\\/]")
_DROPPED_CATEGORIES = ("C", "Zl", "Zp")  # control, format, unassigned, private use; line breaks


class EvidenceError(ValueError):
    """An upload or removal that is refused; ``str(error)`` tells the user why and what to do."""


@dataclass(frozen=True)
class FileKind:
    """One accepted type: its stored ``Content-Type`` and the extensions a file of it may carry."""

    code: str
    label: object  # lazy text for messages
    mime: str
    extensions: tuple[str, ...]


PDF = FileKind("pdf", _l("tài liệu PDF"), "application/pdf", ("pdf",))
DOCX = FileKind(
    "docx",
    _l("tài liệu Word (DOCX)"),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ("docx",),
)
XLSX = FileKind(
    "xlsx",
    _l("bảng tính Excel (XLSX)"),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ("xlsx",),
)
JPEG = FileKind("jpg", _l("ảnh JPG"), "image/jpeg", ("jpg", "jpeg"))
PNG = FileKind("png", _l("ảnh PNG"), "image/png", ("png",))
KINDS = (PDF, DOCX, XLSX, JPEG, PNG)
ACCEPT = ",".join(f".{ext}" for kind in KINDS for ext in kind.extensions)

# Parts that carry VBA macros (ActiveX controls are refused by their folder, word/activeX/ or xl/activeX/).
_MACRO_PARTS = frozenset({"vbaproject.bin", "vbadata.xml", "vbaprojectsignature.bin"})
# What the main part of each Office document must be declared as in [Content_Types].xml.
_MAIN_PART_TYPES = {
    "docx": b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    "xlsx": b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
}


@dataclass(frozen=True)
class Limits:
    max_file: int
    max_owner: int
    max_uncompressed: int

    @classmethod
    def from_config(cls) -> Limits:
        config = current_app.config
        return cls(
            max_file=int(config["EVIDENCE_MAX_FILE_MB"]) * MB,
            max_owner=int(config["EVIDENCE_MAX_NOMINATION_MB"]) * MB,
            max_uncompressed=int(config["EVIDENCE_MAX_UNCOMPRESSED_MB"]) * MB,
        )


@dataclass
class CheckedUpload:
    """An upload that passed every check on its own (the owner's total is checked when storing)."""

    name: str
    kind: FileKind
    size: int
    sha256: str
    data: BinaryIO


# --------------------------------------------------------------------------- predicates and queries


def can_view_submission(submission: Submission, user: User) -> bool:
    """The unit's own people and province-level roles (DESIGN.md §1)."""
    if user.has_role(*PROVINCE_ROLES):
        return True
    return user.has_role(*UNIT_ROLES) and user.unit_id == submission.unit_id


def can_edit_submission(submission: Submission, user: User) -> bool:
    """The unit may change its dossier's minutes while the round takes nominations and none of the
    dossier's nominations has gone on (each is still a draft or returned)."""
    return (
        user.has_role(*UNIT_ROLES)
        and user.unit_id == submission.unit_id
        and submission.round.phase is RoundPhase.NOMINATING
        and all(n.is_editable for n in submission.nominations)
    )


def can_view(file: EvidenceFile, user: User) -> bool:
    """Whether ``user`` may download ``file``: whoever may see its nomination or submission, and a
    council member who reviews that nomination (an open review, not recused, without a conflict)."""
    if file.nomination is not None:
        return nominations.can_view(file.nomination, user) or _reviews(file.nomination, user)
    return file.submission is not None and can_view_submission(file.submission, user)


def _reviews(nomination: Nomination, user: User) -> bool:
    from awards import scoring  # scoring builds on nominations and evidence: imported when needed

    review = db.session.scalar(
        sa.select(Review).where(
            Review.nomination_id == nomination.id, Review.reviewer_id == user.id
        )
    )
    return review is not None and scoring.can_open(review, user)


def can_change(file: EvidenceFile, user: User) -> bool:
    """Whether ``user`` may remove ``file`` now (its owner is still editable by them)."""
    if file.nomination is not None:
        return nominations.can_edit(file.nomination, user)
    return file.submission is not None and can_edit_submission(file.submission, user)


def evidence_criteria(nomination: Nomination) -> list[Criterion]:
    """The criteria a file of ``nomination`` may be attached to: the measurable ones and those that
    require evidence, among the criteria that apply to it."""
    return [
        c
        for c in nominations.criteria_for(nomination.round, nomination.kind)
        if c.is_measurable or c.evidence_required
    ]


def used_bytes(*, nomination_id: int | None = None, submission_id: int | None = None) -> int:
    """Total size of the owner's live (not removed) files."""
    owner = (
        EvidenceFile.nomination_id == nomination_id
        if nomination_id is not None
        else EvidenceFile.submission_id == submission_id
    )
    total = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(EvidenceFile.size_bytes), 0)).where(
            owner, EvidenceFile.deleted_at.is_(None)
        )
    )
    return int(total or 0)


# --------------------------------------------------------------------------- names and sizes


def clean_filename(raw: str | None) -> str:
    """The user's file name as we keep it: NFC, last path component only (``/`` and ``\\`` both count),
    without control or formatting characters (bidi overrides included), trimmed of spaces and dots at
    both ends, at most ``MAX_NAME_LENGTH`` characters with the extension kept. May return ``""``."""
    text = unicodedata.normalize("NFC", raw or "")
    text = _FOLDER_SEPARATORS.split(text)[-1]
    text = "".join(
        ch for ch in text if not unicodedata.category(ch).startswith(_DROPPED_CATEGORIES)
    )
    text = text.strip(" .")
    if len(text) > MAX_NAME_LENGTH:
        stem, dot, extension = text.rpartition(".")
        if dot and 0 < len(extension) <= 10:
            text = stem[: MAX_NAME_LENGTH - len(extension) - 1].rstrip(" .") + "." + extension
        else:
            text = text[:MAX_NAME_LENGTH].rstrip(" .")
    return text


def extension_of(name: str) -> str:
    stem, dot, extension = name.rpartition(".")
    return extension.lower() if dot and stem else ""


def format_mb(size: int) -> str:
    """``25,3`` (Vietnamese) for 25.3 MB; at least 0,1 for a non-empty size."""
    value = size / MB
    if 0 < value < 0.1:
        value = 0.1
    return format_number(value, 1)


def format_size(size: int) -> str:
    """Human size for lists: ``850 KB``, ``1,2 MB``."""
    if size < MB:
        return f"{format_number(max(1, round(size / 1024)))} KB"
    return f"{format_mb(size)} MB"


# --------------------------------------------------------------------------- content checks


def _refuse_unsupported(name: str, what: object) -> EvidenceError:
    return EvidenceError(
        str(
            _l(
                "Tệp “%(name)s” không phải là PDF, DOCX, XLSX, JPG hay PNG (nội dung thực tế: %(what)s). "
                "Hãy chuyển tệp sang một trong các định dạng đó rồi tải lên lại.",
                name=name,
                what=what,
            )
        )
    )


def _describe(head: bytes) -> object:
    """What unsupported content is, in words for the message."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<!doctype html", b"<html", b"<script", b"<head", b"<body", b"<svg")):
        return _l("trang web HTML/SVG")
    guess = filetype.guess(head)
    if guess is not None:
        return guess.extension.upper()
    return _l("không xác định được")


def _check_pdf(name: str, data: BinaryIO, size: int) -> None:
    data.seek(max(0, size - PDF_EOF_WINDOW))
    if b"%%EOF" not in data.read():
        raise EvidenceError(
            str(
                _l(
                    "Tệp “%(name)s” không phải là tệp PDF hoàn chỉnh (thiếu phần kết thúc, có thể bị hỏng "
                    "hoặc tải về chưa xong). Hãy xuất lại tệp PDF rồi tải lên lại.",
                    name=name,
                )
            )
        )


def _damaged(name: str) -> EvidenceError:
    return EvidenceError(
        str(
            _l(
                "Tệp “%(name)s” bị hỏng hoặc không đọc được. Hãy mở và lưu lại tệp rồi tải lên lại.",
                name=name,
            )
        )
    )


def _office_kind(name: str, data: BinaryIO, limits: Limits) -> FileKind:
    """DOCX or XLSX, judged from the zip's members; raises ``EvidenceError`` for anything else."""
    data.seek(0)
    try:
        members = zip_members(data, limits.max_uncompressed)
    except ZipTooLargeError as error:
        raise EvidenceError(
            str(
                _l(
                    "Tệp “%(name)s” khai báo %(size)s MB dữ liệu khi giải nén, vượt giới hạn %(limit)s MB "
                    "(có thể là tệp “bom nén”). Tệp không được lưu.",
                    name=name,
                    size=format_mb(error.declared),
                    limit=limits.max_uncompressed // MB,
                )
            )
        ) from error
    except NotAZipError as error:
        raise _damaged(name) from error
    if len(members) > MAX_ZIP_MEMBERS:
        raise _damaged(name)
    names = {member.filename for member in members}
    lowered = {n.lower() for n in names}
    if any(member.flag_bits & 0x1 for member in members):
        raise EvidenceError(
            str(
                _l(
                    "Tệp “%(name)s” đã được đặt mật khẩu (mã hóa). Hãy gỡ mật khẩu hoặc xuất ra PDF rồi "
                    "tải lên lại.",
                    name=name,
                )
            )
        )
    macros = any(n.rpartition("/")[2] in _MACRO_PARTS or "activex/" in n for n in lowered)
    is_docx = "word/document.xml" in names
    is_xlsx = "xl/workbook.xml" in names
    if "[Content_Types].xml" not in names or is_docx == is_xlsx:
        raise _refuse_unsupported(name, _l("tệp nén ZIP hoặc tài liệu văn phòng khác"))
    kind = DOCX if is_docx else XLSX
    try:
        with zipfile.ZipFile(data) as archive:
            info = archive.getinfo("[Content_Types].xml")
            if info.file_size > MAX_CONTENT_TYPES_BYTES:
                raise _damaged(name)
            with archive.open(info) as part:
                content_types = part.read(MAX_CONTENT_TYPES_BYTES + 1)
    except EvidenceError:
        raise
    except Exception as error:  # untrusted input: a broken member is a broken file
        raise _damaged(name) from error
    if macros or b"macroenabled" in content_types.lower():
        raise EvidenceError(
            str(
                _l(
                    "Tệp “%(name)s” có chứa macro hoặc điều khiển ActiveX, không được nhận vì lý do an "
                    "toàn. Hãy lưu lại thành %(kind)s thông thường (không macro) hoặc xuất ra PDF.",
                    name=name,
                    kind=kind.label,
                )
            )
        )
    if _MAIN_PART_TYPES[kind.code] not in content_types:
        raise _refuse_unsupported(name, _l("mẫu hoặc tài liệu văn phòng khác"))
    return kind


def detect_kind(name: str, data: BinaryIO, size: int, limits: Limits) -> FileKind:
    """The accepted type that ``data`` really is; raises ``EvidenceError`` saying what it is otherwise."""
    data.seek(0)
    head = data.read(SNIFF_BYTES)
    guess = filetype.guess(head)
    mime = guess.mime if guess is not None else None
    if mime == PDF.mime:
        if not head.lstrip(b"\xef\xbb\xbf").startswith(b"%PDF-"):
            raise _damaged(name)
        _check_pdf(name, data, size)
        return PDF
    if mime == JPEG.mime:
        return JPEG
    if mime in (PNG.mime, "image/apng"):
        if head[12:16] != b"IHDR":
            raise _damaged(name)
        return PNG
    if head.startswith(b"PK\x03\x04"):
        return _office_kind(name, data, limits)
    if head.startswith(CFB_MAGIC):
        raise EvidenceError(
            str(
                _l(
                    "Tệp “%(name)s” là tài liệu Office định dạng cũ (.doc, .xls) hoặc đã đặt mật khẩu. "
                    "Hãy lưu lại thành .docx/.xlsx không mật khẩu, hoặc xuất ra PDF, rồi tải lên lại.",
                    name=name,
                )
            )
        )
    raise _refuse_unsupported(name, _describe(head))


def _check_extension(name: str, kind: FileKind) -> None:
    extension = extension_of(name)
    if extension in kind.extensions:
        return
    if not extension:
        raise EvidenceError(
            str(
                _l(
                    "Tệp “%(name)s” không có phần mở rộng; nội dung của nó là %(kind)s. Hãy đặt tên "
                    "tệp có đuôi .%(expected)s rồi tải lên lại.",
                    name=name,
                    kind=kind.label,
                    expected=kind.extensions[0],
                )
            )
        )
    raise EvidenceError(
        str(
            _l(
                "Tệp “%(name)s” thực chất là %(kind)s, không khớp với phần mở rộng .%(extension)s. "
                "Hãy đổi phần mở rộng thành .%(expected)s (hoặc chọn đúng tệp) rồi tải lên lại.",
                name=name,
                kind=kind.label,
                extension=extension,
                expected=kind.extensions[0],
            )
        )
    )


@contextmanager
def checked_upload(upload: FileStorage, limits: Limits) -> Iterator[CheckedUpload]:
    """Read ``upload`` once into a private spool (hashing as it goes) and check its name, size and
    content. Yields the ``CheckedUpload``; the spool is closed on exit. Raises ``EvidenceError``."""
    name = clean_filename(upload.filename)
    if not name:
        raise EvidenceError(str(_l("Tệp tải lên không có tên hợp lệ. Hãy chọn lại tệp.")))
    digest = hashlib.sha256()
    size = 0
    with tempfile.SpooledTemporaryFile(max_size=MB) as spool:
        while chunk := upload.stream.read(CHUNK):
            size += len(chunk)
            if size <= limits.max_file:  # past the limit only count, to name the real size
                digest.update(chunk)
                spool.write(chunk)
        if size == 0:
            raise EvidenceError(
                str(_l("Tệp “%(name)s” rỗng (0 byte). Hãy chọn lại đúng tệp.", name=name))
            )
        if size > limits.max_file:
            raise EvidenceError(
                str(
                    _l(
                        "Tệp “%(name)s” (%(size)s MB) vượt quá giới hạn %(limit)s MB mỗi tệp. Hãy nén, "
                        "giảm độ phân giải hoặc chia nhỏ tệp rồi tải lên lại.",
                        name=name,
                        size=format_mb(size),
                        limit=limits.max_file // MB,
                    )
                )
            )
        kind = detect_kind(name, spool, size, limits)
        _check_extension(name, kind)
        spool.seek(0)
        yield CheckedUpload(name, kind, size, digest.hexdigest(), spool)


# --------------------------------------------------------------------------- storing


_NEW_FILES = "evidence_new_files"


def _current_transaction(session: Session) -> SessionTransaction | None:
    return session.get_nested_transaction() or session.get_transaction()


def _within(transaction: SessionTransaction | None, ancestor: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ancestor:
            return True
        transaction = transaction.parent
    return False


def _remember_new_file(session: Session, storage: Storage, key: str) -> None:
    """Tie ``key``'s bytes to the (innermost) transaction that adds its row."""
    pending = session.info.setdefault(_NEW_FILES, [])
    pending.append((storage, key, _current_transaction(session)))


@sa.event.listens_for(Session, "after_commit")
def _keep_new_files(session: Session) -> None:
    # A released SAVEPOINT commits nothing yet: its files stay tied to it, and so to its parents.
    if not session.in_nested_transaction():
        session.info.pop(_NEW_FILES, None)


@sa.event.listens_for(Session, "after_soft_rollback")
def _discard_new_files(session: Session, previous_transaction: SessionTransaction) -> None:
    """Delete the bytes written inside a transaction (or SAVEPOINT) that was rolled back: their rows
    are gone with it. Files of enclosing transactions are kept."""
    pending = session.info.get(_NEW_FILES)
    if not pending:
        return
    kept = []
    for storage, key, transaction in pending:
        if transaction is None or _within(transaction, previous_transaction):
            try:
                storage.delete(key)
            except Exception:  # cleanup must not hide the error that caused the rollback
                log.exception("could not delete uncommitted evidence file %s", key)
        else:
            kept.append((storage, key, transaction))
    session.info[_NEW_FILES] = kept


def _lock_owner(model: type[Nomination] | type[Submission], owner_id: int) -> None:
    """Serialise uploads to one owner until commit (PostgreSQL row lock; a no-op on SQLite, whose
    write transactions are serialised already)."""
    db.session.execute(sa.select(model.id).where(model.id == owner_id).with_for_update())


def _check_total(checked: CheckedUpload, used: int, limits: Limits) -> None:
    if used + checked.size > limits.max_owner:
        raise EvidenceError(
            str(
                _l(
                    "Không thể thêm tệp “%(name)s” (%(size)s MB): tổng dung lượng tài liệu của hồ sơ sẽ là "
                    "%(total)s MB, vượt quá giới hạn %(limit)s MB. Hãy xóa bớt tệp hoặc giảm dung lượng.",
                    name=checked.name,
                    size=format_mb(checked.size),
                    total=format_mb(used + checked.size),
                    limit=limits.max_owner // MB,
                )
            )
        )


def _store(checked: CheckedUpload, actor: User, **owner: object) -> EvidenceFile:
    storage: Storage = get_storage()
    key = new_key()
    stored = storage.put(key, checked.data)
    session = db.session()
    _remember_new_file(session, storage, key)
    try:
        if stored != checked.size:
            raise EvidenceError(str(_l("Không lưu được tệp. Vui lòng thử lại.")))
        file = EvidenceFile(
            storage_key=key,
            original_name=checked.name,
            content_type=checked.kind.mime,
            size_bytes=checked.size,
            sha256=checked.sha256,
            uploaded_by_id=actor.id,
            **owner,
        )
        session.add(file)
        session.flush()
    except BaseException:
        storage.delete(key)
        raise
    return file


def add_file(
    nomination: Nomination,
    upload: FileStorage,
    actor: User,
    criterion_id: int | None = None,
) -> EvidenceFile:
    """Attach ``upload`` to ``nomination`` as evidence (optionally of one criterion) for ``actor``.

    Checks everything listed in the module docstring, stores the bytes under a new key and flushes a new
    ``EvidenceFile`` (audited at flush). Raises ``EvidenceError`` — with nothing stored — when the
    nomination is not editable by ``actor``, the criterion is not one of ``evidence_criteria``, or the
    upload fails a check.
    """
    if not nominations.can_edit(nomination, actor):
        raise EvidenceError(
            str(
                _l(
                    "Hồ sơ ở trạng thái này (hoặc đợt xét đã qua giai đoạn nhận hồ sơ) không thêm hay xóa "
                    "tài liệu được."
                )
            )
        )
    if criterion_id is not None and criterion_id not in {
        c.id for c in evidence_criteria(nomination)
    }:
        raise EvidenceError(
            str(_l("Tiêu chí đã chọn không cần minh chứng hoặc không áp dụng cho hồ sơ này."))
        )
    limits = Limits.from_config()
    with checked_upload(upload, limits) as checked:
        _lock_owner(Nomination, nomination.id)
        _check_total(checked, used_bytes(nomination_id=nomination.id), limits)
        return _store(checked, actor, nomination_id=nomination.id, criterion_id=criterion_id)


def add_minutes(submission: Submission, upload: FileStorage, actor: User) -> EvidenceFile:
    """Attach ``upload`` to ``submission`` as (a part of) the unit council's minutes.

    The same checks and limits as ``add_file`` (the per-nomination total applies to the submission's
    files). Raises ``EvidenceError`` when the submission is not editable by ``actor`` or the upload fails
    a check; nothing is stored then.
    """
    if not can_edit_submission(submission, actor):
        raise EvidenceError(
            str(_l("Tờ trình này không còn thay đổi được biên bản họp hội đồng của đơn vị."))
        )
    limits = Limits.from_config()
    with checked_upload(upload, limits) as checked:
        _lock_owner(Submission, submission.id)
        _check_total(checked, used_bytes(submission_id=submission.id), limits)
        return _store(checked, actor, submission_id=submission.id)


def remove_file(file: EvidenceFile, actor: User) -> None:
    """Take ``file`` out of its dossier (sets ``deleted_at``; the bytes are kept for the record).
    Raises ``EvidenceError`` when it is already removed or its owner is not editable by ``actor``."""
    if file.deleted_at is not None:
        raise EvidenceError(str(_l("Tệp này đã được xóa khỏi hồ sơ.")))
    if not can_change(file, actor):
        raise EvidenceError(
            str(
                _l(
                    "Hồ sơ ở trạng thái này (hoặc đợt xét đã qua giai đoạn nhận hồ sơ) không thêm hay xóa "
                    "tài liệu được."
                )
            )
        )
    file.deleted_at = utcnow()
    db.session.flush()
