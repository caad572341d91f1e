"""Declarative base shared by every feature: named constraints, UTC timestamps, common columns."""
from __future__ import annotations

from datetime import datetime, timezone

import enum

from sqlalchemy import DateTime, Enum, MetaData, TypeDecorator, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, registry

# Named constraints keep Alembic migrations readable and let SQLite batch operations find them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """Stores UTC and always hands back tz-aware datetimes, on SQLite (which forgets zones) too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use lms.db.utcnow() or an aware datetime")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def value_enum(cls: type[enum.Enum], name: str, length: int = 16) -> Enum:
    """An enum stored as its value string with a named CHECK constraint: the database refuses unknown values."""
    return Enum(cls, name=name, native_enum=False, create_constraint=True,
                values_callable=lambda members: [m.value for m in members], length=length)


class Base(DeclarativeBase):
    registry = registry(metadata=MetaData(naming_convention=NAMING_CONVENTION),
                        type_annotation_map={datetime: UTCDateTime()})


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())


def insert_ignoring_conflicts(session, entity, **values) -> bool:
    """INSERT … ON CONFLICT DO NOTHING on SQLite and PostgreSQL alike; True when the row went in.

    This is how a race is settled without savepoints (which pysqlite handles badly): the second of two
    identical inserts simply does nothing, and the caller reads what the first one wrote.
    """
    from sqlalchemy.dialects.postgresql import insert as postgresql_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else postgresql_insert
    # Ask for the new row back rather than trusting rowcount, which psycopg reports as -1 for this statement.
    table = getattr(entity, "__table__", entity)
    key = list(table.primary_key.columns)[0]
    statement = insert(table).values(**values).on_conflict_do_nothing().returning(key)
    return session.execute(statement).first() is not None
