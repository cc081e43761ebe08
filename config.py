"""Configuration read from the environment.

``Config`` is the embedded default (SQLite under ``instance/``); ``TestConfig`` is what the suite uses;
``ProductionConfig`` refuses to start without the settings that must never fall back to a default.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"


class ConfigError(RuntimeError):
    """Raised when a configuration cannot be used safely."""


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres://"):  # Heroku-style scheme that SQLAlchemy no longer accepts
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url or f"sqlite:///{INSTANCE_DIR / 'khenthuong.sqlite3'}"


def _local_secret_key() -> str:
    """A key generated once per installation and kept in ``instance/``, so that several local processes
    share sessions and a restart does not log everyone out. Production never uses it."""
    path = INSTANCE_DIR / "secret_key"
    if not path.exists():
        INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


class Config:
    ENV_NAME = "development"
    SECRET_KEY = ""
    SQLALCHEMY_DATABASE_URI = ""
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    SQLITE_BUSY_TIMEOUT_MS = _env_int("SQLITE_BUSY_TIMEOUT_MS", 15000)

    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000")
    UPLOAD_ROOT = os.environ.get("UPLOAD_ROOT", str(INSTANCE_DIR / "uploads"))
    STORAGE_BACKEND = os.environ.get("STORAGE_BACKEND", "local")  # see awards/storage.py
    # Evidence files: per file and per nomination (live files), in MB of 1,048,576 bytes.
    EVIDENCE_MAX_FILE_MB = _env_int("EVIDENCE_MAX_FILE_MB", 20)
    EVIDENCE_MAX_NOMINATION_MB = _env_int("EVIDENCE_MAX_NOMINATION_MB", 100)
    # A DOCX/XLSX declaring more uncompressed data than this is refused as a zip bomb.
    EVIDENCE_MAX_UNCOMPRESSED_MB = _env_int("EVIDENCE_MAX_UNCOMPRESSED_MB", 200)
    # A little above the per-file limit: an upload slightly too big still reaches the check that names
    # its size; anything bigger is cut off while the request is read (413, shown as a message).
    MAX_CONTENT_LENGTH = (
        _env_int("MAX_CONTENT_LENGTH_MB", _env_int("EVIDENCE_MAX_FILE_MB", 20) + 5) * 1024 * 1024
    )
    # Administrative documents: the place name of the date line ("Bắc Ninh, ngày …") and the body a
    # unit's Tờ trình is addressed to ("Kính gửi: …").
    DOCUMENT_PLACE = os.environ.get("DOCUMENT_PLACE", "Bắc Ninh")
    SUBMISSION_ADDRESSEE = os.environ.get("SUBMISSION_ADDRESSEE", "Sở Nội vụ tỉnh Bắc Ninh")
    COUNCIL_SUPERIOR = os.environ.get("COUNCIL_SUPERIOR", "UBND TỈNH BẮC NINH")  # council minutes
    COUNCIL_NAME = os.environ.get("COUNCIL_NAME", "HỘI ĐỒNG THI ĐUA – KHEN THƯỞNG")
    # Award decisions: the base salary (mức lương cơ sở, đồng) that cash awards multiply (Decree
    # 73/2024: 2,340,000 đ from 1/7/2024); a draft copies it, an issued decision keeps what it used.
    BASE_SALARY_VND = _env_int("BASE_SALARY_VND", 2_340_000)
    # Approving and issuing need a password typed within this many minutes (a "fresh" login).
    FRESH_LOGIN_MINUTES = _env_int("FRESH_LOGIN_MINUTES", 15)
    # E-mail through the outbox (awards/outbox.py, `flask send-mail`); no server = messages stay queued.
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_PORT = _env_int("MAIL_PORT", 25)
    MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS", "").lower() in ("1", "true", "yes")
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_SENDER = os.environ.get("MAIL_SENDER", "Khen Thưởng Số <khenthuong@localhost>")
    MAIL_MAX_ATTEMPTS = _env_int("MAIL_MAX_ATTEMPTS", 5)
    # Excel imports: the declared uncompressed size above which a workbook is treated as a zip bomb.
    IMPORT_MAX_UNCOMPRESSED_BYTES = _env_int("IMPORT_MAX_UNCOMPRESSED_MB", 50) * 1024 * 1024
    IMPORT_MAX_ROWS = _env_int("IMPORT_MAX_ROWS", 20000)

    BABEL_DEFAULT_LOCALE = "vi"
    BABEL_DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
    LANGUAGES = {"vi": "Tiếng Việt", "en": "English"}

    # Accounts: lockout after repeated failures, stored on the user row so it holds across processes.
    LOGIN_MAX_FAILURES = _env_int("LOGIN_MAX_FAILURES", 5)
    LOGIN_LOCKOUT_MINUTES = _env_int("LOGIN_LOCKOUT_MINUTES", 15)
    PASSWORD_MIN_LENGTH = _env_int("PASSWORD_MIN_LENGTH", 10)
    REMEMBER_COOKIE_DURATION = timedelta(days=7)
    PERMANENT_SESSION_LIFETIME = timedelta(hours=_env_int("SESSION_HOURS", 12))
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"

    # Rate limits (per client address): memory:// counts per process; production uses Redis.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "20 per minute;200 per hour")
    # Public comments during a disclosure window, per client address.
    DISCLOSURE_COMMENT_RATE_LIMIT = os.environ.get(
        "DISCLOSURE_COMMENT_RATE_LIMIT", "5 per hour;20 per day"
    )
    # Public certificate verification (/verify/<code>, unknown codes included), per client address:
    # lookups need no login, so this is what stands between a script and the code space.
    VERIFY_RATE_LIMIT = os.environ.get("VERIFY_RATE_LIMIT", "30 per minute;300 per hour")

    # --- cert_jobs: background jobs (awards/jobs.py). "thread" runs them in the app's own process
    # (nothing to install), "rq" queues them on Redis for separate `rq worker` processes, "sync" runs
    # them in the caller. A queued or running job silent for JOB_STALE_SECONDS counts as interrupted
    # and may be resumed. Batch printing renders JOB_CHUNK_SIZE certificates per document, on
    # JOB_RENDER_WORKERS processes (ENGINEERING.md: chunks of 50, 2 processes on 2 cores).
    JOB_BACKEND = os.environ.get("JOB_BACKEND", "thread")
    JOB_REDIS_URL = os.environ.get(
        "JOB_REDIS_URL", os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    )
    JOB_QUEUE = os.environ.get("JOB_QUEUE", "khenthuong")
    JOB_TIMEOUT_SECONDS = _env_int("JOB_TIMEOUT_SECONDS", 3600)
    JOB_STALE_SECONDS = _env_int("JOB_STALE_SECONDS", 600)
    JOB_CHUNK_SIZE = _env_int("JOB_CHUNK_SIZE", 50)
    JOB_RENDER_WORKERS = _env_int("JOB_RENDER_WORKERS", 2)
    # --- end cert_jobs

    WTF_CSRF_TIME_LIMIT = None  # tied to the session instead of a clock: long forms must not expire
    BOOTSTRAP_SERVE_LOCAL = True  # closed government intranets have no CDN
    PAGE_SIZE = 50
    SEED_DEMO_ALLOWED = True

    def __init__(self) -> None:
        self.SQLALCHEMY_DATABASE_URI = _database_url()
        self.SECRET_KEY = os.environ.get("SECRET_KEY") or _local_secret_key()


class TestConfig(Config):
    __test__ = False  # not a pytest test class, whatever its name
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"  # noqa: S105
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False
    RATELIMIT_STORAGE_URI = "memory://"
    LOGIN_LOCKOUT_MINUTES = 15
    PASSWORD_HASH_FAST = True  # argon2 at test strength; production strength is tested separately
    JOB_BACKEND = "sync"  # cert_jobs: jobs run at once, in the test

    def __init__(self) -> None:
        # The suite builds its own throwaway database (tests/conftest.py) and passes it as an override.
        self.SQLALCHEMY_DATABASE_URI = "sqlite://"


class ProductionConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-session"
    PREFERRED_URL_SCHEME = "https"
    SEED_DEMO_ALLOWED = False
    JOB_BACKEND = os.environ.get("JOB_BACKEND", "rq")  # cert_jobs: separate worker processes

    def __init__(self) -> None:
        missing = [name for name in ("SECRET_KEY", "DATABASE_URL") if not os.environ.get(name)]
        if missing:
            raise ConfigError(
                "Production configuration refuses to start without: " + ", ".join(missing)
            )
        if len(os.environ["SECRET_KEY"]) < 32:
            raise ConfigError("SECRET_KEY must be at least 32 characters in production")
        self.SECRET_KEY = os.environ["SECRET_KEY"]
        self.SQLALCHEMY_DATABASE_URI = _database_url()
        self.RATELIMIT_STORAGE_URI = os.environ.get(
            "RATELIMIT_STORAGE_URI", os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
        )


CONFIGS = {"development": Config, "testing": TestConfig, "production": ProductionConfig}


def load_config(name: str | None = None) -> object:
    """Return a config object for ``name`` (default: the ``APP_ENV`` variable, else development)."""
    name = name or os.environ.get("APP_ENV", "development")
    try:
        cls = CONFIGS[name]
    except KeyError:
        raise ConfigError(f"Unknown APP_ENV {name!r}; use one of {', '.join(CONFIGS)}") from None
    return cls()
