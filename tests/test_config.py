"""Configuration: production refuses unsafe settings; the environment is read as documented."""

from __future__ import annotations

import stat

import pytest

import config
from app import create_app
from config import ConfigError, ProductionConfig, load_config

GOOD_KEY = "k" * 32


@pytest.fixture()
def production_env(monkeypatch, tmp_path):
    """A complete production environment on a throwaway SQLite file."""
    monkeypatch.setenv("SECRET_KEY", GOOD_KEY)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'prod.sqlite3'}")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "memory://")
    return tmp_path


@pytest.mark.parametrize(
    ("unset", "message"),
    [
        (["SECRET_KEY"], "without: SECRET_KEY"),
        (["DATABASE_URL"], "without: DATABASE_URL"),
        (["SECRET_KEY", "DATABASE_URL"], "without: SECRET_KEY, DATABASE_URL"),
    ],
)
def test_production_refuses_to_start_without(production_env, monkeypatch, unset, message):
    for name in unset:
        monkeypatch.delenv(name)
    with pytest.raises(ConfigError, match=message):
        ProductionConfig()
    with pytest.raises(ConfigError, match=message):
        create_app("production")


def test_production_refuses_a_short_secret_key(production_env, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "k" * 31)
    with pytest.raises(ConfigError, match="at least 32 characters"):
        ProductionConfig()


def test_production_cookies_are_secure(production_env, monkeypatch):
    monkeypatch.setenv("REDIS_URL", "redis://cache.internal:6379/2")
    monkeypatch.delenv("RATELIMIT_STORAGE_URI")
    settings = ProductionConfig()
    assert settings.RATELIMIT_STORAGE_URI == "redis://cache.internal:6379/2"

    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "memory://")
    app = create_app(ProductionConfig())
    assert app.config["SECRET_KEY"] == GOOD_KEY
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("prod.sqlite3")
    flags = {
        name: app.config[name]
        for name in (
            "SESSION_COOKIE_SECURE",
            "SESSION_COOKIE_HTTPONLY",
            "SESSION_COOKIE_SAMESITE",
            "SESSION_COOKIE_NAME",
            "REMEMBER_COOKIE_SECURE",
            "REMEMBER_COOKIE_HTTPONLY",
            "REMEMBER_COOKIE_SAMESITE",
            "PREFERRED_URL_SCHEME",
            "SEED_DEMO_ALLOWED",
        )
    }
    assert flags == {
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_NAME": "__Host-session",
        "REMEMBER_COOKIE_SECURE": True,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "PREFERRED_URL_SCHEME": "https",
        "SEED_DEMO_ALLOWED": False,
    }

    # The cookie the browser receives carries the flags, and HTTPS is pinned.
    response = app.test_client().post(
        "/language", data={"locale": "en"}, base_url="https://kts.gov"
    )
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-session=")
    assert {"Secure", "HttpOnly", "SameSite=Lax", "Path=/"} <= {
        part.strip() for part in cookie.split(";")
    }
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_seed_demo_is_refused_in_production(production_env):
    app = create_app(ProductionConfig())
    # Pushed explicitly: Flask's CLI runs a command in whatever application context is current.
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 1
    assert "Cấu hình production không cho phép nạp dữ liệu mẫu (seed-demo)." in result.output
    # Refused before touching the database: not even the file was created.
    assert not (production_env / "prod.sqlite3").exists()


@pytest.mark.parametrize(
    ("given", "used"),
    [
        (
            "postgres://kts:pw@db.internal:5432/kts",
            "postgresql+psycopg://kts:pw@db.internal:5432/kts",
        ),
        ("postgresql://kts@db.internal/kts", "postgresql+psycopg://kts@db.internal/kts"),
        ("postgresql+psycopg://kts@db/kts", "postgresql+psycopg://kts@db/kts"),
        ("sqlite:////srv/kts/data.sqlite3", "sqlite:////srv/kts/data.sqlite3"),
    ],
)
def test_database_url_is_normalised(monkeypatch, given, used):
    monkeypatch.setenv("DATABASE_URL", given)
    monkeypatch.setenv("SECRET_KEY", GOOD_KEY)
    uris = {settings.SQLALCHEMY_DATABASE_URI for settings in (config.Config(), ProductionConfig())}
    assert uris == {used}


def test_development_defaults_to_sqlite_and_a_kept_local_key(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setattr(config, "INSTANCE_DIR", tmp_path / "instance")

    first = config.Config()
    database = tmp_path / "instance" / "khenthuong.sqlite3"
    uri = first.SQLALCHEMY_DATABASE_URI
    assert uri == f"sqlite:///{database}"
    key_file = tmp_path / "instance" / "secret_key"
    assert (first.SECRET_KEY, len(first.SECRET_KEY)) == (key_file.read_text(), 64)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    # A second process (or a restart) reads the same key: sessions survive.
    assert config.Config().SECRET_KEY == first.SECRET_KEY


def test_environment_chooses_the_config(monkeypatch):
    monkeypatch.setenv("APP_ENV", "testing")
    assert type(load_config()) is config.TestConfig
    assert type(load_config("testing")) is config.TestConfig
    monkeypatch.setenv("APP_ENV", "staging")
    with pytest.raises(ConfigError, match="Unknown APP_ENV 'staging'"):
        load_config()


def test_numbers_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("LOGIN_MAX_FAILURES", "3")
    assert config._env_int("LOGIN_MAX_FAILURES", 5) == 3
    monkeypatch.setenv("LOGIN_MAX_FAILURES", "")
    assert config._env_int("LOGIN_MAX_FAILURES", 5) == 5


def test_only_the_test_config_hashes_passwords_fast(production_env):
    assert config.TestConfig.PASSWORD_HASH_FAST is True
    assert not getattr(config.Config(), "PASSWORD_HASH_FAST", False)
    assert not getattr(ProductionConfig(), "PASSWORD_HASH_FAST", False)
