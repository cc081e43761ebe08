"""Batch printing of certificates (issue 6): a decision's certificates — or a whole round's — as one PDF,
or as a ZIP of one PDF per recipient, made by a background job (``awards/jobs.py``).

* ``start_print`` / ``start_round_print`` (the board; the command line passes no actor) check what may be
  printed and create the job: the decision is issued, its valid certificates exist (they were created when
  it was issued — printing never creates a certificate or a serial), and a reprint — any of them printed
  before — carries its reason. What the job prints is pinned in its parameters then: the certificates (in
  golden-book order, per decision), the template version of each decision's award form, the mode, the
  printer and its offset (blank mode only; the full design ignores offsets). An audit event names who
  asked and why.
* ``run_print_job`` (the job's handler) renders the certificates in chunks of ``JOB_CHUNK_SIZE``, the
  chunks spread over ``JOB_RENDER_WORKERS`` processes (``exports.certificates.render_batch``). Each
  finished chunk's PDF is stored, each of its certificates gets its print record (``record_print``:
  printed count, template version, parameters, who and why) and the job its progress, in ONE commit per
  chunk. That commit is why this runner commits, unlike services: a job killed half-way keeps every chunk
  it finished, and running it again (``jobs.run``) renders only the chunks its progress does not list —
  no certificate is printed (counted) twice by one job, and the unique (job, certificate) pair of the
  print log backs that up. Then the parts become the result — joined into one PDF, or split into one PDF
  per recipient in a ZIP written to a temporary file — stored, and named on the job.
* ``resume_print`` makes a failed or interrupted job run again.
"""

from __future__ import annotations

import io
import re
import tempfile
import unicodedata
import zipfile
from collections.abc import Generator, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from pypdf import PdfReader, PdfWriter

from awards import audit, jobs
from awards import certificates as services
from awards.certificates import CertificateError, CertificateNotPermitted
from awards.extensions import db
from awards.storage import get_storage, new_key
from awards.text import clean
from exports import certificates as documents
from models import (
    Certificate,
    CertificateMode,
    CertificateStatus,
    CertificateTemplate,
    Decision,
    DecisionItem,
    DecisionState,
    Job,
    Printer,
    Role,
    Round,
    User,
)

KIND = "certificates"
FORMATS = ("pdf", "zip")
REASON_MAX = 1000
RECENT_JOBS = 200  # how far back the printing page looks for a decision's jobs


# --------------------------------------------------------------------------- starting a job


def start_print(
    decision: Decision,
    *,
    mode: CertificateMode | str,
    printer: Printer | None,
    fmt: str,
    reason: str,
    actor: User | None,
) -> Job:
    """A print job for the valid certificates of ``decision`` (flushed: commit, then ``jobs.start``).
    ``actor`` None is the command line. Raises ``CertificateNotPermitted`` (not the board) or
    ``CertificateError`` (not issued, nothing valid to print, a reprint without its reason, a bad mode
    or format)."""
    return _create(
        [decision],
        mode=mode,
        printer=printer,
        fmt=fmt,
        reason=reason,
        actor=actor,
        name=f"Giay-chung-nhan-{_ascii(decision.number or str(decision.id))}",
    )


def start_round_print(
    round_: Round,
    *,
    mode: CertificateMode | str,
    printer: Printer | None,
    fmt: str,
    reason: str,
    actor: User | None,
) -> Job:
    """One print job for every issued decision of ``round_``, in the order they were signed (one file)."""
    chosen = list(
        db.session.scalars(
            sa.select(Decision)
            .where(Decision.round_id == round_.id, Decision.state == DecisionState.ISSUED)
            .order_by(Decision.signed_on, Decision.id)
        )
    )
    if not chosen:
        raise CertificateError(
            str(_l("Đợt xét %(code)s chưa có quyết định nào đã ban hành.", code=round_.code))
        )
    return _create(
        chosen,
        mode=mode,
        printer=printer,
        fmt=fmt,
        reason=reason,
        actor=actor,
        name=f"Giay-chung-nhan-{_ascii(round_.code)}",
    )


def _create(
    decisions: Sequence[Decision],
    *,
    mode: CertificateMode | str,
    printer: Printer | None,
    fmt: str,
    reason: str,
    actor: User | None,
    name: str,
) -> Job:
    if actor is not None and not actor.has_role(Role.BOARD):
        raise CertificateNotPermitted(str(_l("Bạn không có quyền thực hiện thao tác này.")))
    try:
        mode = CertificateMode(mode)
    except ValueError:
        raise CertificateError(str(_l("Chế độ in không hợp lệ."))) from None
    if fmt not in FORMATS:
        raise CertificateError(str(_l("Định dạng tệp không hợp lệ (PDF hoặc ZIP).")))
    reason = clean(reason)
    if len(reason) > REASON_MAX:
        raise CertificateError(str(_l("Lý do tối đa %(max)d ký tự.", max=REASON_MAX)))
    if any(decision.state is not DecisionState.ISSUED for decision in decisions):
        raise CertificateError(
            str(_l("Chỉ in giấy chứng nhận của quyết định đã ban hành và còn hiệu lực."))
        )
    groups = []
    reprints = 0
    for decision in decisions:
        valid = services.printable(decision)
        if not valid:
            continue
        template = services.current_template(decision.award_form)
        groups.append(
            {
                "decision": decision.id,
                "template": template.id,
                "certificates": [certificate.id for certificate in valid],
            }
        )
        reprints += sum(1 for certificate in valid if certificate.printed_count > 0)
    total = sum(len(group["certificates"]) for group in groups)
    if not total:
        raise CertificateError(str(_l("Không có giấy chứng nhận nào còn hiệu lực để in.")))
    if reprints and not reason:
        raise CertificateError(
            str(
                _l(
                    "%(n)d giấy chứng nhận đã được in trước đây: hãy ghi lý do in lại.",
                    n=reprints,
                )
            )
        )
    if mode is not CertificateMode.BLANK:
        printer = None  # the full design is printed on plain paper: no printer offset applies
    offset = services.offset_of(printer)
    job = jobs.create(
        KIND,
        {
            "decisions": [decision.id for decision in decisions],
            "groups": groups,
            "mode": mode.value,
            "printer": printer.id if printer is not None else None,
            "offset": list(offset),
            "format": fmt,
            "reason": reason,
            "chunk": int(current_app.config.get("JOB_CHUNK_SIZE", 50)),
            "name": name,
        },
        actor,
        total=total,
    )
    audit.record(
        "certificate.print",
        "jobs",
        job.id,
        after={
            "decisions": [decision.number for decision in decisions],
            "certificates": total,
            "reprints": reprints,
            "mode": mode.value,
            "format": fmt,
            "printer": printer.name if printer is not None else None,
            "offset_mm": list(offset),
            "reason": reason,
        },
        actor=actor,
    )
    return job


def resume_print(job: Job, actor: User) -> None:
    """Queue a failed or interrupted print job again (flush: commit, then ``jobs.start``); it goes on
    from its last finished chunk. Raises ``CertificateNotPermitted`` or ``jobs.JobError``."""
    if not actor.has_role(Role.BOARD):
        raise CertificateNotPermitted(str(_l("Bạn không có quyền thực hiện thao tác này.")))
    jobs.requeue(job)
    audit.record("certificate.print.resume", "jobs", job.id, after={"done": job.done}, actor=actor)


# --------------------------------------------------------------------------- the job


@dataclass
class Chunk:
    """Certificates rendered as one document: ``index`` orders the chunks of a job."""

    index: int
    group: int
    ids: list[int]
    certificates: list[Certificate] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)


def chunks_of(params: dict[str, Any]) -> list[Chunk]:
    """The job's chunks, the same on every run: each decision's certificates cut into ``chunk``s."""
    size = int(params["chunk"])
    chunks: list[Chunk] = []
    for number, group in enumerate(params["groups"]):
        ids = group["certificates"]
        for start in range(0, len(ids), size):
            chunks.append(Chunk(len(chunks), number, ids[start : start + size]))
    return chunks


def run_print_job(job_id: int) -> None:
    """Render, store and record the chunks the job has not finished, then make its result (see the
    module docstring: this runner commits once per chunk, and once for the result)."""
    job = db.session.get(Job, job_id)
    if job is None or job.result_key:
        return  # a resumed job that had stored its result already: nothing left but DONE
    params = jobs.params_of(job)
    mode = CertificateMode(params["mode"])
    offset = (float(params["offset"][0]), float(params["offset"][1]))
    parts: dict[str, dict[str, Any]] = jobs.progress_of(job).get("parts", {})
    chunks = chunks_of(params)
    pending = [chunk for chunk in chunks if str(chunk.index) not in parts]
    for group_number, together in groupby(pending, key=lambda chunk: chunk.group):
        group = params["groups"][group_number]
        template = db.session.get(CertificateTemplate, group["template"])
        if template is None:
            raise CertificateError(str(_l("Mẫu giấy chứng nhận của lệnh in không còn tồn tại.")))
        spec = services.spec_of(template)
        batch = list(together)
        with closing(_render(spec, batch, mode=mode, offset=offset)) as rendered:
            for chunk, pdf in rendered:
                _finish_chunk(job_id, chunk, pdf, params, group["template"], parts)
    job = db.session.get(Job, job_id)
    key, name = _assemble(chunks, parts, params)
    job.result_key = key
    job.result_name = name
    db.session.commit()
    storage = get_storage()
    for part in parts.values():
        if part.get("key"):
            storage.delete(part["key"])


def _prepare(chunk: Chunk) -> Chunk:
    """Load the chunk's certificates — leaving out any revoked since the job was asked for — and the
    plain values each one is rendered from (``awards.certificates.certificate_values``)."""
    found = {
        certificate.id: certificate
        for certificate in db.session.scalars(
            sa.select(Certificate).where(Certificate.id.in_(chunk.ids))
        )
    }
    chunk.certificates = [
        found[i] for i in chunk.ids if i in found and found[i].status is CertificateStatus.VALID
    ]
    # The values without their QR code: the renderer completes each item (``certificate_item``) in
    # its worker processes, where drawing the QR codes runs in parallel with the rest of the layout.
    chunk.items = services.certificate_values_many(chunk.certificates)
    return chunk


def _render(
    spec: documents.TemplateSpec,
    batch: list[Chunk],
    *,
    mode: CertificateMode,
    offset: tuple[float, float],
) -> Generator[tuple[Chunk, bytes | None], None, None]:
    """Each chunk, prepared, with its PDF (None when nothing in it is printable any more), in order, as
    soon as each is ready — so that each is committed while the pool renders the next.

    When no certificate of these chunks was revoked since the job was asked for (one query), the
    chunks are cut exactly as ``render_batch`` cuts their items (each one full but the last): the pool
    renders them in parallel and yields them back in order. ``render_batch`` takes its items as it
    submits chunks, so each chunk is prepared (its certificates loaded, their values read) only then,
    while the pool renders the chunks before it. A chunk that lost a certificate to a revocation would
    break that alignment: then each chunk is rendered on its own.
    """
    config = current_app.config
    size = int(config.get("JOB_CHUNK_SIZE", 50))
    ids = [i for chunk in batch for i in chunk.ids]
    valid = set(
        db.session.scalars(
            sa.select(Certificate.id).where(
                Certificate.id.in_(ids), Certificate.status == CertificateStatus.VALID
            )
        )
    )
    if len(valid) == len(ids) and all(len(chunk.ids) == size for chunk in batch[:-1]):
        # ``render_batch`` iterates its items lazily (chunk by chunk, as it submits them): an
        # iterator lets each chunk be prepared only when its turn comes.
        broken: list[Chunk] = []
        parts = documents.render_batch(
            spec,
            _aligned_items(batch, broken),  # type: ignore[arg-type]
            mode=mode.value,
            offset=offset,
            chunk=size,
            workers=int(config.get("JOB_RENDER_WORKERS", 2)),
        )
        try:
            for chunk in batch:
                pdf = next(parts, None)
                if pdf is None and broken:
                    # Revoked between the check and now: every chunk before it is committed; the
                    # job fails here, and running it again aligns the rest anew.
                    raise CertificateError(
                        str(
                            _l(
                                "Có giấy chứng nhận vừa bị hủy bỏ trong lúc in: hãy chạy tiếp lệnh in."
                            )
                        )
                    )
                if pdf is None:
                    raise RuntimeError("render_batch returned fewer documents than chunks")
                yield chunk, pdf
        finally:
            parts.close()  # stops the worker processes at once if the job stops half-way
        return
    for chunk in batch:
        _prepare(chunk)
        if not chunk.items:
            yield chunk, None
        else:
            yield (
                chunk,
                documents.render_certificates(spec, chunk.items, mode=mode.value, offset=offset),
            )


def _aligned_items(batch: list[Chunk], broken: list[Chunk]) -> Iterator[dict[str, Any]]:
    """The items of ``batch``, each chunk prepared when the pool takes it. A chunk that lost a
    certificate since the check would shift every chunk after it: the items stop before it (and the
    chunk is put in ``broken``), so the pool renders only the chunks that still line up."""
    for chunk in batch:
        _prepare(chunk)
        if len(chunk.items) != len(chunk.ids):
            broken.append(chunk)
            return
        yield from chunk.items


def _finish_chunk(
    job_id: int,
    chunk: Chunk,
    pdf: bytes | None,
    params: dict[str, Any],
    template_id: int,
    parts: dict[str, dict[str, Any]],
) -> None:
    """Store one chunk's PDF, record its prints and the job's progress, and commit them together."""
    job = db.session.get(Job, job_id)
    template = db.session.get(CertificateTemplate, template_id)
    printer = db.session.get(Printer, params["printer"]) if params["printer"] else None
    mode = CertificateMode(params["mode"])
    key = None
    if pdf is not None:
        key = new_key()
        get_storage().put(key, io.BytesIO(pdf))
    services.record_prints(
        [
            (certificate, {**item, "mode": mode.value, "offset_mm": params["offset"]})
            for certificate, item in zip(chunk.certificates, chunk.items, strict=True)
        ],
        job=job,
        mode=mode,
        template=template,
        printer=printer,
        actor=job.created_by,
        reason=params["reason"],
    )
    parts[str(chunk.index)] = {"key": key, "certificates": [c.id for c in chunk.certificates]}
    job.total -= len(chunk.ids) - len(chunk.certificates)  # revoked meanwhile: not printed
    done = sum(len(part["certificates"]) for part in parts.values())
    jobs.advance(job, done, {"parts": parts})
    db.session.commit()


def _assemble(
    chunks: list[Chunk], parts: dict[str, dict[str, Any]], params: dict[str, Any]
) -> tuple[str, str]:
    """Store the job's result and return (storage key, download name)."""
    stored = [parts[str(chunk.index)] for chunk in chunks]
    stored = [part for part in stored if part.get("key")]
    if not stored:
        raise CertificateError(str(_l("Không còn giấy chứng nhận nào hợp lệ để in.")))
    storage = get_storage()
    key = new_key()
    if params["format"] == "pdf":

        def read(part: dict[str, Any]) -> bytes:
            with storage.open(part["key"]) as stream:
                return stream.read()

        storage.put(key, io.BytesIO(documents.join_pdfs(read(part) for part in stored)))
        return key, f"{params['name']}.pdf"
    with tempfile.TemporaryFile() as spool:
        with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for part in stored:
                _split_into(archive, part)
        spool.seek(0)
        storage.put(key, spool)
    return key, f"{params['name']}.zip"


def _split_into(archive: zipfile.ZipFile, part: dict[str, Any]) -> None:
    """Add one PDF per certificate of a stored chunk (one page each) to ``archive``."""
    ids = part["certificates"]
    names = {
        row.id: f"{row.serial}-{_ascii(row.name)}"[:120] + ".pdf"
        for row in db.session.execute(
            sa.select(Certificate.id, Certificate.serial, DecisionItem.name)
            .join(DecisionItem, DecisionItem.id == Certificate.item_id)
            .where(Certificate.id.in_(ids))
        )
    }
    with get_storage().open(part["key"]) as stream:
        reader = PdfReader(io.BytesIO(stream.read()))
        if len(reader.pages) != len(ids):
            raise CertificateError(
                f"chunk PDF has {len(reader.pages)} pages for {len(ids)} certificates"
            )
        for page, certificate_id in zip(reader.pages, ids, strict=True):
            writer = PdfWriter()
            writer.add_page(page)
            buffer = io.BytesIO()
            writer.write(buffer)
            archive.writestr(names[certificate_id], buffer.getvalue())


def _ascii(text: str) -> str:
    """An ASCII file-name part: "Nguyễn Thị Phượng" → "Nguyen-Thi-Phuong", "01/QĐ-UBND" → "01-QD-UBND"."""
    folded = unicodedata.normalize("NFKD", text.replace("Đ", "D").replace("đ", "d"))
    return re.sub(r"[^A-Za-z0-9]+", "-", folded.encode("ascii", "ignore").decode()).strip("-")


jobs.register(KIND, run_print_job)


# --------------------------------------------------------------------------- what the pages show


@dataclass(frozen=True)
class Counts:
    valid: int
    printed: int
    revoked: int

    @property
    def not_printed(self) -> int:
        return self.valid - self.printed


def counts(decisions: Sequence[Decision]) -> dict[int, Counts]:
    """Per decision: valid certificates, how many of them were printed at least once, revoked ones."""
    valid = Certificate.status == CertificateStatus.VALID
    rows = db.session.execute(
        sa.select(
            DecisionItem.decision_id,
            sa.func.count().filter(valid),
            sa.func.count().filter(valid, Certificate.printed_count > 0),
            sa.func.count().filter(Certificate.status == CertificateStatus.REVOKED),
        )
        .join(DecisionItem, DecisionItem.id == Certificate.item_id)
        .where(DecisionItem.decision_id.in_([decision.id for decision in decisions]))
        .group_by(DecisionItem.decision_id)
    )
    found = {row[0]: Counts(row[1], row[2], row[3]) for row in rows}
    return {decision.id: found.get(decision.id, Counts(0, 0, 0)) for decision in decisions}


def issued_decisions(round_: Round) -> list[Decision]:
    return list(
        db.session.scalars(
            sa.select(Decision)
            .where(Decision.round_id == round_.id, Decision.state == DecisionState.ISSUED)
            .order_by(Decision.signed_on, Decision.id)
        )
    )


def recent_jobs(decisions: Sequence[Decision], per_decision: int = 5) -> dict[int, list[Job]]:
    """The latest print jobs of each decision, newest first. The decisions a job prints are in its
    parameters, so this reads the latest ``RECENT_JOBS`` print jobs and sorts them out."""
    wanted: dict[int, list[Job]] = {decision.id: [] for decision in decisions}
    latest = db.session.scalars(
        sa.select(Job)
        .where(Job.kind == KIND)
        .order_by(Job.created_at.desc(), Job.id.desc())
        .limit(RECENT_JOBS)
    )
    for job in latest:
        for decision_id in jobs.params_of(job).get("decisions", []):
            found = wanted.get(decision_id)
            if found is not None and len(found) < per_decision:
                found.append(job)
    return wanted
