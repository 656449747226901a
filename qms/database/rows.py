"""Load one model instance per request through the driver, as the ORM itself would load it.

Every request loads the signed-in user, and every order page and transition its order. For
one row the ORM's query machinery (the statement's cache key, the compile cache, the ORM
context, the result's metadata) costs four times what the database does, on the hottest path
there is. A `RowLoader` sends its SQL (written once per dialect) to the driver's cursor on
the session's connection, so in its transaction; converts each value with the column type's
own result processor, as SQLAlchemy does; and takes the instance into the session as the
ORM's loading does (sqlalchemy.orm.loading): persistent, in the identity map, nothing
changed, its relationships loaded lazily on first use. An instance the session already
holds is returned as it is, its unloaded attributes filled in, as a query would return it.

Taking a new instance in is done as SQLAlchemy's own loader does it, with the same four
steps on the instance's state and the session's identity map: the public way
(make_transient_to_detached, then Session.add) cost as much again as the rest of the load.
Those are SQLAlchemy's internals: pyproject.toml keeps SQLAlchemy below the next minor
version, and tests/test_row_loader.py checks the result against the ORM's own.
The models loaded so have no load or attach event listeners (none of qms's have).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.orm import Session, scoped_session
from sqlalchemy.orm.attributes import set_committed_value

from qms.database.driver import placeholder, run


@dataclass
class _Plan:
    """A loader's SQL and conversions on one dialect, made at its first use."""

    dialect: Any
    sql: str
    keys: tuple[str, ...]
    types: tuple[Any, ...]  # each column's type, as the dialect implements it
    key_positions: tuple[int, ...]  # the primary key's columns among `keys`
    # (position, converter) where a column has one; known at the first row, since a
    # driver's converter may depend on the type the database reports (psycopg's NUMERIC).
    processors: tuple[tuple[int, Any], ...] | None = None

    def convert(self, row: Sequence, description) -> list:
        if self.processors is None:
            self.processors = tuple(
                (position, process)
                for position, type_ in enumerate(self.types)
                if (process := type_.result_processor(self.dialect, description[position][1]))
            )
        values = list(row[: len(self.keys)])
        for position, process in self.processors:
            if values[position] is not None:
                values[position] = process(values[position])
        return values


@dataclass(frozen=True)
class RowLoader:
    """`SELECT <model's columns>[, <extra>] FROM <table> WHERE <where>`.

    `where` and `extra` are SQL, with `{mark}` where a parameter goes (the driver's own
    marker); `extra` are further values (such as an EXISTS) returned beside the instance.
    """

    model: type
    where: str
    extra: tuple[str, ...] = ()

    def plan(self, dialect) -> _Plan:
        """The SQL it sends on `dialect`, and the attributes its columns fill."""
        return _plan(self, dialect)

    def first(self, session: Session, parameters: Sequence = ()) -> tuple[Any, tuple] | None:
        """The first matching instance and its extra values, or None."""
        if isinstance(session, scoped_session):
            session = session()  # the request's own session
        # As every ORM query does first: in a process whose first ORM use is this load
        # (a command), the mappers are not configured yet, and an instance made before
        # that has attributes with nothing behind them.
        inspect(self.model).registry.configure()
        if session.autoflush:
            session.flush()  # as a query autoflushes (nothing to do costs nothing)
        connection = session.connection()
        plan = self.plan(connection.dialect)
        cursor = connection.connection.dbapi_connection.cursor()
        try:
            row = run(cursor, connection.dialect, plan.sql, parameters).fetchone()
            if row is None:
                return None
            values = plan.convert(row, cursor.description)
        finally:
            cursor.close()
        return _adopt(session, self.model, plan, values), tuple(row[len(plan.keys) :])


@cache
def _plan(loader: RowLoader, dialect) -> _Plan:
    mapper = inspect(loader.model)
    columns = list(mapper.local_table.columns)
    table = mapper.local_table.name
    selected = ", ".join([f"{table}.{column.name}" for column in columns] + list(loader.extra))
    where = loader.where.format(mark=placeholder(dialect))
    return _Plan(
        dialect=dialect,
        sql=f"SELECT {selected} FROM {table} WHERE {where}",
        keys=tuple(mapper.get_property_by_column(column).key for column in columns),
        types=tuple(column.type.dialect_impl(dialect) for column in columns),
        key_positions=tuple(columns.index(column) for column in mapper.primary_key),
    )


def _adopt(session: Session, model: type, plan: _Plan, values: list) -> Any:
    mapper = inspect(model)
    identity = mapper.identity_key_from_primary_key([values[i] for i in plan.key_positions])
    held = session.identity_map.get(identity)
    if held is not None:
        # As a query treats an instance the session holds: its loaded values (changed or
        # not) stay; what is expired or not yet loaded is filled in.
        unloaded = inspect(held).unloaded
        for key, value in zip(plan.keys, values, strict=True):
            if key in unloaded:
                set_committed_value(held, key, value)
        return held
    # As sqlalchemy.orm.loading's _instance() takes in a row it has not seen: the values
    # are the instance's loaded state, unchanged; it belongs to the session, under its key.
    instance = mapper.class_manager.new_instance()
    state = inspect(instance)
    state.dict.update(zip(plan.keys, values, strict=True))
    state.key = identity
    state.identity_token = identity[2]
    state.session_id = session.hash_key
    session.identity_map._add_unpresent(state, identity)
    return instance
