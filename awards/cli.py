"""Operator commands (``flask --app app <command>``). They call the same services as the views."""

from __future__ import annotations

import io
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade

from awards import accounts, audit, ranking, rounds
from awards.extensions import db
from awards.outbox import send_mail_command
from models import Decision, Role, Round


def _fail(message: str) -> None:
    click.secho(message, fg="red", err=True)
    sys.exit(1)


@click.command("init-db")
@with_appcontext
def init_db() -> None:
    """Create or upgrade the database schema to the latest migration."""
    upgrade()
    click.echo("Cơ sở dữ liệu đã được cập nhật lên phiên bản mới nhất.")


@click.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Chỉ nạp khi cơ sở dữ liệu chưa có tài khoản nào.")
@with_appcontext
def seed_demo(if_empty: bool) -> None:
    """Load the demo campaign (Bắc Ninh, rounds CDS2024 and CDS2025), units and demo accounts."""
    from awards import demo

    if not current_app.config.get("SEED_DEMO_ALLOWED"):
        _fail("Cấu hình production không cho phép nạp dữ liệu mẫu (seed-demo).")
    if demo.has_data():
        if if_empty:
            click.echo("Cơ sở dữ liệu đã có dữ liệu: giữ nguyên, không nạp dữ liệu mẫu.")
            return
        _fail("Cơ sở dữ liệu đã có dữ liệu; seed-demo chỉ chạy trên cơ sở dữ liệu trống.")
    from awards import demo_decisions

    with audit.acting_as("cli:seed-demo"):
        summary = demo.seed()
        db.session.commit()
        printed = demo_decisions.print_2024()  # print jobs read committed data
    click.echo(f"Đã nạp dữ liệu mẫu: {summary}; {printed}")


@click.command("create-user")
@click.option("--username", required=True)
@click.option("--full-name", required=True)
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=click.Choice([r.value for r in Role]),
    help="Có thể lặp lại để gán nhiều vai trò.",
)
@click.option(
    "--unit", "unit_code", default=None, help="Mã đơn vị (bắt buộc với vai trò của đơn vị)."
)
@click.option("--email", default=None)
@click.password_option(help="Mật khẩu (hỏi nếu không truyền vào).")
@with_appcontext
def create_user(
    username: str,
    full_name: str,
    roles: tuple[str, ...],
    unit_code: str | None,
    email: str | None,
    password: str,
) -> None:
    """Create an account (for the first administrator, or scripted set-up)."""
    import sqlalchemy as sa

    from models import Unit

    unit_id = None
    if unit_code:
        unit_id = db.session.scalar(sa.select(Unit.id).where(Unit.code == unit_code))
        if unit_id is None:
            _fail(f"Không tìm thấy đơn vị có mã {unit_code}.")
    with audit.acting_as("cli:create-user"):
        try:
            user = accounts.create_user(
                username=username,
                full_name=full_name,
                password=password,
                roles={Role(r) for r in roles},
                unit_id=unit_id,
                email=email,
                must_change_password=False,
            )
        except accounts.AccountError as error:
            _fail(str(error))
        db.session.commit()
    click.echo(f"Đã tạo tài khoản {user.username}.")


@click.command("audit-verify")
@with_appcontext
def audit_verify() -> None:
    """Recompute the audit trail's hash chain and name the first broken row."""
    report = audit.verify_chain(db.session)
    if report.ok:
        click.echo(f"Nhật ký toàn vẹn: đã kiểm tra {report.checked} bản ghi.")
        return
    _fail(
        f"Nhật ký bị sửa đổi: bản ghi #{report.first_broken_id} không khớp ({report.reason}); "
        f"{report.checked} bản ghi trước đó hợp lệ."
    )


@click.command("import-units")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def import_units_command(path: Path) -> None:
    """Import units from an Excel file (the template downloadable from the Units page)."""
    from awards import unit_import

    with audit.acting_as("cli:import-units"):
        result = unit_import.import_units(path.read_bytes())
        if not result.ok:
            for error in result.errors:
                click.secho(f"Dòng {error.row}: {error.message}", fg="red", err=True)
            db.session.rollback()
            _fail("Không có đơn vị nào được lưu vì tệp có lỗi.")
        db.session.commit()
    click.echo(f"Đã nhập {result.created} đơn vị mới, cập nhật {result.updated} đơn vị.")


def _export_nominations(round_: Round) -> tuple[bytes, int]:
    from awards import nomination_lists

    filters = nomination_lists.ListFilters(round_id=round_.id, sort="unit", descending=False)
    return nomination_lists.export_workbook(filters, sa.true())


def _export_annex(round_: Round) -> tuple[bytes, int]:
    from awards import decisions
    from exports.decisions import annexes_workbook

    chosen = _decisions_for(None, round_.code)
    data = [decisions.decision_data(decision) for decision in chosen]
    rows = sum(len(section["rows"]) for d in data for section in d["annex"]["sections"])
    return annexes_workbook(data), rows


# One line per kind of list: KIND → a function of the round giving the workbook and its row count.
EXPORTS: dict[str, Callable[[Round], tuple[bytes, int]]] = {
    "nominations": _export_nominations,
    "ranking": ranking.ranking_workbook,
    "scores": ranking.scores_workbook,
    "annex": _export_annex,
}


@click.command("export")
@click.argument("kind", type=click.Choice(sorted(EXPORTS)))
@click.option("--round", "round_code", required=True, help="Mã đợt xét, ví dụ CDS2025.")
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Tệp Excel sẽ ghi ra (.xlsx).",
)
@with_appcontext
def export_command(kind: str, round_code: str, out: Path) -> None:
    """Export a round's list of KIND to an Excel file (the same list the pages export)."""
    round_ = rounds.round_by_code(round_code)
    if round_ is None:
        _fail(f"Không tìm thấy đợt xét có mã “{round_code}”.")
    with audit.acting_as("cli:export"):
        data, count = EXPORTS[kind](round_)
        try:
            out.write_bytes(data)
        except OSError as error:
            db.session.rollback()
            _fail(f"Không ghi được tệp {out}: {error.strerror or error}.")
        audit.record("export", kind, None, after={"round": round_.code, "rows": count})
        db.session.commit()
    click.echo(f"Đã xuất {count} dòng ({kind}) của đợt xét {round_.code} ra tệp {out}.")


def _decisions_for(number: str | None, round_code: str | None) -> list[Decision]:
    """The decisions a command names: one by its number, or every decision of a round (issued ones when
    there are any, else the drafts, for a preview)."""
    from awards import decisions

    if bool(number) == bool(round_code):
        _fail("Hãy chỉ rõ một trong hai: --decision SỐ hoặc --round MÃ_ĐỢT.")
    if number:
        decision = decisions.by_number(number)
        if decision is None:
            _fail(f"Không tìm thấy quyết định số “{number}”.")
        return [decision]
    round_ = rounds.round_by_code(round_code)
    if round_ is None:
        _fail(f"Không tìm thấy đợt xét có mã “{round_code}”.")
    found = sorted(decisions.decisions_of(round_), key=lambda d: (d.signed_on, d.id))
    issued = [d for d in found if not d.is_draft]
    chosen = issued or found
    if not chosen:
        _fail(f"Đợt xét {round_code} chưa có quyết định khen thưởng nào.")
    return chosen


def _write(out: Path, data: bytes) -> None:
    try:
        out.write_bytes(data)
    except OSError as error:
        db.session.rollback()
        _fail(f"Không ghi được tệp {out}: {error.strerror or error}.")


@click.command("print-decision")
@click.option("--decision", "number", default=None, help="Số quyết định, ví dụ 01/QĐ-UBND.")
@click.option("--round", "round_code", default=None, help="Mã đợt xét: mọi quyết định của đợt.")
@click.option(
    "--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Tệp PDF."
)
@with_appcontext
def print_decision_command(number: str | None, round_code: str | None, out: Path) -> None:
    """Write an award decision (the stored, signed PDF once issued) — or every decision of a round,
    one after the other — to a PDF file."""
    from awards import decisions

    chosen = _decisions_for(number, round_code)
    with audit.acting_as("cli:print-decision"):
        pdfs = [decisions.render(decision) for decision in chosen]
        _write(out, pdfs[0] if len(pdfs) == 1 else _join_pdfs(pdfs))
        for decision in chosen:
            audit.record("export", "decision_pdf", decision.id, after={"number": decision.number})
        db.session.commit()
    names = ", ".join(d.number or f"dự thảo {d.id}" for d in chosen)
    click.echo(f"Đã ghi quyết định {names} ra tệp {out}.")


def _join_pdfs(parts: list[bytes]) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    for part in parts:
        writer.append(io.BytesIO(part))
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


# --- cert_jobs: batch printing of certificates (DESIGN.md §6 contract: --decision NUMBER --out FILE.pdf
# [--mode full|blank]; --round, --printer, --reason, --resume and a .zip output added).
@click.command("print-certificates")
@click.option("--decision", "number", default=None, help="Số quyết định, ví dụ 01/QĐ-UBND.")
@click.option("--round", "round_code", default=None, help="Mã đợt xét: mọi quyết định đã ban hành.")
@click.option(
    "--resume",
    "resume_id",
    type=int,
    default=None,
    help="Số lệnh in bị gián đoạn: in nốt phần còn lại rồi ghi tệp.",
)
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Tệp ra: .pdf (một tệp) hoặc .zip (mỗi người nhận một tệp PDF).",
)
@click.option(
    "--mode",
    type=click.Choice(["full", "blank"]),
    default="full",
    show_default=True,
    help="full: bản đầy đủ; blank: chỉ phần chữ thay đổi, in lên phôi.",
)
@click.option(
    "--printer", "printer_name", default=None, help="Tên máy in (độ lệch khi in lên phôi)."
)
@click.option("--reason", default="", help="Lý do in lại (bắt buộc khi đã in trước đây).")
@with_appcontext
def print_certificates_command(
    number: str | None,
    round_code: str | None,
    resume_id: int | None,
    out: Path,
    mode: str,
    printer_name: str | None,
    reason: str,
) -> None:
    """Print the certificates of an issued decision — or of every issued decision of a round — to one
    PDF, or to a ZIP of one PDF per recipient when FILE ends in .zip. The batch-printing job runs here,
    whatever JOB_BACKEND says; --resume finishes a job that was interrupted."""
    from awards import jobs
    from awards.storage import get_storage
    from models import Job, JobState

    if sum(bool(given) for given in (number, round_code, resume_id)) != 1:
        _fail("Hãy chỉ rõ một trong ba: --decision SỐ, --round MÃ_ĐỢT hoặc --resume SỐ_LỆNH_IN.")
    with audit.acting_as("cli:print-certificates"):
        if resume_id is not None:
            job_id = _resumed_print_job(resume_id)
        else:
            job_id = _new_print_job(number, round_code, mode, printer_name, reason, out)
        db.session.commit()
        jobs.run(job_id)
    job = db.session.get(Job, job_id)
    db.session.refresh(job)
    if job.state is not JobState.DONE or not job.result_key:
        _fail(
            f"In không thành công (lệnh in số {job_id}): {job.error} — sửa lỗi rồi chạy tiếp bằng "
            f"--resume {job_id}."
        )
    try:
        with get_storage().open(job.result_key) as stream, out.open("wb") as target:
            shutil.copyfileobj(stream, target)
    except OSError as error:
        _fail(f"Không ghi được tệp {out}: {error.strerror or error}.")
    click.echo(f"Đã in {job.done} giấy chứng nhận (lệnh in số {job_id}) ra tệp {out}.")


def _new_print_job(
    number: str | None,
    round_code: str | None,
    mode: str,
    printer_name: str | None,
    reason: str,
    out: Path,
) -> int:
    from awards import decisions, printing
    from awards.certificates import CertificateError
    from models import Printer

    printer = None
    if printer_name:
        printer = db.session.scalar(sa.select(Printer).where(Printer.name == printer_name.strip()))
        if printer is None:
            _fail(f"Không tìm thấy máy in “{printer_name}”.")
    fmt = "zip" if out.suffix.lower() == ".zip" else "pdf"
    options = {"mode": mode, "printer": printer, "fmt": fmt, "reason": reason, "actor": None}
    try:
        if number:
            decision = decisions.by_number(number)
            if decision is None:
                _fail(f"Không tìm thấy quyết định số “{number}”.")
            return printing.start_print(decision, **options).id
        round_ = rounds.round_by_code(round_code)
        if round_ is None:
            _fail(f"Không tìm thấy đợt xét có mã “{round_code}”.")
        return printing.start_round_print(round_, **options).id
    except CertificateError as error:
        db.session.rollback()
        _fail(str(error))
    raise AssertionError("unreachable")


def _resumed_print_job(job_id: int) -> int:
    """The operator resumes any unfinished print job — one this command left RUNNING when it was
    stopped included (no need to wait until it looks stale); a finished one is just written again."""
    from awards import jobs, printing
    from models import Job, JobState

    job = db.session.get(Job, job_id)
    if job is None or job.kind != printing.KIND:
        _fail(f"Không tìm thấy lệnh in số {job_id}.")
    if job.state is not JobState.DONE:
        job.state = JobState.FAILED  # what requeue accepts: the operator says it is not running
        jobs.requeue(job)
    return job_id


# --- end cert_jobs


COMMANDS = [
    init_db,
    seed_demo,
    create_user,
    audit_verify,
    import_units_command,
    export_command,
    print_decision_command,
    print_certificates_command,  # cert_jobs
    send_mail_command,
]


def init_app(app: Flask) -> None:
    for command in COMMANDS:
        app.cli.add_command(command)
