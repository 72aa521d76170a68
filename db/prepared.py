"""Statements that every message runs, compiled once per dialect and run on the DBAPI cursor.

`Connection.execute` rebuilds a statement's cache key on every execution, looks its compiled
form up, and wraps the cursor in a result object; for the few short statements of the message
pipeline (db/state.py) that costs more CPU than the SQL itself. A `Prepared` statement keeps
what it needs per dialect: the SQL text, the parameters' order, the columns' bind and result
processors (the same types: dates stored as SQLAlchemy stores them, `EncryptedText`
encrypted). It runs on the cursor of the connection's own DBAPI connection, so inside the
same transaction (and, on SQLite, under the same write lock); a database error is raised as
SQLAlchemy's (an `IntegrityError` stays an `IntegrityError`), without its parameters.
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import ClauseElement


class _Form:
    """One statement as one dialect runs it."""

    def __init__(self, statement: ClauseElement, dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        if compiled.insert_prefetch or compiled.update_prefetch:  # Python-side defaults
            raise ValueError("a prepared INSERT or UPDATE names every column with a default")
        self.sql = str(compiled)
        self.order = compiled.positiontup  # None: named parameters (PostgreSQL)
        named = compiled.bind_names.items()  # each parameter as the SQL names it
        self.defaults = {name: bind.value for bind, name in named
                         if not bind.required}  # constants such as literal(1)
        self.binds = [(name, process) for bind, name in named
                      if (process := bind.type.dialect_impl(dialect).bind_processor(dialect))]
        columns = list(getattr(statement, "exported_columns", ()))  # SELECT or RETURNING
        self.results = [(i, process) for i, column in enumerate(columns)
                        if (process := column.type.dialect_impl(dialect)
                            .result_processor(dialect, None))]
        self.row = (namedtuple("Row", [column.key for column in columns], rename=True)
                    if columns else None)
        self.dbapi_error = dialect.loaded_dbapi.Error


class Prepared:
    """A Core statement run with its compiled form cached per dialect (see the module doc)."""

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        self._forms: dict[Dialect, _Form] = {}

    def _form(self, dialect: Dialect) -> _Form:
        form = self._forms.get(dialect)
        if form is None:
            form = self._forms[dialect] = _Form(self.statement, dialect)
        return form

    def execute(self, connection: Connection, params: dict[str, Any]) -> Any:
        """Run the statement with `params`; the DBAPI cursor (rows not yet fetched)."""
        form = self._form(connection.dialect)
        values = {**form.defaults, **params}
        for name, process in form.binds:
            values[name] = process(values[name])
        cursor = connection.connection.driver_connection.cursor()
        try:
            cursor.execute(form.sql, values if form.order is None
                           else [values[name] for name in form.order])
        except form.dbapi_error as exc:
            cursor.close()
            raise DBAPIError.instance(form.sql, None, exc, form.dbapi_error,
                                      hide_parameters=True, dialect=connection.dialect,
                                      ismulti=False) from exc
        return cursor

    def first(self, connection: Connection, params: dict[str, Any]) -> Any:
        """The first row (columns by name, types processed), or None."""
        form = self._form(connection.dialect)
        cursor = self.execute(connection, params)
        try:
            row = cursor.fetchone()
        finally:
            cursor.close()
        if row is None:
            return None
        row = list(row)
        for i, process in form.results:
            row[i] = process(row[i])
        return form.row(*row)

    def rowcount(self, connection: Connection, params: dict[str, Any]) -> int:
        """Run an UPDATE or DELETE; how many rows it matched."""
        cursor = self.execute(connection, params)
        try:
            return cursor.rowcount
        finally:
            cursor.close()
