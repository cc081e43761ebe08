"""Batch printing of certificates (``awards/printing.py``, ``awards/printing_views.py``, the CLI).

The files are read back: pypdf for pages and their size, ``pdftotext -enc UTF-8`` for the text (every
recipient's name, with its diacritics in NFC), the ZIP's entries one by one. Jobs run on the ``sync``
backend (TestConfig): the job runs at once, on its own session, as a worker would. An interrupted job is
simulated by a renderer that fails (or "kills" the run) after the first chunk; running it again must
finish without printing anything twice, and without a new certificate or serial.
"""

from __future__ import annotations

import io
import itertools
import json
import re
import subprocess
import unicodedata
import zipfile
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from pypdf import PdfReader
from sqlalchemy.orm import Session

from awards import decisions, jobs, printing
from awards.certificates import CertificateError, CertificateNotPermitted
from awards.extensions import db
from awards.storage import get_storage
from exports import certificates as documents
from models import (
    AuditEvent,
    Certificate,
    CertificatePrint,
    CertificateStatus,
    Decision,
    DecisionItem,
    DecisionState,
    Job,
    JobState,
    Nomination,
    NominationState,
    Printer,
    RecipientKind,
    Role,
    RoundPhase,
    Sex,
    utcnow,
)
from tests.conftest import login
from tests.factories import make_filing, make_unit, make_user

A4_LANDSCAPE = (841.89, 595.28)
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô"]
MIDDLE = ["Thị", "Văn", "Quốc", "Minh Ánh"]
GIVEN = ["Phượng", "Hưng", "Tuyết", "Đức", "Khôi", "Yến", "Trường", "Ngọc Ẩn", "Thủy", "Hải"]
COLLECTIVE_BODIES = ["Phòng Văn hóa và Thông tin", "Trường THCS Lý Thường Kiệt", "Trung tâm Y tế"]
PLACES = ["Tiên Du", "Quế Võ", "Từ Sơn", "Lương Tài", "Gia Bình", "Yên Phong", "Thuận Thành"]


def recipient_names(n: int) -> list[str]:
    """``n`` distinct names, collectives and individuals mixed, all with Vietnamese diacritics."""
    people = (
        f"{f} {m} {g}" + (f" {n}" if n else "")  # any number of distinct names (benchmarks)
        for n in itertools.count()
        for g, f, m in itertools.product(GIVEN, FAMILY, MIDDLE)
    )
    bodies = (
        f"{b} {p}" + (f" số {n}" if n else "")
        for n in itertools.count()
        for b, p in itertools.product(COLLECTIVE_BODIES, PLACES)
    )
    names = []
    for index in range(n):
        names.append(next(bodies) if index % 6 == 0 else next(people))
    return names


def issued_decision(n: int, *, number: str = "17/QĐ-UBND", filing: Any = None) -> Decision:
    """An issued decision of ``n`` items, each with its valid certificate, built straight from the models
    (issuing through ``awards.decisions`` would take the workflow through every state for each of the
    ``n`` nominations). Its frozen document is built as ``decisions.issue`` builds it."""
    filing = filing or make_filing()
    unit = make_unit("Ủy ban nhân dân huyện Tiên Du")
    decision = Decision(
        round=filing.round,
        award_form=filing.form,
        state=DecisionState.ISSUED,
        symbol="QĐ-UBND",
        year=2025,
        seq=int(number.split("/")[0]),
        number=number,
        signed_on=date(2025, 10, 5),
        issuer="ỦY BAN NHÂN DÂN\nTỈNH BẮC NINH",
        authority="CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH BẮC NINH",
        subject="Về việc tặng Bằng khen của Chủ tịch UBND tỉnh",
        legal_basis="Căn cứ Luật Thi đua, khen thưởng ngày 15 tháng 6 năm 2022",
        signer_prefix="KT.",
        signer_head_title="CHỦ TỊCH",
        signer_title="PHÓ CHỦ TỊCH",
        signer_name="Lê Văn Ký",
        base_salary=Decimal(2_340_000),
        created_by_id=filing.board.id,
        issued_at=utcnow(),
    )
    db.session.add(decision)
    first_book = (db.session.scalar(sa.select(sa.func.max(DecisionItem.golden_book))) or 0) + 1
    for position, name in enumerate(recipient_names(n), start=1):
        collective = name.split()[0] not in FAMILY
        nomination = Nomination(
            round=filing.round,
            unit=unit,
            award_form=filing.form,
            kind=RecipientKind.COLLECTIVE if collective else RecipientKind.INDIVIDUAL,
            nominee_name=name,
            headcount=12 if collective else None,
            sex=None if collective else (Sex.FEMALE if " Thị " in name else Sex.MALE),
            date_of_birth=None if collective else date(1985, 3, 8),
            position="" if collective else "Chuyên viên",
            created_by=filing.board,
            reference=f"{number[:2]}-{position:05d}",
            state=NominationState.AWARDED,
        )
        book = first_book + position - 1
        item = DecisionItem(
            decision=decision,
            nomination=nomination,
            position=position,
            kind=nomination.kind,
            name=name,
            place="Ủy ban nhân dân huyện Tiên Du",
            citation="Đã có thành tích xuất sắc trong phong trào thi đua “Chuyển đổi số trên địa "
            "bàn tỉnh Bắc Ninh giai đoạn 2024 – 2025”",
            golden_book=book,
        )
        db.session.add(
            Certificate(
                item=item,
                serial=f"2025-QD-UBND-{book:05d}",
                code=decisions.verification_code(),
            )
        )
    db.session.flush()
    decision.document = json.dumps(decisions.build_data(decision), ensure_ascii=False)
    filing.round.phase = RoundPhase.DECIDED
    db.session.flush()
    return decision


def text_of(pdf: bytes) -> str:
    """The PDF's text, whitespace collapsed (a long name may wrap onto two lines)."""
    out = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode("utf-8")
    return " ".join(out.split())


def result_of(job: Job) -> bytes:
    with get_storage().open(job.result_key) as stream:
        return stream.read()


def finished(job_id: int) -> Job:
    job = db.session.get(Job, job_id)
    db.session.refresh(job)
    return job


def start(decision: Decision, actor: Any, **options: Any) -> int:
    """Ask for a print job, commit, run it (sync backend); the job's id."""
    options = {"mode": "full", "printer": None, "fmt": "pdf", "reason": "", **options}
    job = printing.start_print(decision, actor=actor, **options)
    job_id = job.id
    db.session.commit()
    jobs.start(job)
    return job_id


def rerun(job_id: int) -> None:
    """Run a job again, as a worker would. The test's session ends its transaction first: on the
    in-memory SQLite database both sessions share one connection."""
    db.session.commit()
    jobs.run(job_id)


def prints_of(job_id: int) -> list[CertificatePrint]:
    return list(
        db.session.scalars(sa.select(CertificatePrint).where(CertificatePrint.job_id == job_id))
    )


def certificate_rows(decision_id: int) -> list[tuple[int, str, str, int]]:
    return [
        tuple(row)
        for row in db.session.execute(
            sa.select(
                Certificate.id, Certificate.serial, Certificate.code, Certificate.printed_count
            )
            .join(DecisionItem, DecisionItem.id == Certificate.item_id)
            .where(DecisionItem.decision_id == decision_id)
            .order_by(Certificate.id)
        )
    ]


class Killed(BaseException):
    """Stands for the process being killed: not an ``Exception``, so nothing records a failure."""


@pytest.fixture()
def done_values() -> Iterator[list[tuple[int, int]]]:
    """(job id, done) of every job changed in each commit, on any session: the progress as committed."""
    seen: list[tuple[int, int]] = []

    def listen(session: Session) -> None:
        for obj in session.dirty:
            if isinstance(obj, Job):
                seen.append((obj.id, obj.done))

    sa.event.listen(Session, "before_commit", listen)
    yield seen
    sa.event.remove(Session, "before_commit", listen)


# --------------------------------------------------------------------------- a batch of 120


def test_a_batch_of_120_becomes_one_pdf_of_120_pages_with_every_name(app, db, done_values):
    decision = issued_decision(120)
    board = make_user(Role.BOARD)
    names = [item.name for item in decision.items]
    before = certificate_rows(decision.id)
    db.session.commit()

    job_id = start(decision, board)

    job = finished(job_id)
    assert (job.state, job.done, job.total, job.error) == (JobState.DONE, 120, 120, "")
    assert job.result_name == "Giay-chung-nhan-17-QD-UBND.pdf"
    # Progress is committed chunk by chunk: 50, 100, 120 (0 when the run starts, then DONE at 120).
    assert list(dict.fromkeys(done for i, done in done_values if i == job_id)) == [0, 50, 100, 120]
    pdf = result_of(job)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 120
    for page in reader.pages:
        size = (float(page.mediabox.width), float(page.mediabox.height))
        assert size == pytest.approx(A4_LANDSCAPE, abs=1)
    text = text_of(pdf)
    assert unicodedata.is_normalized("NFC", text)
    missing = [name for name in names if name not in text]
    assert missing == []
    assert "Quyết định số 17/QĐ-UBND" in text
    # Each certificate printed once, by this job, with its template version and parameters.
    prints = prints_of(job_id)
    assert len(prints) == 120
    assert {p.printed_by_id for p in prints} == {board.id}
    after = certificate_rows(decision.id)
    assert [row[:3] for row in after] == [row[:3] for row in before]  # no new serial or code
    assert [row[3] for row in after] == [1] * 120
    certificate = db.session.scalars(sa.select(Certificate).order_by(Certificate.id)).first()
    assert certificate.template_version == 1
    assert json.loads(certificate.params)["recipient"].endswith(names[0])
    # The chunks' parts are removed once the result is stored.
    parts = jobs.progress_of(job)["parts"]
    assert len(parts) == 3
    assert not any(get_storage().exists(part["key"]) for part in parts.values())


def test_a_zip_holds_one_pdf_per_recipient_named_in_ascii(app, db):
    decision = issued_decision(120, number="18/QĐ-UBND")
    board = make_user(Role.BOARD)
    expected = {item.certificate.serial: item.name for item in decision.items if item.certificate}
    db.session.commit()

    job = finished(start(decision, board, fmt="zip"))

    assert job.state is JobState.DONE
    assert job.result_name == "Giay-chung-nhan-18-QD-UBND.zip"
    archive = zipfile.ZipFile(io.BytesIO(result_of(job)))
    entries = archive.namelist()
    assert len(entries) == len(set(entries)) == 120
    assert all(name.isascii() and re.fullmatch(r"[A-Za-z0-9-]+\.pdf", name) for name in entries)
    by_serial = {name[: len("2025-QD-UBND-00000")]: name for name in entries}
    assert set(by_serial) == set(expected)
    for serial in list(expected)[::17]:  # a sample: every page is one certificate of its own
        pdf = archive.read(by_serial[serial])
        assert len(PdfReader(io.BytesIO(pdf)).pages) == 1
        text = text_of(pdf)
        assert expected[serial] in text and serial in text
    individual = next(s for s, name in expected.items() if name.startswith("Nguyễn"))
    assert "Nguyen-" in by_serial[individual]


# --------------------------------------------------------------------------- interrupted jobs


def _failing_after_first_chunk(monkeypatch: pytest.MonkeyPatch, error: BaseException) -> None:
    """The renderer yields its first chunk, then fails with ``error``."""
    real = documents.render_batch

    def flaky(spec, items, **kwargs):  # type: ignore[no-untyped-def]
        parts = real(spec, items, **kwargs)
        try:
            yield next(parts)
            raise error
        finally:
            parts.close()

    monkeypatch.setattr(documents, "render_batch", flaky)


def _counting_renders(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The real renderer, counting the items of each call (to see what a resumed run renders)."""
    real = documents.render_batch
    calls: list[int] = []

    def counting(spec, items, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(0)
        number = len(calls) - 1

        def through():  # type: ignore[no-untyped-def]
            for item in items:
                calls[number] += 1
                yield item

        return real(spec, through(), **kwargs)

    monkeypatch.setattr(documents, "render_batch", counting)
    return calls


def test_a_failed_job_resumes_where_it_stopped_without_printing_twice(app, db, monkeypatch):
    decision = issued_decision(120, number="19/QĐ-UBND")
    board = make_user(Role.BOARD)
    before = certificate_rows(decision.id)
    certificates = db.session.scalar(sa.select(sa.func.count(Certificate.id)))
    db.session.commit()
    _failing_after_first_chunk(monkeypatch, OSError("Máy in mất kết nối"))

    job_id = start(decision, board)  # never raises: the job records its failure

    job = finished(job_id)
    assert (job.state, job.done) == (JobState.FAILED, 50)
    assert job.error == "OSError: Máy in mất kết nối"
    assert len(prints_of(job_id)) == 50
    assert [row[3] for row in certificate_rows(decision.id)] == [1] * 50 + [0] * 70
    assert jobs.can_resume(job)

    monkeypatch.undo()
    calls = _counting_renders(monkeypatch)
    rerun(job_id)

    job = finished(job_id)
    assert (job.state, job.done, job.error) == (JobState.DONE, 120, "")
    assert calls == [70]  # the resumed run rendered only the chunks not finished
    prints = prints_of(job_id)
    assert len(prints) == len({p.certificate_id for p in prints}) == 120
    after = certificate_rows(decision.id)
    assert [row[:3] for row in after] == [row[:3] for row in before]
    assert [row[3] for row in after] == [1] * 120
    assert db.session.scalar(sa.select(sa.func.count(Certificate.id))) == certificates
    pdf = result_of(job)
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 120
    text = text_of(pdf)
    assert all(item.name in text for item in decision.items)


def test_a_killed_job_left_running_is_finished_by_running_it_again(app, db, monkeypatch):
    decision = issued_decision(120, number="20/QĐ-UBND")
    board = make_user(Role.BOARD)
    db.session.commit()
    _failing_after_first_chunk(monkeypatch, Killed())

    with pytest.raises(Killed):
        start(decision, board)

    job = db.session.scalars(sa.select(Job)).one()
    job_id = job.id
    assert (job.state, job.done) == (JobState.RUNNING, 50)  # as a killed process leaves it
    assert not jobs.can_resume(job)  # it looks alive until it has been silent for a while
    monkeypatch.setitem(app.config, "JOB_STALE_SECONDS", 0)
    assert jobs.is_stale(job) and jobs.can_resume(job)

    monkeypatch.undo()
    monkeypatch.setitem(app.config, "JOB_STALE_SECONDS", 600)
    rerun(job_id)

    job = finished(job_id)
    assert (job.state, job.done) == (JobState.DONE, 120)
    assert len(prints_of(job_id)) == 120
    assert [row[3] for row in certificate_rows(decision.id)] == [1] * 120
    assert len(PdfReader(io.BytesIO(result_of(job))).pages) == 120
    rerun(job_id)  # a DONE job is left alone
    assert finished(job_id).done == 120 and len(prints_of(job_id)) == 120


# --------------------------------------------------------------------------- what may be printed


def test_a_reprint_needs_a_reason_and_logs_who_and_why(app, db):
    decision = issued_decision(3, number="21/QĐ-UBND")
    board = make_user(Role.BOARD)
    db.session.commit()
    first = start(decision, board)
    assert finished(first).state is JobState.DONE

    with pytest.raises(CertificateError, match="3 giấy chứng nhận đã được in trước đây"):
        printing.start_print(
            decision, mode="full", printer=None, fmt="pdf", reason="  ", actor=board
        )
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Job.id))) == 1

    second = start(decision, board, reason="In lại do kẹt giấy")

    assert finished(second).state is JobState.DONE
    prints = prints_of(second)
    assert {(p.reason, p.printed_by_id) for p in prints} == {("In lại do kẹt giấy", board.id)}
    assert [row[3] for row in certificate_rows(decision.id)] == [2, 2, 2]
    event = db.session.scalars(
        sa.select(AuditEvent).where(
            AuditEvent.action == "certificate.print", AuditEvent.object_id == str(second)
        )
    ).one()
    assert event.actor_id == board.id
    logged = json.loads(event.after)
    assert (logged["reason"], logged["reprints"], logged["certificates"]) == (
        "In lại do kẹt giấy",
        3,
        3,
    )


def test_blank_mode_takes_the_printer_offset_and_full_mode_ignores_it(app, db, monkeypatch):
    decision = issued_decision(2, number="22/QĐ-UBND")
    board = make_user(Role.BOARD)
    printer = Printer(
        name="Canon phòng Thi đua", offset_x_mm=Decimal("3.0"), offset_y_mm=Decimal("-2.0")
    )
    db.session.add(printer)
    db.session.commit()
    seen: list[tuple[str, tuple[float, float]]] = []
    real = documents.render_batch

    def spy(spec, items, **kwargs):  # type: ignore[no-untyped-def]
        seen.append((kwargs["mode"], tuple(kwargs["offset"])))
        return real(spec, items, **kwargs)

    monkeypatch.setattr(documents, "render_batch", spy)

    plain = start(decision, board, mode="blank")
    shifted = start(decision, board, mode="blank", printer=printer, reason="Căn lề máy in mới")
    full = start(decision, board, mode="full", printer=printer, reason="Bản điện tử")

    assert seen == [("blank", (0.0, 0.0)), ("blank", (3.0, -2.0)), ("full", (0.0, 0.0))]
    assert {p.printer_id for p in prints_of(shifted)} == {printer.id}
    assert {p.printer_id for p in prints_of(full)} == {None}  # no offset applied, none recorded
    assert {p.mode.value for p in prints_of(plain)} == {"blank"}
    # On the page: the serial printed 3 mm further right and 2 mm higher (pdftotext -bbox).
    serial = decision.items[0].certificate.serial
    x0, y0 = _word_position(result_of(finished(plain)), serial)
    x1, y1 = _word_position(result_of(finished(shifted)), serial)
    mm = 72 / 25.4
    assert (x1 - x0) / mm == pytest.approx(3.0, abs=0.2)
    assert (y1 - y0) / mm == pytest.approx(-2.0, abs=0.2)


def _word_position(pdf: bytes, word: str) -> tuple[float, float]:
    out = subprocess.run(
        ["pdftotext", "-bbox", "-f", "1", "-l", "1", "-", "-"],
        input=pdf,
        capture_output=True,
        check=True,
    ).stdout.decode("utf-8")
    match = re.search(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)"[^>]*>' + re.escape(word) + "</word>", out
    )
    assert match, f"{word} not on the page"
    return float(match.group(1)), float(match.group(2))


def test_revoked_certificates_are_never_printed(app, db):
    decision = issued_decision(4, number="23/QĐ-UBND")
    board = make_user(Role.BOARD)
    items = list(decision.items)
    items[1].certificate.status = CertificateStatus.REVOKED  # revoked before the job
    db.session.commit()
    job = printing.start_print(
        decision, mode="full", printer=None, fmt="pdf", reason="", actor=board
    )
    job_id = job.id
    assert job.total == 3
    items[2].certificate.status = CertificateStatus.REVOKED  # revoked while the job waited
    db.session.commit()
    jobs.start(job)

    job = finished(job_id)
    assert (job.state, job.done, job.total) == (JobState.DONE, 2, 2)
    text = text_of(result_of(job))
    assert items[0].name in text and items[3].name in text
    assert items[1].name not in text and items[2].name not in text
    assert {p.certificate_id for p in prints_of(job_id)} == {
        items[0].certificate.id,
        items[3].certificate.id,
    }
    assert items[1].certificate.printed_count == items[2].certificate.printed_count == 0


def test_a_revocation_while_printing_stops_the_job_and_the_rerun_leaves_it_out(
    app, db, monkeypatch
):
    decision = issued_decision(60, number="36/QĐ-UBND")
    board = make_user(Role.BOARD)
    late = decision.items[55]
    late_id, late_name = late.certificate.id, late.name
    db.session.commit()
    real_prepare = printing._prepare

    def revoking(chunk: printing.Chunk) -> printing.Chunk:
        if late_id in chunk.ids:  # revoked just as its chunk's turn comes (committed with chunk 1)
            db.session.get(Certificate, late_id).status = CertificateStatus.REVOKED
        return real_prepare(chunk)

    monkeypatch.setattr(printing, "_prepare", revoking)
    job_id = start(decision, board)

    job = finished(job_id)
    assert (job.state, job.done) == (JobState.FAILED, 50)
    assert "vừa bị hủy bỏ trong lúc in" in job.error
    assert db.session.get(Certificate, late_id).status is CertificateStatus.REVOKED
    monkeypatch.undo()
    rerun(job_id)

    job = finished(job_id)
    assert (job.state, job.done, job.total) == (JobState.DONE, 59, 59)
    text = text_of(result_of(job))
    assert late_name not in text
    assert len(PdfReader(io.BytesIO(result_of(job))).pages) == 59
    assert late_id not in {p.certificate_id for p in prints_of(job_id)}


def test_only_the_board_prints_and_only_issued_decisions_with_valid_certificates(app, db):
    decision = issued_decision(1, number="24/QĐ-UBND")
    approver = make_user(Role.APPROVER)
    board = make_user(Role.BOARD)
    options = {"mode": "full", "printer": None, "fmt": "pdf", "reason": ""}
    with pytest.raises(CertificateNotPermitted):
        printing.start_print(decision, actor=approver, **options)
    with pytest.raises(CertificateError, match="Định dạng tệp"):
        printing.start_print(decision, actor=board, **{**options, "fmt": "docx"})
    with pytest.raises(CertificateError, match="Chế độ in"):
        printing.start_print(decision, actor=board, **{**options, "mode": "draft"})
    decision.items[0].certificate.status = CertificateStatus.REVOKED
    with pytest.raises(CertificateError, match="Không có giấy chứng nhận nào còn hiệu lực"):
        printing.start_print(decision, actor=board, **options)
    decision.state = DecisionState.REVOKED
    with pytest.raises(CertificateError, match="đã ban hành và còn hiệu lực"):
        printing.start_print(decision, actor=board, **options)
    assert db.session.scalar(sa.select(sa.func.count(Job.id))) == 0


# --------------------------------------------------------------------------- the command line


def test_cli_prints_a_decision_to_pdf_and_zip(app, db, runner, tmp_path):
    decision = issued_decision(3, number="25/QĐ-UBND")
    names = [item.name for item in decision.items]
    db.session.commit()
    out = tmp_path / "gcn.pdf"

    result = runner.invoke(
        args=["print-certificates", "--decision", "25/QĐ-UBND", "--out", str(out)]
    )

    assert result.exit_code == 0, result.output
    assert "Đã in 3 giấy chứng nhận" in result.output
    pdf = out.read_bytes()
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 3
    assert all(name in text_of(pdf) for name in names)
    job = db.session.scalars(sa.select(Job)).one()
    assert job.created_by_id is None and job.state is JobState.DONE

    again = runner.invoke(
        args=["print-certificates", "--decision", "25/QĐ-UBND", "--out", str(tmp_path / "x.zip")]
    )
    assert again.exit_code == 1
    assert "lý do in lại" in again.output

    zipped = tmp_path / "gcn.zip"
    result = runner.invoke(
        args=[
            "print-certificates",
            "--decision",
            "25/QĐ-UBND",
            "--out",
            str(zipped),
            "--mode",
            "blank",
            "--reason",
            "In lên phôi",
        ]
    )
    assert result.exit_code == 0, result.output
    assert len(zipfile.ZipFile(zipped).namelist()) == 3
    assert [row[3] for row in certificate_rows(decision.id)] == [2, 2, 2]


def test_cli_prints_every_issued_decision_of_a_round_in_one_file(app, db, runner, tmp_path):
    filing = make_filing()
    first = issued_decision(2, number="26/QĐ-UBND", filing=filing)
    second = issued_decision(3, number="27/QĐ-UBND", filing=filing)
    code = first.round.code
    db.session.commit()
    out = tmp_path / "dot.pdf"

    result = runner.invoke(args=["print-certificates", "--round", code, "--out", str(out)])

    assert result.exit_code == 0, result.output
    pdf = out.read_bytes()
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 5
    text = text_of(pdf)
    assert "26/QĐ-UBND" in text and "27/QĐ-UBND" in text
    assert all(item.name in text for item in [*first.items, *second.items])


def test_cli_resumes_an_interrupted_job(app, db, runner, tmp_path, monkeypatch):
    decision = issued_decision(60, number="28/QĐ-UBND")
    db.session.commit()
    _failing_after_first_chunk(monkeypatch, RuntimeError("hết giấy"))

    result = runner.invoke(
        args=["print-certificates", "--decision", "28/QĐ-UBND", "--out", str(tmp_path / "a.pdf")]
    )

    assert result.exit_code == 1
    job = db.session.scalars(sa.select(Job)).one()
    assert f"--resume {job.id}" in result.output and "hết giấy" in result.output
    monkeypatch.undo()
    out = tmp_path / "b.pdf"
    result = runner.invoke(args=["print-certificates", "--resume", str(job.id), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert len(PdfReader(io.BytesIO(out.read_bytes())).pages) == 60
    assert [row[3] for row in certificate_rows(decision.id)] == [1] * 60


@pytest.mark.parametrize(
    "args, message",
    [
        (["--decision", "99/QĐ-UBND"], "Không tìm thấy quyết định"),
        (["--round", "KHONG-CO"], "Không tìm thấy đợt xét"),
        (["--decision", "29/QĐ-UBND", "--printer", "Không có"], "Không tìm thấy máy in"),
        ([], "--decision"),
        (["--decision", "29/QĐ-UBND", "--round", "X"], "--decision"),
    ],
)
def test_cli_refuses_what_it_cannot_find(app, db, runner, tmp_path, args, message):
    issued_decision(1, number="29/QĐ-UBND")
    db.session.commit()
    result = runner.invoke(args=["print-certificates", *args, "--out", str(tmp_path / "x.pdf")])
    assert result.exit_code == 1
    assert message in result.output
    assert not (tmp_path / "x.pdf").exists()


# --------------------------------------------------------------------------- the pages


def test_the_board_prints_from_the_page_and_downloads_the_result(app, db, client):
    decision = issued_decision(3, number="30/QĐ-UBND")
    board = make_user(Role.BOARD)
    code, decision_id = decision.round.code, decision.id
    db.session.commit()
    login(client, board.username)

    page = client.get(f"/printing/?round={code}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "30/QĐ-UBND" in html and f'id="print-{decision_id}"' in html
    assert re.search(r'data-count="not-printed">3<', html)

    response = client.post(
        f"/printing/decisions/{decision_id}/start",
        data={
            f"d{decision_id}-mode": "full",
            f"d{decision_id}-fmt": "pdf",
            f"d{decision_id}-printer": "0",
        },
    )
    job = db.session.scalars(sa.select(Job)).one()
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/printing/jobs/{job.id}")

    status = client.get(f"/printing/jobs/{job.id}.json").get_json()
    assert status == {
        "id": job.id,
        "state": "done",
        "label": "Hoàn thành",
        "done": 3,
        "total": 3,
        "percent": 100,
        "error": "",
        "finished": True,
        "download_url": f"/printing/jobs/{job.id}/download",
    }
    html = client.get(f"/printing/jobs/{job.id}").get_data(as_text=True)
    assert f'data-status-url="/printing/jobs/{job.id}.json"' in html
    assert 'src="/static/js/jobs.js"' in html and "<script>" not in html
    assert 'id="download"' in html
    download = client.get(f"/printing/jobs/{job.id}/download")
    assert download.status_code == 200
    assert download.mimetype == "application/pdf"
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert disposition.endswith("filename=Giay-chung-nhan-30-QD-UBND.pdf")
    assert len(PdfReader(io.BytesIO(download.data)).pages) == 3
    download.close()
    html = client.get(f"/printing/?round={code}").get_data(as_text=True)
    assert re.search(r'data-count="printed">3<', html)
    assert f'href="/printing/jobs/{job.id}/download"' in html


def test_a_reprint_from_the_page_without_reason_is_sent_back(app, db, client):
    decision = issued_decision(2, number="31/QĐ-UBND")
    board = make_user(Role.BOARD)
    decision_id = decision.id
    db.session.commit()
    start(decision, board)
    login(client, board.username)
    form = {f"d{decision_id}-mode": "full", f"d{decision_id}-fmt": "zip"}

    response = client.post(f"/printing/decisions/{decision_id}/start", data=form)

    assert response.status_code == 422
    assert "2 giấy chứng nhận đã được in trước đây" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Job.id))) == 1
    response = client.post(
        f"/printing/decisions/{decision_id}/start",
        data={**form, f"d{decision_id}-reason": "Bản cho đơn vị lưu"},
    )
    assert response.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(Job.id))) == 2


def test_a_failed_job_shows_its_error_and_resumes_from_its_page(app, db, client, monkeypatch):
    decision = issued_decision(60, number="32/QĐ-UBND")
    board = make_user(Role.BOARD)
    db.session.commit()
    _failing_after_first_chunk(monkeypatch, RuntimeError("mất điện"))
    job_id = start(decision, board)
    monkeypatch.undo()
    login(client, board.username)

    html = client.get(f"/printing/jobs/{job_id}").get_data(as_text=True)
    assert "RuntimeError: mất điện" in html
    assert f'action="/printing/jobs/{job_id}/resume"' in html
    assert client.get(f"/printing/jobs/{job_id}/download").status_code == 404

    response = client.post(f"/printing/jobs/{job_id}/resume")

    assert response.status_code == 302
    job = finished(job_id)
    assert (job.state, job.done) == (JobState.DONE, 60)
    assert len(prints_of(job_id)) == 60
    html = client.get(f"/printing/jobs/{job_id}").get_data(as_text=True)
    assert f'action="/printing/jobs/{job_id}/resume"' not in html
    assert 'id="download"' in html


def test_the_approver_reads_but_does_not_print(app, db, client):
    decision = issued_decision(1, number="33/QĐ-UBND")
    approver = make_user(Role.APPROVER)
    code, decision_id = decision.round.code, decision.id
    db.session.commit()
    login(client, approver.username)
    html = client.get(f"/printing/?round={code}").get_data(as_text=True)
    assert "33/QĐ-UBND" in html and f'id="print-{decision_id}"' not in html
    assert client.post(f"/printing/decisions/{decision_id}/start").status_code == 403


def test_a_stale_running_job_is_offered_to_resume(app, db, client):
    decision = issued_decision(1, number="34/QĐ-UBND")
    board = make_user(Role.BOARD)
    job = printing.start_print(
        decision, mode="full", printer=None, fmt="pdf", reason="", actor=board
    )
    job.state = JobState.RUNNING
    job.created_at = job.started_at = utcnow() - timedelta(hours=1)
    job_id = job.id
    db.session.commit()
    login(client, board.username)
    html = client.get(f"/printing/jobs/{job_id}").get_data(as_text=True)
    assert 'id="job-stale"' in html and f'action="/printing/jobs/{job_id}/resume"' in html
    assert client.post(f"/printing/jobs/{job_id}/resume").status_code == 302
    assert finished(job_id).state is JobState.DONE


def test_a_draft_or_revoked_decision_is_not_printed_from_the_page(app, db, client):
    decision = issued_decision(1, number="35/QĐ-UBND")
    board = make_user(Role.BOARD)
    code, decision_id = decision.round.code, decision.id
    decision.state = DecisionState.REVOKED
    db.session.commit()
    login(client, board.username)
    form = {f"d{decision_id}-mode": "full", f"d{decision_id}-fmt": "pdf"}

    response = client.post(f"/printing/decisions/{decision_id}/start", data=form)

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/printing/?round={code}")
    assert db.session.scalar(sa.select(sa.func.count(Job.id))) == 0
    db.session.get(Decision, decision_id).state = DecisionState.DRAFT
    db.session.commit()
    assert client.post(f"/printing/decisions/{decision_id}/start", data=form).status_code == 404
