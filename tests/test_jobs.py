"""Background jobs (``awards/jobs.py``): one interface, three backends.

* ``sync`` runs the job at once, in the caller, on a database session of its own;
* ``thread`` runs it on a daemon thread of the process, and another session (another process, as far as
  the code can tell: ``make_app``) sees its progress while it runs;
* ``rq`` queues it on Redis and a worker runs it: an in-process burst worker, and the documented command
  (``rq worker --url … QUEUE``) as a real process that builds the application itself and prints a
  decision's certificates. These need Redis at ``JOB_REDIS_URL`` (default 127.0.0.1:6379): they are
  skipped when it does not answer — except under ``CI=true``, where they must run.

Failures are recorded on the job (never raised to the caller), and a failed or interrupted job runs again.
"""

from __future__ import annotations

import io
import json
import os
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

import config
from awards import jobs, printing
from awards.extensions import db
from awards.storage import get_storage
from models import AuditEvent, CertificatePrint, Job, JobState, Role, utcnow
from tests.factories import make_user
from tests.test_printing import issued_decision

ROOT = Path(__file__).resolve().parent.parent


def reload(job_id: int) -> Job:
    job = db.session.get(Job, job_id)
    db.session.refresh(job)
    return job


def create_committed(kind: str, actor: object = None, **params: object) -> tuple[Job, int]:
    job = jobs.create(kind, params, actor, total=3)  # type: ignore[arg-type]
    job_id = job.id
    db.session.commit()
    return job, job_id


def wait_for(condition: Callable[[], bool], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the job did not get there in time")
        time.sleep(0.05)


# --------------------------------------------------------------------------- the interface, sync backend


def test_sync_runs_the_job_at_once_on_a_session_of_its_own(app, db, monkeypatch):
    seen: dict[str, object] = {}

    def count_to_three(job_id: int) -> None:
        job = db.session.get(Job, job_id)
        seen.update(session=db.session(), state=job.state)
        jobs.advance(job, 3, {"step": "c"})
        db.session.commit()

    monkeypatch.setitem(jobs.HANDLERS, "count", count_to_three)
    board = make_user(Role.BOARD)
    job = jobs.create("count", {"n": 3}, board, total=3)
    assert job.state is JobState.QUEUED
    job_id = job.id
    db.session.commit()
    caller = db.session()

    jobs.start(job)

    assert seen["session"] is not caller
    assert seen["state"] is JobState.RUNNING
    job = reload(job_id)
    assert (job.state, job.done, job.total, job.error) == (JobState.DONE, 3, 3, "")
    assert jobs.params_of(job) == {"n": 3}
    assert jobs.progress_of(job)["step"] == "c" and "beat" in jobs.progress_of(job)
    assert job.created_by_id == board.id
    assert job.started_at <= job.finished_at


def test_a_failure_is_recorded_not_raised_and_the_job_runs_again(app, db, monkeypatch):
    outcome: list[BaseException | None] = [ValueError("Mẫu giấy chứng nhận không còn")]

    def handler(job_id: int) -> None:
        job = db.session.get(Job, job_id)
        jobs.advance(job, job.done + 1, {})
        db.session.commit()  # what a handler committed before failing is kept
        if outcome[0] is not None:
            raise outcome[0]

    monkeypatch.setitem(jobs.HANDLERS, "flaky", handler)
    job, job_id = create_committed("flaky")

    jobs.start(job)  # returns: the failure is on the job

    job = reload(job_id)
    assert (job.state, job.done, job.error) == (JobState.FAILED, 1, "Mẫu giấy chứng nhận không còn")
    assert jobs.can_resume(job)

    outcome[0] = RuntimeError("boom")
    db.session.commit()
    jobs.run(job_id)
    job = reload(job_id)
    assert (job.state, job.done, job.error) == (JobState.FAILED, 2, "RuntimeError: boom")

    outcome[0] = None
    db.session.commit()
    jobs.run(job_id)
    job = reload(job_id)
    assert (job.state, job.done, job.error) == (JobState.DONE, 3, "")

    db.session.commit()
    jobs.run(job_id)  # a finished job is left alone: the handler is not called again
    assert reload(job_id).done == 3


def test_a_kind_without_handler_is_refused_or_fails(app, db, monkeypatch):
    with pytest.raises(jobs.JobError):
        jobs.create("no-such-kind", {}, None)
    monkeypatch.setitem(jobs.HANDLERS, "gone", lambda job_id: None)
    job, job_id = create_committed("gone")
    monkeypatch.delitem(jobs.HANDLERS, "gone")
    jobs.start(job)
    job = reload(job_id)
    assert job.state is JobState.FAILED
    assert "no handler registered for job kind 'gone'" in job.error


def test_only_failed_or_silent_jobs_may_be_resumed(app, db, monkeypatch):
    monkeypatch.setitem(jobs.HANDLERS, "noop", lambda job_id: None)
    job, _ = create_committed("noop")
    assert not jobs.can_resume(job)  # queued a moment ago
    job.state = JobState.RUNNING
    job.started_at = utcnow()
    assert not jobs.is_stale(job) and not jobs.can_resume(job)
    with pytest.raises(jobs.JobError, match="đang chạy"):
        jobs.requeue(job)
    job.created_at = job.started_at = utcnow() - timedelta(hours=1)
    jobs.advance(job, 1, {"parts": {}})
    assert not jobs.is_stale(job)  # the last step recorded counts as a sign of life
    job.progress = json.dumps({"beat": (utcnow() - timedelta(minutes=11)).isoformat()})
    assert jobs.is_stale(job) and jobs.can_resume(job)
    jobs.requeue(job)
    assert (job.state, job.error) == (JobState.QUEUED, "")
    assert not jobs.is_stale(job)  # requeued just now
    job.state = JobState.DONE
    with pytest.raises(jobs.JobError, match="hoàn thành"):
        jobs.requeue(job)
    job.state = JobState.FAILED
    assert jobs.can_resume(job)


def test_backends_by_configuration(app, monkeypatch):
    assert config.TestConfig.JOB_BACKEND == "sync"
    if "JOB_BACKEND" not in os.environ:
        assert config.Config.JOB_BACKEND == "thread"  # the embedded default: nothing to install
        assert config.ProductionConfig.JOB_BACKEND == "rq"  # separate worker processes
    monkeypatch.setitem(app.config, "JOB_BACKEND", "celery")
    with pytest.raises(config.ConfigError, match="thread, rq, sync"):
        jobs.backend()


# --------------------------------------------------------------------------- thread backend


def test_the_thread_backend_runs_in_the_background_and_others_see_its_progress(
    make_app, db, monkeypatch
):
    release = threading.Event()
    threads: list[str] = []

    def slow(job_id: int) -> None:
        threads.append(threading.current_thread().name)
        job = db.session.get(Job, job_id)
        jobs.advance(job, 1, {})
        db.session.commit()
        assert release.wait(30)
        jobs.advance(db.session.get(Job, job_id), 2, {})
        db.session.commit()

    monkeypatch.setitem(jobs.HANDLERS, "slow", slow)
    web = make_app(JOB_BACKEND="thread")
    elsewhere = make_app()
    with web.app_context():
        job, job_id = create_committed("slow")
        jobs.start(job)  # returns at once: the job waits for ``release``

    def seen() -> tuple[JobState, int]:
        with elsewhere.app_context():
            found = db.session.get(Job, job_id)
            return found.state, found.done

    wait_for(lambda: seen() == (JobState.RUNNING, 1))
    release.set()
    wait_for(lambda: seen() == (JobState.DONE, 2))
    assert threads == [f"job-{job_id}"]


# --------------------------------------------------------------------------- rq backend


@pytest.fixture()
def redis_url() -> str:
    """Redis for the rq tests; skipped when it does not answer, except under CI=true."""
    from redis import Redis
    from redis.exceptions import RedisError

    url = (
        os.environ.get("JOB_REDIS_URL")
        or os.environ.get("REDIS_URL")
        or config.Config.JOB_REDIS_URL
    )
    try:
        Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2).ping()
    except RedisError as error:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis at {url} must answer under CI=true: {error}")
        pytest.skip(f"Redis at {url} does not answer: {error}")
    return url


@pytest.fixture()
def queue_name(redis_url: str) -> Iterator[str]:
    """A queue of this test's own, emptied and removed afterwards."""
    from redis import Redis
    from rq import Queue

    name = f"kts-test-{secrets.token_hex(4)}"
    yield name
    Queue(name, connection=Redis.from_url(redis_url)).delete(delete_jobs=True)


def test_the_rq_backend_queues_the_job_and_a_worker_runs_it(
    make_app, db, monkeypatch, redis_url, queue_name
):
    from rq import SimpleWorker

    ran: list[tuple[int, str]] = []
    monkeypatch.setitem(
        jobs.HANDLERS, "noop", lambda job_id: ran.append((job_id, threading.current_thread().name))
    )
    web = make_app(JOB_BACKEND="rq", JOB_QUEUE=queue_name, JOB_REDIS_URL=redis_url)
    with web.app_context():
        job, job_id = create_committed("noop")
        jobs.start(job)
        queue = jobs.queue()
        assert queue.name == queue_name and queue.count == 1
        assert reload(job_id).state is JobState.QUEUED  # nothing ran in the web process
        assert ran == []
        db.session.commit()  # end this session's transaction: on SQLite it holds the write lock
        # In-process (no fork): the test's SQLite database may live in this process's memory.
        SimpleWorker([queue], connection=queue.connection).work(burst=True)
        assert queue.count == 0
        job = reload(job_id)
    assert job.state is JobState.DONE
    assert [job_id for job_id, _ in ran] == [job_id]


def test_a_plain_rq_worker_process_prints_a_queued_job(
    make_app, db, redis_url, queue_name, tmp_path
):
    """The documented command, as a process of its own: it builds the application from the environment
    and runs the print job the web process queued."""
    uploads = tmp_path / "uploads"
    web = make_app(
        JOB_BACKEND="rq", JOB_QUEUE=queue_name, JOB_REDIS_URL=redis_url, UPLOAD_ROOT=str(uploads)
    )
    with web.app_context():
        decision = issued_decision(3, number="41/QĐ-UBND")
        names = [item.name for item in decision.items]
        board = make_user(Role.BOARD)
        board_id = board.id
        job = printing.start_print(
            decision, mode="full", printer=None, fmt="pdf", reason="", actor=board
        )
        job_id = job.id
        db.session.commit()
        jobs.start(job)
        database_url = web.config["SQLALCHEMY_DATABASE_URI"]
    environment = {
        **os.environ,
        "APP_ENV": "development",
        "DATABASE_URL": database_url,
        "SECRET_KEY": secrets.token_hex(32),
        "UPLOAD_ROOT": str(uploads),
    }
    worker = subprocess.run(
        [
            str(Path(sys.executable).with_name("rq")),
            "worker",
            "--burst",
            "--url",
            redis_url,
            queue_name,
        ],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert worker.returncode == 0, worker.stderr[-3000:]
    with web.app_context():
        job = reload(job_id)
        assert (job.state, job.done, job.error) == (JobState.DONE, 3, "")
        with get_storage().open(job.result_key) as stream:
            pdf = stream.read()
        events = db.session.scalars(
            sa.select(AuditEvent.actor_name).where(
                AuditEvent.object_type == "certificates", AuditEvent.action == "update"
            )
        ).all()
        prints = [
            (row.printed_by_id, row.mode.value)
            for row in db.session.scalars(
                sa.select(CertificatePrint).where(CertificatePrint.job_id == job_id)
            )
        ]
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 3
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    assert all(name in " ".join(text.split()) for name in names)
    # Printing is logged in certificate_prints, not as certificate updates in the audit trail.
    assert events == []
    assert prints == [(board_id, "full")] * 3


def test_an_unreachable_queue_fails_the_job_so_it_can_be_resumed(app, db, monkeypatch):
    monkeypatch.setitem(jobs.HANDLERS, "noop", lambda job_id: None)
    monkeypatch.setitem(app.config, "JOB_BACKEND", "rq")
    monkeypatch.setitem(app.config, "JOB_REDIS_URL", "redis://127.0.0.1:1/0")
    job, job_id = create_committed("noop")
    with pytest.raises(jobs.JobError, match="Không gửi được tác vụ vào hàng đợi"):
        jobs.start(job)
    job = reload(job_id)
    assert job.state is JobState.FAILED and "Redis" in job.error
    assert jobs.can_resume(job)
