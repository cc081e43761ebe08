"""Background jobs: one small interface, three backends (DESIGN.md §8).

A job is a ``Job`` row: its kind, parameters, state, progress and result live in the database, so any process
can show them whichever backend runs the job, and a job killed half-way can be run again.

* ``create(kind, params, actor)`` adds the row (flush, like every service); the caller commits, then calls
  ``start(job)``. Starting before the commit would let a worker look for a row that does not exist yet.
* ``register(kind, handler)``: a handler takes the job's id and does the work (the printing module registers
  ``"certificates"``). Handlers may commit as they go — they are job runners, not request services — and
  must be resumable: running one again on a job it left half-way finishes the job without doing twice
  what it already committed.
* ``run(job_id)`` runs the handler in an application context of its own (its own database session, so the
  job's commits never touch the caller's), marks the job RUNNING, then DONE or FAILED with the error
  message, and never raises to its caller. Running a DONE job does nothing; running a RUNNING or FAILED
  one resumes it.

Backends, chosen by ``JOB_BACKEND``:

* ``thread`` (the embedded default): a daemon thread of the current process runs ``run(job_id)``. Nothing to
  install; a job that dies with its process is left RUNNING, shows as interrupted once it has made no
  progress for ``JOB_STALE_SECONDS``, and is resumed from its page ("Chạy tiếp").
* ``rq`` (production default): ``run`` is queued with the job id on the Redis queue ``JOB_QUEUE`` at
  ``JOB_REDIS_URL``. Workers are plain RQ workers, started from the project folder with the application's
  environment (``APP_ENV``, ``DATABASE_URL``, ``SECRET_KEY``, storage settings)::

      cd /srv/khenthuong && .venv/bin/rq worker --url "$JOB_REDIS_URL" khenthuong

  Run as many as there are cores to spare (each print job also renders on ``JOB_RENDER_WORKERS``
  processes). The worker needs no Flask integration: ``run`` builds the application itself when it finds
  none (``create_app()`` from the environment), in the work horse RQ forks for each job, so no database
  connection is ever shared across a fork. ``JOB_TIMEOUT_SECONDS`` bounds one job.
* ``sync`` (tests, and the CLI, which calls ``run`` itself): ``start`` runs the job at once, in the caller.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app, g, has_app_context, has_request_context
from flask_babel import lazy_gettext as _l

from awards import audit
from awards.extensions import db
from config import ConfigError
from models import Job, JobState, User, utcnow

BACKENDS = ("thread", "rq", "sync")
ERROR_MAX = 2000

logger = logging.getLogger(__name__)

# Job kinds and their handlers, filled at import by the modules that define them (like URL rules): the
# same in every process, never changed afterwards — configuration, not state.
HANDLERS: dict[str, Callable[[int], None]] = {}


class JobError(RuntimeError):
    """A job could not be started or resumed; ``str(error)`` tells the user why."""


def register(kind: str, handler: Callable[[int], None]) -> None:
    HANDLERS[kind] = handler


def backend(app: Flask | None = None) -> str:
    name = (app or current_app).config.get("JOB_BACKEND", "thread")
    if name not in BACKENDS:
        raise ConfigError(f"Unknown JOB_BACKEND {name!r}; use one of {', '.join(BACKENDS)}")
    return name


# --------------------------------------------------------------------------- the row


def create(kind: str, params: Mapping[str, Any], actor: User | None, *, total: int = 0) -> Job:
    """A new QUEUED job of ``kind`` (flushed, not started: commit, then ``start``)."""
    if kind not in HANDLERS:
        raise JobError(f"no handler registered for job kind {kind!r}")
    job = Job(
        kind=kind,
        params=json.dumps(dict(params), ensure_ascii=False, sort_keys=True),
        state=JobState.QUEUED,
        total=total,
        done=0,
        progress="{}",
        created_by_id=actor.id if actor is not None else None,
    )
    db.session.add(job)
    db.session.flush()
    return job


def params_of(job: Job) -> dict[str, Any]:
    return json.loads(job.params or "{}")


def progress_of(job: Job) -> dict[str, Any]:
    return json.loads(job.progress or "{}")


def advance(job: Job, done: int, progress: Mapping[str, Any]) -> None:
    """Record how far ``job`` got (the handler commits it): ``done`` items, and what a resumed run may
    skip. The time of the step is kept too, so a job whose process died can be told from a slow one."""
    job.done = done
    job.progress = json.dumps(
        {**progress, "beat": utcnow().isoformat()}, ensure_ascii=False, sort_keys=True
    )


def last_activity(job: Job) -> datetime:
    """When ``job`` last showed a sign of life: created, started, or a step recorded."""
    beat = progress_of(job).get("beat")
    moments = [job.created_at, job.started_at, datetime.fromisoformat(beat) if beat else None]
    return max(moment for moment in moments if moment is not None)


def is_stale(job: Job) -> bool:
    """Queued or running, and silent for longer than ``JOB_STALE_SECONDS``: its process is gone."""
    if job.state not in (JobState.QUEUED, JobState.RUNNING):
        return False
    limit = timedelta(seconds=current_app.config.get("JOB_STALE_SECONDS", 600))
    return utcnow() - last_activity(job) > limit


def can_resume(job: Job) -> bool:
    return job.state is JobState.FAILED or is_stale(job)


def requeue(job: Job) -> None:
    """Make a failed or interrupted job QUEUED again (flush; commit, then ``start``). Raises
    ``JobError`` when it is done, or still alive."""
    if job.state is JobState.DONE:
        raise JobError(str(_l("Tác vụ đã hoàn thành: không cần chạy tiếp.")))
    if not can_resume(job):
        raise JobError(str(_l("Tác vụ vẫn đang chạy: hãy đợi, trang sẽ tự cập nhật tiến độ.")))
    job.state = JobState.QUEUED
    job.error = ""
    job.finished_at = None
    advance(job, job.done, {k: v for k, v in progress_of(job).items() if k != "beat"})
    db.session.flush()


# --------------------------------------------------------------------------- starting


def start(job: Job) -> None:
    """Hand ``job`` to the configured backend. Call it after committing the job's row, before touching the
    session again (with ``sync``, the job runs at once on its own session). Raises ``JobError`` when the
    queue cannot be reached; the job is then marked FAILED, so it can be resumed later."""
    job_id = _identity(job)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    name = backend(app)
    if name == "sync":
        run(job_id)
    elif name == "thread":
        worker = threading.Thread(
            target=_run_with, args=(app, job_id), name=f"job-{job_id}", daemon=True
        )
        worker.start()
    else:
        try:
            queue(app).enqueue(
                run,
                job_id,
                job_timeout=app.config.get("JOB_TIMEOUT_SECONDS", 3600),
                result_ttl=0,
                failure_ttl=7 * 24 * 3600,
                description=f"khenthuong job {job_id}",
            )
        except Exception as error:  # redis.ConnectionError and the like: the queue is unreachable
            logger.exception("job %s: could not be queued", job_id)
            message = str(_l("Không gửi được tác vụ vào hàng đợi (Redis): %(error)s", error=error))
            _mark_failed(app, job_id, message)
            raise JobError(message) from error


def queue(app: Flask | None = None) -> Any:
    """The RQ queue jobs go to (imported here: only the ``rq`` backend needs Redis)."""
    from redis import Redis
    from rq import Queue

    config = (app or current_app).config
    connection = Redis.from_url(config.get("JOB_REDIS_URL", "redis://127.0.0.1:6379/0"))
    return Queue(config.get("JOB_QUEUE", "khenthuong"), connection=connection)


def _identity(job: Job) -> int:
    # The primary key without loading the row: after the caller's commit the object is expired, and a
    # refresh would open a transaction on the caller's session while the job runs on another.
    identity = sa.inspect(job).identity
    if identity is None:
        raise JobError("start a job after its row was flushed and committed")
    return int(identity[0])


def _run_with(app: Flask, job_id: int) -> None:
    """The thread backend's target: the thread has no application context of its own."""
    with _own_context(app, job_id):
        _run(job_id)


# --------------------------------------------------------------------------- running


def run(job_id: int) -> None:
    """Run job ``job_id`` to its end in an application context of its own. What goes wrong in the
    handler is recorded on the job, never raised (a ``BaseException`` such as a kill still stops it).

    Without an application (an RQ work horse) the application is built from the environment and its
    database connections are closed afterwards.
    """
    if has_app_context():
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        with _own_context(app, job_id):
            _run(job_id)
        return
    from app import create_app

    app = create_app()
    try:
        with _own_context(app, job_id):
            _run(job_id)
    finally:
        with app.app_context():
            db.engine.dispose()


@contextmanager
def _own_context(app: Flask, job_id: int) -> Iterator[None]:
    # A fresh application context is a fresh ``g`` and a fresh database session (Flask-SQLAlchemy scopes
    # sessions by application context). Events the job records name the job, or its creator inside a
    # request (the ``sync`` backend), where the audit trail reads the user from ``g``.
    with app.app_context(), audit.acting_as(f"job:{job_id}"):
        try:
            yield
        finally:
            db.session.remove()


def _run(job_id: int) -> None:
    try:
        job = db.session.get(Job, job_id)
        if job is None:
            logger.warning("job %s: no such job", job_id)
            return
        if job.state is JobState.DONE:
            return
        if has_request_context() and job.created_by is not None:
            g.audit_user = job.created_by
        handler = HANDLERS.get(job.kind)
        job.state = JobState.RUNNING
        job.started_at = utcnow()
        job.finished_at = None
        job.error = ""
        if handler is None:
            raise JobError(f"no handler registered for job kind {job.kind!r}")
        advance(job, job.done, {k: v for k, v in progress_of(job).items() if k != "beat"})
        db.session.commit()
        logger.info("job %s (%s): running", job_id, job.kind)
        handler(job_id)
        job = db.session.get(Job, job_id)
        db.session.refresh(job)
        job.state = JobState.DONE
        job.finished_at = utcnow()
        db.session.commit()
        logger.info("job %s: done", job_id)
    except Exception as error:
        logger.exception("job %s: failed", job_id)
        db.session.rollback()
        try:
            job = db.session.get(Job, job_id)
            if job is not None:
                job.state = JobState.FAILED
                job.error = error_message(error)
                job.finished_at = utcnow()
                db.session.commit()
        except Exception:  # the database itself is gone: the job stays RUNNING and goes stale
            logger.exception("job %s: could not record the failure", job_id)
            db.session.rollback()


def error_message(error: BaseException) -> str:
    """What the job's page shows: the message of a refusal the user can act on (a ``ValueError``
    subclass such as ``CertificateError``, or ``JobError``), else the exception's type and text."""
    if isinstance(error, JobError | ValueError) and str(error):
        text = str(error)
    else:
        text = f"{type(error).__name__}: {error}"
    return text[:ERROR_MAX]


def _mark_failed(app: Flask, job_id: int, message: str) -> None:
    with app.app_context():
        try:
            job = db.session.get(Job, job_id)
            if job is not None and job.state is JobState.QUEUED:
                job.state = JobState.FAILED
                job.error = message[:ERROR_MAX]
                job.finished_at = utcnow()
                db.session.commit()
        finally:
            db.session.remove()
