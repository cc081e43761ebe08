"""Application factory: extensions, blueprints, error handlers, CLI. Nothing else."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, current_app, g, has_request_context, render_template, request, session
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response

import awards.database  # noqa: F401  (engine event listeners: SQLite pragmas, BEGIN IMMEDIATE)
from awards.extensions import babel, bootstrap, csrf, db, limiter, login_manager, migrate
from config import load_config

BASE_DIR = Path(__file__).resolve().parent

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def create_app(config: object | str | None = None, **overrides: Any) -> Flask:
    """Build the application. ``config`` is a config object or the name of one (see ``config.py``)."""
    app = Flask(__name__, instance_path=str(BASE_DIR / "instance"), instance_relative_config=True)
    app.config.from_object(
        load_config(config) if config is None or isinstance(config, str) else config
    )
    app.config.update(overrides)
    if app.config.get("PROXY_FIX_HOPS", 0):
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXY_FIX_HOPS"], x_proto=1)  # type: ignore[method-assign]
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_request_hooks(app)
    register_template_helpers(app)
    register_commands(app)
    return app


def select_locale() -> str:
    if not has_request_context():  # CLI commands and background jobs speak the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated:
        return current_user.locale
    return session.get("locale") or request.accept_languages.best_match(["vi", "en"]) or "vi"


def register_extensions(app: Flask) -> None:
    import models  # noqa: F401  (register the mappers before Alembic or the app touch them)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(BASE_DIR / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    bootstrap.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Vui lòng đăng nhập để tiếp tục."  # a msgid (see core.py)
    login_manager.localize_callback = gettext
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"


def register_blueprints(app: Flask) -> None:
    from awards import (
        assignment_views,
        audit_views,
        auth,
        ballot_views,
        bulk_views,
        campaigns,
        certificate_views,
        core,
        decision_views,
        disclosure_views,
        dossier_views,
        evidence_views,
        intake_views,
        nomination_views,
        notification_views,
        printing_views,  # cert_jobs
        ranking_views,
        review_views,
        units,
        users,
    )

    for module in (
        core,
        auth,
        users,
        units,
        campaigns,
        audit_views,
        evidence_views,
        nomination_views,
        bulk_views,
        dossier_views,
        intake_views,
        assignment_views,
        review_views,
        ballot_views,
        ranking_views,
        decision_views,
        disclosure_views,
        certificate_views,
        printing_views,  # cert_jobs
        notification_views,
    ):
        app.register_blueprint(module.bp)


def register_errorhandlers(app: Flask) -> None:
    from awards.core import error_message

    def render_error(error: Exception) -> tuple[str, int]:
        code = error.code if isinstance(error, HTTPException) and error.code else 500
        if code >= 500:
            db.session.rollback()
        if code == 413:  # the body was refused unread: the page's own forms must not parse it again
            request.form = request.files = ImmutableMultiDict()  # type: ignore[misc]
        return render_template("errors/error.html", code=code, message=error_message(code)), code

    for code in (400, 401, 403, 404, 405, 413, 429, 500):
        app.register_error_handler(code, render_error)

    def changed_meanwhile(error: StaleDataError) -> tuple[str, int]:
        # Optimistic locking caught a concurrent change (two officers acting on one record at once):
        # nothing of this request is kept, and the user is told to reload rather than shown a 500.
        db.session.rollback()
        return render_template("errors/error.html", code=409, message=error_message(409)), 409

    app.register_error_handler(StaleDataError, changed_meanwhile)


def register_request_hooks(app: Flask) -> None:
    @app.after_request
    def security_headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=()"
        )
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if current_user and current_user.is_authenticated:
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.teardown_request
    def rollback_uncommitted(error: BaseException | None) -> None:
        # One commit per request, in the view; whatever a failed request left open is discarded.
        if error is not None:
            db.session.rollback()

    @app.before_request
    def load_user_first() -> None:
        # Load the user before any flush, so the audit trail can name the actor without querying.
        g.user_locale = select_locale()


def register_template_helpers(app: Flask) -> None:
    from awards import templating

    templating.init_app(app)


def register_commands(app: Flask) -> None:
    from awards import cli

    cli.init_app(app)
