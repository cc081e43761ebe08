"""The e-mail outbox: queued in the caller's transaction, delivered by a job through an SMTP server.

The server is aiosmtpd on 127.0.0.1 and a free port, started per test: nothing leaves the machine.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import logging
import socket
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from email.message import EmailMessage
from email.utils import parsedate_to_datetime

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from awards import outbox
from awards.outbox import DeliveryReport, deliver_pending, send_mail_command
from models import OutboxMessage

ADDRESS = "vanthu@sonoivu.bacninh.gov.vn"
SUBJECT = "Kết quả xét khen thưởng đợt CDS2025: Bằng khen của Chủ tịch UBND tỉnh"
BODY = (
    "Kính gửi đồng chí Nguyễn Thị Hường,\n\n"
    "Hồ sơ đề nghị khen thưởng của Sở Thông tin và Truyền thông đã được phê duyệt.\n"
    "Trân trọng.\n"
)
MAIL_KEYS = (
    "MAIL_SERVER",
    "MAIL_PORT",
    "MAIL_USE_TLS",
    "MAIL_USERNAME",
    "MAIL_PASSWORD",
    "MAIL_SENDER",
    "MAIL_MAX_ATTEMPTS",
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Collector:
    """An SMTP handler that keeps what it receives; refuses recipients containing "tu-choi"."""

    def __init__(self, delay: float = 0) -> None:
        self.received: list[tuple[str, list[str], EmailMessage]] = []
        self.logins: list[bytes] = []
        self.delay = delay
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # type: ignore[no-untyped-def]
        if "tu-choi" in address:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        if self.delay:
            await asyncio.sleep(self.delay)
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.received.append((envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 2.0.0 Accepted"


class Server:
    def __init__(self, handler: Collector, **smtp_options: object) -> None:
        self.handler = handler
        self.port = _free_port()
        self.controller = Controller(handler, hostname="127.0.0.1", port=self.port, **smtp_options)

    @property
    def received(self) -> list[tuple[str, list[str], EmailMessage]]:
        return self.handler.received


@pytest.fixture()
def start_server() -> Iterator[Callable[..., Server]]:
    """``start_server(**smtp_options)``: an SMTP server on loopback, stopped after the test."""
    started: list[Server] = []

    def start(handler: Collector | None = None, **smtp_options: object) -> Server:
        server = Server(handler or Collector(), **smtp_options)
        server.controller.start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.controller.stop()


@pytest.fixture()
def mail_config(app) -> Iterator[Callable[..., None]]:  # type: ignore[no-untyped-def]
    """``mail_config(**keys)`` changes the suite's (shared) app config; the old values come back after."""
    saved = {key: app.config.get(key) for key in MAIL_KEYS}

    def configure(**values: object) -> None:
        assert set(values) <= set(MAIL_KEYS)
        app.config.update(values)

    configure(MAIL_SERVER="", MAIL_USE_TLS=False, MAIL_USERNAME="", MAIL_PASSWORD="")
    yield configure
    app.config.update(saved)


@pytest.fixture()
def server(start_server, mail_config) -> Server:  # type: ignore[no-untyped-def]
    """A running server the app is configured to use."""
    running = start_server()
    mail_config(MAIL_SERVER="127.0.0.1", MAIL_PORT=running.port, MAIL_MAX_ATTEMPTS=5)
    return running


def _rows(db) -> list[OutboxMessage]:  # type: ignore[no-untyped-def]
    db.session.expire_all()
    return list(db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))


def test_a_queued_message_is_delivered_once_in_vietnamese(app, db, server):
    outbox.queue(ADDRESS, SUBJECT, BODY)
    db.session.commit()

    assert deliver_pending() == DeliveryReport(sent=1, failed=0, remaining=0)

    [(mail_from, recipients, message)] = server.received
    assert (mail_from, recipients) == ("khenthuong@localhost", [ADDRESS])
    assert message["Subject"] == SUBJECT
    assert message["To"] == ADDRESS
    assert message["From"].addresses[0].display_name == "Khen Thưởng Số"
    assert message.get_content_charset() == "utf-8"
    assert message.get_content() == BODY
    assert message["Message-ID"].startswith("<outbox.") and message["Message-ID"].endswith(
        "@localhost>"
    )
    assert parsedate_to_datetime(message["Date"]).utcoffset() == timedelta(hours=7)
    assert message["Auto-Submitted"] == "auto-generated"

    [row] = _rows(db)
    assert row.sent_at is not None
    assert (row.attempts, row.last_error) == (1, "")

    assert deliver_pending() == DeliveryReport(sent=0, failed=0, remaining=0)
    assert len(server.received) == 1


def test_a_server_that_is_down_loses_nothing(app, db, mail_config, start_server):
    port = _free_port()  # nobody listens there
    mail_config(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_MAX_ATTEMPTS=5)
    outbox.queue(ADDRESS, SUBJECT, BODY)
    outbox.queue("phongtdkt@sonoivu.bacninh.gov.vn", "Thông báo thứ hai", "Nội dung thứ hai")
    db.session.commit()

    assert deliver_pending() == DeliveryReport(sent=0, failed=2, remaining=2)
    rows = _rows(db)
    assert [(r.attempts, r.sent_at) for r in rows] == [(1, None), (1, None)]
    assert all(r.last_error.startswith("ConnectionRefusedError") for r in rows)

    server = start_server()
    mail_config(MAIL_PORT=server.port)
    assert deliver_pending() == DeliveryReport(sent=2, failed=0, remaining=0)
    assert [m["Subject"] for _, _, m in server.received] == [SUBJECT, "Thông báo thứ hai"]
    assert [r.attempts for r in _rows(db)] == [2, 2]


def test_a_message_is_given_up_after_the_maximum_attempts(
    app, db, mail_config, start_server, caplog
):
    mail_config(MAIL_SERVER="127.0.0.1", MAIL_PORT=_free_port(), MAIL_MAX_ATTEMPTS=2)
    outbox.queue(ADDRESS, SUBJECT, BODY)
    db.session.commit()

    assert deliver_pending().remaining == 1
    with caplog.at_level(logging.ERROR, logger="awards.outbox"):
        assert deliver_pending() == DeliveryReport(sent=0, failed=1, remaining=0)
    assert "giving up on message" in caplog.text

    server = start_server()
    mail_config(MAIL_PORT=server.port)
    assert deliver_pending() == DeliveryReport(sent=0, failed=0, remaining=0)
    assert server.received == []
    [row] = _rows(db)
    assert (row.attempts, row.sent_at) == (2, None)  # kept, with its error, for the operator
    assert row.last_error


def test_a_refused_message_does_not_stop_the_others(app, db, server):
    outbox.queue("tu-choi@example.vn", "Bị từ chối", "Thư này bị máy chủ từ chối")
    outbox.queue(ADDRESS, SUBJECT, BODY)
    db.session.commit()

    assert deliver_pending() == DeliveryReport(sent=1, failed=1, remaining=1)
    refused, delivered = _rows(db)
    assert refused.sent_at is None and refused.attempts == 1
    assert refused.last_error.startswith("SMTPRecipientsRefused")
    assert delivered.sent_at is not None
    assert [recipients for _, recipients, _ in server.received] == [[ADDRESS]]


def test_limit_sends_the_oldest_first(app, db, server):
    for n in range(1, 4):
        outbox.queue(ADDRESS, f"Thư số {n}", "Nội dung")
    db.session.commit()

    assert deliver_pending(limit=2) == DeliveryReport(sent=2, failed=0, remaining=1)
    assert [m["Subject"] for _, _, m in server.received] == ["Thư số 1", "Thư số 2"]
    assert deliver_pending(limit=2) == DeliveryReport(sent=1, failed=0, remaining=0)
    assert server.received[-1][2]["Subject"] == "Thư số 3"


def test_without_a_mail_server_messages_stay_queued(app, db, start_server, mail_config):
    listening = start_server()
    mail_config(MAIL_SERVER="", MAIL_PORT=listening.port)
    outbox.queue(ADDRESS, SUBJECT, BODY)
    db.session.commit()

    assert deliver_pending() == DeliveryReport(sent=0, failed=0, remaining=1)
    assert listening.received == []
    [row] = _rows(db)
    assert (row.attempts, row.sent_at, row.last_error) == (0, None, "")


def test_a_subject_cannot_inject_headers(app, db, server):
    injected = "Thông báo\r\nBcc: ke-gian@example.com\nX-Injected: 1\r\n\r\nThân thư giả"
    row = outbox.queue(ADDRESS, injected, BODY)
    assert row is not None
    assert "\r" not in row.subject and "\n" not in row.subject
    # A row written some other way, line breaks and all, is sent as safely.
    db.session.add(
        OutboxMessage(to_address=ADDRESS, subject="Dòng một\r\nBcc: x@example.com", body="b")
    )
    db.session.commit()

    assert deliver_pending() == DeliveryReport(sent=2, failed=0, remaining=0)
    first, second = (m for _, _, m in server.received)
    assert first["Subject"] == "Thông báo Bcc: ke-gian@example.com X-Injected: 1 Thân thư giả"
    assert second["Subject"] == "Dòng một Bcc: x@example.com"
    for _, recipients, message in server.received:
        assert recipients == [ADDRESS]
        assert message["Bcc"] is None and message["X-Injected"] is None
    assert first.get_content() == BODY


@pytest.mark.parametrize(
    "address",
    [
        "khong-co-a-cong",
        "hai@a@cong.vn",
        "co khoang@trang.vn",
        f"{ADDRESS}\r\nBcc: ke-gian@example.com",
        "@thieu-phan-dau.vn",
        "thieu-ten-mien@",
        "a" * 250 + "@dai.vn",
    ],
)
def test_a_bad_address_is_skipped_and_logged(app, db, address, caplog):
    with caplog.at_level(logging.WARNING, logger="awards.outbox"):
        assert outbox.queue(address, SUBJECT, BODY) is None
    assert "invalid address" in caplog.text
    assert _rows(db) == []


def test_an_empty_address_is_quietly_nothing(app, db, caplog):
    with caplog.at_level(logging.WARNING, logger="awards.outbox"):
        assert outbox.queue("", SUBJECT, BODY) is None
        assert outbox.queue("   ", SUBJECT, BODY) is None
    assert caplog.text == ""
    assert _rows(db) == []


def test_queue_flushes_and_normalises(app, db):
    decomposed = "Nguye\u0302\u0303n"  # "Nguyễn" written with combining marks
    row = outbox.queue(f"  {ADDRESS} ", f"Chào {decomposed}", f"Đồng chí {decomposed}")
    assert row is not None and row.id is not None  # flushed
    assert (row.to_address, row.subject, row.body) == (
        ADDRESS,
        "Chào Nguyễn",
        "Đồng chí Nguyễn",
    )
    assert len(outbox.queue(ADDRESS, "Dài " * 200, BODY).subject) == 255


def test_a_rolled_back_change_sends_nothing(app, db, server):
    outbox.queue(ADDRESS, SUBJECT, BODY)
    db.session.rollback()

    assert _rows(db) == []
    assert deliver_pending() == DeliveryReport(sent=0, failed=0, remaining=0)
    assert server.received == []


def test_credentials_are_given_when_a_username_is_set(app, db, start_server, mail_config):
    handler = Collector()

    def authenticator(server, session, envelope, mechanism, auth_data):  # type: ignore[no-untyped-def]
        assert isinstance(auth_data, LoginPassword)
        handler.logins.append(auth_data.login)
        # handled=False: the server answers 535 itself on a refusal.
        return AuthResult(success=auth_data.password == b"Mat-khau-thu", handled=False)

    # PLAIN only: smtplib would try LOGIN after a refused PLAIN, two logins per refusal.
    server = start_server(
        handler,
        authenticator=authenticator,
        auth_require_tls=False,
        auth_exclude_mechanism=["LOGIN"],
    )
    mail_config(
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=server.port,
        MAIL_USERNAME="khenthuong",
        MAIL_PASSWORD="sai-mat-khau",
        MAIL_MAX_ATTEMPTS=5,
    )
    outbox.queue(ADDRESS, SUBJECT, BODY)
    db.session.commit()

    assert deliver_pending() == DeliveryReport(sent=0, failed=1, remaining=1)
    assert _rows(db)[0].last_error.startswith("SMTPAuthenticationError")
    mail_config(MAIL_PASSWORD="Mat-khau-thu")
    assert deliver_pending() == DeliveryReport(sent=1, failed=0, remaining=0)
    assert handler.logins == [b"khenthuong", b"khenthuong"]
    assert len(server.received) == 1


def test_starttls_configured_never_falls_back_to_plain_text(app, db, server, mail_config):
    mail_config(MAIL_USE_TLS=True)  # the test server offers no STARTTLS
    outbox.queue(ADDRESS, SUBJECT, BODY)
    db.session.commit()

    assert deliver_pending() == DeliveryReport(sent=0, failed=1, remaining=1)
    assert _rows(db)[0].last_error.startswith("SMTPNotSupportedError")
    assert server.received == []


def test_concurrent_jobs_send_each_message_once(make_app, start_server):
    server = start_server(Collector(delay=0.01))
    applications = [
        make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port, MAIL_MAX_ATTEMPTS=5)
        for _ in range(3)
    ]
    from awards.extensions import db

    with applications[0].app_context():
        for n in range(30):
            outbox.queue(f"donvi{n}@bacninh.gov.vn", f"Thông báo {n}", "Nội dung")
        db.session.commit()

    reports: list[DeliveryReport] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(applications))

    def job(application) -> None:  # type: ignore[no-untyped-def]
        try:
            with application.app_context():
                barrier.wait()
                reports.append(deliver_pending())
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=job, args=(a,)) for a in applications]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    assert sum(r.sent for r in reports) == 30
    assert sum(r.failed for r in reports) == 0
    subjects = sorted(m["Subject"] for _, _, m in server.received)
    assert subjects == sorted(f"Thông báo {n}" for n in range(30))
    with applications[0].app_context():
        assert outbox.pending_count() == 0
        db.session.commit()


def test_send_mail_command(app, db, server, mail_config, runner):
    outbox.queue(ADDRESS, SUBJECT, BODY)
    outbox.queue(ADDRESS, "Thư thứ hai", BODY)
    db.session.commit()

    result = runner.invoke(args=["send-mail", "--limit", "1"])
    assert result.exit_code == 0, result.output
    assert result.output == "Đã gửi 1 thư, lỗi 0, còn 1 thư chờ gửi.\n"

    mail_config(MAIL_SERVER="")
    result = runner.invoke(send_mail_command, [])
    assert result.output.splitlines() == [
        "Chưa cấu hình máy chủ thư (MAIL_SERVER): thư được giữ lại trong hàng chờ.",
        "Đã gửi 0 thư, lỗi 0, còn 1 thư chờ gửi.",
    ]
    assert len(server.received) == 1
    assert runner.invoke(args=["send-mail", "--limit", "0"]).exit_code == 2
