"""The Alembic migrations build exactly the schema the models declare, and unbuild it."""

from __future__ import annotations

import flask_migrate
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from awards.extensions import db
from tests.conftest import _logging_kept

DIALECTS = ["sqlite", "postgresql"]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_upgrade_builds_the_models_schema(empty_database, upgraded, dialect):
    app = upgraded(empty_database(dialect))
    with app.app_context(), db.engine.connect() as connection:
        assert connection.dialect.name == dialect
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []
        tables = set(sa.inspect(connection).get_table_names())
    assert tables == set(db.metadata.tables) | {"alembic_version"}


@pytest.mark.parametrize("dialect", DIALECTS)
def test_downgrade_to_base_removes_everything(empty_database, upgraded, dialect):
    app = upgraded(empty_database(dialect))
    with app.app_context(), _logging_kept():
        flask_migrate.downgrade(revision="base")
        with db.engine.connect() as connection:
            inspector = sa.inspect(connection)
            assert set(inspector.get_table_names()) == {"alembic_version"}
            if dialect == "postgresql":
                functions = connection.execute(
                    sa.text(
                        "SELECT count(*) FROM pg_proc WHERE proname = 'audit_events_append_only'"
                    )
                ).scalar_one()
                assert functions == 0
        # And back up again: the downgrade left nothing behind that blocks a new upgrade.
        flask_migrate.upgrade()
        with db.engine.connect() as connection:
            assert set(db.metadata.tables) <= set(sa.inspect(connection).get_table_names())


def test_init_db_command_builds_the_schema(empty_database, make_app):
    app = make_app(SQLALCHEMY_DATABASE_URI=empty_database("sqlite"))
    with app.app_context(), _logging_kept():
        result = app.test_cli_runner().invoke(args=["init-db"])
        assert result.exit_code == 0, result.output
        assert result.stdout == "Cơ sở dữ liệu đã được cập nhật lên phiên bản mới nhất.\n"
        with db.engine.connect() as connection:
            assert set(db.metadata.tables) <= set(sa.inspect(connection).get_table_names())
        # Running it again on an up-to-date database changes nothing.
        assert app.test_cli_runner().invoke(args=["init-db"]).exit_code == 0
