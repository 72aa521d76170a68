"""Migrations keep the data they move, both ways, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import DateTime, bindparam, column, inspect, text

from db.migrate import alembic_config, upgrade
from db.models import Base
from db.session import make_engine

EARLIER, LATER = datetime(2026, 3, 1, 8, 30), datetime(2026, 5, 2, 9, 15)


def test_0003_keeps_each_users_last_message_time(database: str) -> None:
    engine = make_engine(database)
    config = alembic_config(engine)
    try:
        command.downgrade(config, "0002")
        with engine.begin() as connection:
            for user, seen in (("talked", EARLIER), ("only-subscribed", LATER)):
                connection.execute(text(
                    "INSERT INTO users (user_id, role, created_at, last_seen_at) "
                    "VALUES (:user, 'unknown', :created, :seen)").bindparams(
                        bindparam("created", type_=DateTime), bindparam("seen", type_=DateTime)),
                    {"user": user, "created": datetime(2026, 1, 1), "seen": seen})
            connection.execute(text(
                "INSERT INTO conversations (user_id, data, options, last_prompt, version, "
                "updated_at) VALUES ('talked', '{}', '[]', '', 3, :seen)").bindparams(
                    bindparam("seen", type_=DateTime)), {"seen": EARLIER})

        upgrade(engine)
        assert "last_seen_at" not in {c["name"] for c in inspect(engine).get_columns("users")}
        with engine.connect() as connection:
            seen = dict(connection.execute(text(
                "SELECT user_id, updated_at FROM conversations ORDER BY user_id").columns(
                    column("user_id"), column("updated_at", DateTime))).all())
        assert seen == {"only-subscribed": LATER, "talked": EARLIER}

        command.downgrade(config, "0002")
        with engine.connect() as connection:
            back = dict(connection.execute(text(
                "SELECT user_id, last_seen_at FROM users ORDER BY user_id").columns(
                    column("user_id"), column("last_seen_at", DateTime))).all())
        assert back == {"only-subscribed": LATER, "talked": EARLIER}
    finally:
        upgrade(engine)
        engine.dispose()


def test_0004_adds_its_columns_and_old_clear_texts_stay_readable(database: str,
                                                                  services) -> None:
    from db.models import OutboundMessage

    engine = make_engine(database)
    config = alembic_config(engine)
    try:
        command.downgrade(config, "0006")  # the revision before 0004
        assert "urgent" not in {c["name"] for c in inspect(engine).get_columns(
            "outbound_messages")}
        with engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO outbound_messages (user_id, text, status, attempts, created_at) "
                "VALUES ('old', '旧的明文消息', 'sent', 1, :at)").bindparams(
                    bindparam("at", type_=DateTime)), {"at": EARLIER})
        upgrade(engine)
        columns = {c["name"] for c in inspect(engine).get_columns("outbound_messages")}
        assert {"urgent", "about_user"} <= columns
        with services.sessions.begin() as session:  # written before: read as it is
            [row] = session.query(OutboundMessage).all()
            assert (row.text, row.urgent, row.about_user) == ("旧的明文消息", False, None)
        command.downgrade(config, "0006")  # the revision before 0004
        assert "urgent" not in {c["name"] for c in inspect(engine).get_columns(
            "outbound_messages")}
    finally:
        upgrade(engine)
        engine.dispose()


def test_the_migrations_build_exactly_the_schema_the_models_describe(database: str) -> None:
    # What `alembic revision --autogenerate` would find: nothing, on SQLite and PostgreSQL.
    engine = make_engine(database)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


def test_0011_adds_event_attendance_and_keeps_the_sign_ups_both_ways(database: str,
                                                                      services) -> None:
    from db.models import EventSignup
    from tests.event_helpers import new_event

    engine = make_engine(database)
    config = alembic_config(engine)
    columns = {"attended", "attendance_at", "attendance_by"}
    try:
        event_id = new_event(services)
        with services.sessions.begin() as session:
            at = services.clock()
            session.add(EventSignup(event_id=event_id, user_id="came", created_at=at,
                                    attended=True, attendance_at=at, attendance_by="clerk"))
        command.downgrade(config, "0010")
        for table in ("event_signups", "employer_signups"):
            assert not columns & {c["name"] for c in inspect(engine).get_columns(table)}
        with engine.connect() as connection:
            assert connection.execute(text("SELECT user_id FROM event_signups")).all() == \
                [("came",)]
        upgrade(engine)
        for table in ("event_signups", "employer_signups"):
            assert columns <= {c["name"] for c in inspect(engine).get_columns(table)}
        with services.sessions.begin() as session:
            [row] = session.query(EventSignup).all()
            assert (row.user_id, row.attended, row.attendance_by) == ("came", None, None)
    finally:
        upgrade(engine)
        engine.dispose()
