"""Hand-written statements for the hot paths, built once per process from the models.

The ORM compiles every statement on every call: 0.3-1 ms of Python each on the emit path,
more than the database's own work there. The few statements that path makes are written
once, their column lists read from the models, so a field added later is written with its
default as the ORM would write it (an INSERT naming fixed columns would fail on it).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import models
from django.utils import timezone


class Insert:
    """The columns of an INSERT into `model`'s table: the ones the caller gives (by attname),
    then every other concrete field at its default, but the primary key and the fields the
    database fills itself. Parameters are named (`%(name)s`), so statements compose.

    `columns`: the SQL column list; `default_sql`: ", %(<prefix><column>)s" per defaulted
    column, for the caller to append to its own values; `defaults(connection)`: their
    parameters for one row (`auto_now`/`auto_now_add` fields stamped now, as `save()` does).
    """

    def __init__(self, model: type[models.Model], given: Sequence[str], connection, prefix: str) -> None:
        quote = connection.ops.quote_name
        fields = {field.attname: field for field in model._meta.concrete_fields}
        self.table = quote(model._meta.db_table)
        self.fields = {name: fields[name] for name in given}
        rest = [
            field
            for field in model._meta.concrete_fields
            if field.attname not in self.fields
            and not field.primary_key
            and not getattr(field, "generated", False)
            and getattr(field, "db_default", models.NOT_PROVIDED) is models.NOT_PROVIDED
        ]
        self.columns = ", ".join(quote(field.column) for field in [*self.fields.values(), *rest])
        self.default_sql = "".join(f", %({prefix}{field.column})s" for field in rest)
        self._stamped = [
            (f"{prefix}{field.column}", field)
            for field in rest
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
        ]
        # The other defaults are constants (an empty dict, "", 0, False, None): adapted once.
        self._constants = {
            f"{prefix}{field.column}": field.get_db_prep_save(field.get_default(), connection)
            for field in rest
            if (f"{prefix}{field.column}", field) not in self._stamped
        }

    def value(self, name: str, value: Any, connection) -> Any:
        """A given field's value as the database takes it (a dict as JSON, a datetime...)."""
        return self.fields[name].get_db_prep_save(value, connection)

    def defaults(self, connection) -> dict[str, Any]:
        params = dict(self._constants)
        if self._stamped:
            now = timezone.now()
            for name, field in self._stamped:
                params[name] = field.get_db_prep_save(now, connection)
        return params


class Reader:
    """Instances of `model` from the values of its concrete fields in a hand-written SELECT,
    converted as the ORM converts them (e.g. SQLite's datetimes made aware, JSON decoded)."""

    def __init__(self, model: type[models.Model], connection) -> None:
        self.model = model
        self.fields = [field.attname for field in model._meta.concrete_fields]
        self._converters = []
        for index, field in enumerate(model._meta.concrete_fields):
            column = field.get_col(model._meta.db_table)
            converters = [*connection.ops.get_db_converters(column), *field.get_db_converters(connection)]
            if converters:
                self._converters.append((index, column, converters))

    def __call__(self, values: Sequence[Any], connection) -> models.Model:
        values = list(values)
        for index, column, converters in self._converters:
            for convert in converters:
                values[index] = convert(values[index], column, connection)
        return self.model.from_db(connection.alias, self.fields, values)
