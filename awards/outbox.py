"""E-mail through an outbox: services queue a row in the transaction of the change it reports; a delivery
job (``flask send-mail``, run from cron) sends the pending rows through the configured SMTP server.

Queuing in the same transaction means a rolled-back change sends nothing, and a change that committed
cannot lose its message because the mail server was down: the row waits and is retried up to
``MAIL_MAX_ATTEMPTS`` times. Without ``MAIL_SERVER`` nothing is sent and the rows stay queued.
"""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from email.errors import MessageError
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext

from awards import clock
from awards.extensions import db
from models import OutboxMessage, utcnow

log = logging.getLogger(__name__)

# Below SQLITE_BUSY_TIMEOUT_MS: on SQLite a message is sent while its claim holds the write lock, and a
# request that waits for that lock must not time out because a mail server is slow to answer.
SMTP_TIMEOUT_SECONDS = 10

# One "@", something on each side, no whitespace (CR and LF included): enough to keep a typing mistake
# or a header injection out of the envelope; the mail server judges the rest.
_ADDRESS = re.compile(r"[^@\s]+@[^@\s]+")
_ADDRESS_MAX = 255
_SUBJECT_MAX = 255
_ERROR_MAX = 2000


@dataclass(frozen=True)
class DeliveryReport:
    """One run of :func:`deliver_pending`: messages sent, attempts that failed, messages still pending."""

    sent: int
    failed: int
    remaining: int


def _one_line(text: str) -> str:
    """NFC, with every run of whitespace — CR, LF and the other line breaks included — one space: a
    subject can never start a new header."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def queue(to_address: str, subject: str, body: str) -> OutboxMessage | None:
    """Queue a plain-text e-mail to ``to_address``; flushes, never commits.

    Returns ``None`` without queuing anything when the address is empty (a user without e-mail) or is
    not an address: the latter is logged, never raised, since the change being reported must go on.
    """
    address = (to_address or "").strip()
    if not address:
        return None
    if len(address) > _ADDRESS_MAX or not _ADDRESS.fullmatch(address):
        log.warning("outbox: not queuing a message to the invalid address %r", address[:100])
        return None
    message = OutboxMessage(
        to_address=address,
        subject=_one_line(subject)[:_SUBJECT_MAX],
        body=unicodedata.normalize("NFC", body),
    )
    db.session.add(message)
    db.session.flush()
    return message


def _pending(max_attempts: int) -> sa.ColumnElement[bool]:
    return sa.and_(OutboxMessage.sent_at.is_(None), OutboxMessage.attempts < max_attempts)


def pending_count() -> int:
    """How many messages still wait to be sent (not sent, attempts left)."""
    max_attempts = int(current_app.config["MAIL_MAX_ATTEMPTS"])
    return (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(OutboxMessage).where(_pending(max_attempts))
        )
        or 0
    )


def _claim(after_id: int, max_attempts: int) -> OutboxMessage | None:
    """The oldest pending message after ``after_id``, locked until the next commit.

    On PostgreSQL ``FOR UPDATE SKIP LOCKED`` lets concurrent jobs take different rows, and a row another
    job has just sent no longer matches once its lock is released. SQLite has no row locks (SQLAlchemy
    leaves the clause out): there the transaction's ``BEGIN IMMEDIATE`` serialises the jobs instead.
    """
    return db.session.scalars(
        sa.select(OutboxMessage)
        .where(_pending(max_attempts), OutboxMessage.id > after_id)
        .order_by(OutboxMessage.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    ).first()


def _connect() -> smtplib.SMTP:
    config = current_app.config
    smtp = smtplib.SMTP(
        config["MAIL_SERVER"], int(config["MAIL_PORT"]), timeout=SMTP_TIMEOUT_SECONDS
    )
    try:
        if config.get("MAIL_USE_TLS"):
            # The default context checks the server's certificate and name; smtplib's own does not.
            smtp.starttls(context=ssl.create_default_context())
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
    except BaseException:
        smtp.close()
        raise
    return smtp


def _disconnect(smtp: smtplib.SMTP | None) -> None:
    if smtp is None:
        return
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        smtp.close()


def _email(message: OutboxMessage) -> EmailMessage:
    sender = current_app.config["MAIL_SENDER"]
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.to_address
    email["Subject"] = _one_line(message.subject)
    email["Date"] = format_datetime(datetime.now(clock.zone()))
    # The same for every attempt at one row: should a crash between sending and recording resend it,
    # mail clients see one message twice and show it once.
    email["Message-ID"] = f"<outbox.{message.id}.{message.created_at:%Y%m%d%H%M%S%f}@{domain}>"
    email["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to a notification
    email.set_content(message.body, charset="utf-8")
    return email


def deliver_pending(limit: int = 100) -> DeliveryReport:
    """Send up to ``limit`` pending messages, oldest first, through ``MAIL_SERVER``.

    A delivery job, not a request service: it commits after each message, so a crash half way does not
    resend what was already sent, and it commits whatever the session held before it was called — run
    it from the CLI, never inside a request. A sent message gets ``sent_at``; a refused one (SMTP or
    network error) gets ``attempts + 1`` and ``last_error`` and is retried by a later run until
    ``MAIL_MAX_ATTEMPTS``; the run goes on with the next message. One SMTP connection serves the run and
    is opened again after an error. With ``MAIL_SERVER`` empty nothing is sent.
    """
    config = current_app.config
    max_attempts = int(config["MAIL_MAX_ATTEMPTS"])
    sent = failed = 0
    if config.get("MAIL_SERVER"):
        smtp: smtplib.SMTP | None = None
        last_id = 0
        try:
            for _ in range(limit):
                message = _claim(last_id, max_attempts)
                if message is None:
                    break
                last_id = message.id
                message.attempts += 1
                try:
                    if smtp is None:
                        smtp = _connect()
                    smtp.send_message(_email(message))
                except (OSError, ValueError, MessageError) as error:  # SMTPException is an OSError
                    _disconnect(smtp)
                    smtp = None
                    message.last_error = f"{type(error).__name__}: {error}"[:_ERROR_MAX]
                    failed += 1
                    if message.attempts >= max_attempts:
                        log.error(
                            "outbox: giving up on message %s after %s attempts: %s",
                            message.id,
                            message.attempts,
                            message.last_error,
                        )
                else:
                    message.sent_at = utcnow()
                    sent += 1
                db.session.commit()
        finally:
            _disconnect(smtp)
    remaining = pending_count()
    db.session.commit()  # ends the read (on SQLite it holds the write lock)
    return DeliveryReport(sent=sent, failed=failed, remaining=remaining)


@click.command("send-mail")
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=100,
    show_default=True,
    help="Số thư gửi tối đa trong lần chạy này.",
)
@with_appcontext
def send_mail_command(limit: int) -> None:
    """Send the queued e-mails through MAIL_SERVER (run it from cron)."""
    if not current_app.config.get("MAIL_SERVER"):
        click.echo("Chưa cấu hình máy chủ thư (MAIL_SERVER): thư được giữ lại trong hàng chờ.")
    report = deliver_pending(limit)
    click.echo(
        f"Đã gửi {report.sent} thư, lỗi {report.failed}, còn {report.remaining} thư chờ gửi."
    )
