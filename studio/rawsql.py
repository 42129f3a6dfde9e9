"""Statements written once per process from the models' metadata, run with a plain cursor.

The ORM compiles a query on every call. For the few statements every flow run makes (its
claim, its load with six related tables, its checkpoints) that compilation was most of their
cost: ~1 ms of Python for the run's load against ~0.1 ms for the statement itself
(docs/performance.md). These helpers write such a statement's column lists from the model's
fields, prepare values as the ORM would (`Field.get_db_prep_save`) and build instances from a
row through the same converters the ORM applies (the backend's and `Field.from_db_value`),
so what comes back is the instance a queryset would have built.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

T = TypeVar("T")


def per_vendor(build: Callable[[BaseDatabaseWrapper], T]) -> Callable[[BaseDatabaseWrapper], T]:
    """`build(connection)` once per database vendor and process: for statements written from
    the models' metadata, which differ by vendor only (quoting, casts, what SQL it has)."""
    built: dict[str, T] = {}

    def get(connection: BaseDatabaseWrapper) -> T:
        found = built.get(connection.vendor)
        if found is None:
            found = built[connection.vendor] = build(connection)
        return found

    return get


class Columns:
    """A model's concrete columns under a table alias, and the instance built from them."""

    def __init__(self, model: type[models.Model], alias: str, *, exclude: Iterable[str] = ()) -> None:
        self.model, self.alias = model, alias
        skipped = set(exclude)
        self.fields = [f for f in model._meta.concrete_fields if f.name not in skipped]
        self.attnames = [f.attname for f in self.fields]
        self._pk_index = self.attnames.index(model._meta.pk.attname)
        self._converters: dict[str, list[tuple[int, list[Callable], Any]]] = {}

    def __len__(self) -> int:
        return len(self.fields)

    def select(self, connection: BaseDatabaseWrapper) -> str:
        quote = connection.ops.quote_name
        return ", ".join(f"{self.alias}.{quote(f.column)}" for f in self.fields)

    def build(self, connection: BaseDatabaseWrapper, values: Sequence[Any]) -> models.Model | None:
        """The instance, or None when the row has none (an outer join that matched nothing)."""
        if values[self._pk_index] is None:
            return None
        values = list(values)
        for index, converters, expression in self._converters_for(connection):
            value = values[index]
            for converter in converters:
                value = converter(value, expression, connection)
            values[index] = value
        return self.model.from_db(connection.alias, self.attnames, values)

    def _converters_for(self, connection: BaseDatabaseWrapper) -> list[tuple[int, list[Callable], Any]]:
        found = self._converters.get(connection.alias)
        if found is None:
            found = []
            for index, field in enumerate(self.fields):
                expression = field.get_col(self.alias)
                converters = connection.ops.get_db_converters(expression) + field.get_db_converters(
                    connection
                )
                if converters:
                    found.append((index, converters, expression))
            self._converters[connection.alias] = found
        return found


def build_parts(
    connection: BaseDatabaseWrapper, parts: Sequence[Columns], row: Sequence[Any]
) -> list[models.Model | None]:
    """The instances of a row that selected each of `parts`' columns in turn."""
    objects, start = [], 0
    for part in parts:
        objects.append(part.build(connection, row[start : start + len(part)]))
        start += len(part)
    return objects


def prepared(
    model: type[models.Model], connection: BaseDatabaseWrapper, values: dict[str, Any]
) -> tuple[list[str], list[Any]]:
    """Quoted column names and database values for `values` (field names or attnames)."""
    meta, quote = model._meta, connection.ops.quote_name
    columns, params = [], []
    for name, value in values.items():
        field = meta.get_field(name)
        if hasattr(value, "prepare_database_save"):  # a model instance for a foreign key
            value = value.prepare_database_save(field)
        columns.append(quote(field.column))
        params.append(field.get_db_prep_save(value, connection))
    return columns, params


def insert_values(
    instance: models.Model, fields: Sequence[models.Field], connection: BaseDatabaseWrapper
) -> list[Any]:
    """What the ORM's INSERT would write for `fields` of a new instance (pre_save included)."""
    return [f.get_db_prep_save(f.pre_save(instance, True), connection) for f in fields]


class Insert:
    """The columns of an INSERT into `model`'s table: the ones the caller gives (by attname),
    then every other concrete field at its default, but the primary key and the fields the
    database fills itself. Parameters are named (`%(name)s`), so statements compose.

    `columns`: the SQL column list; `default_sql`: ", %(<prefix><column>)s" per defaulted
    column, for the caller to append to its own values (on PostgreSQL cast to the column's
    type: a prepared INSERT ... SELECT would otherwise take a NULL as text);
    `defaults(connection)`: their parameters for one row (`auto_now`/`auto_now_add` fields
    stamped now, as `save()` does).
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
        cast = connection.vendor == "postgresql"
        self.default_sql = "".join(
            f", %({prefix}{field.column})s" + (f"::{field.db_type(connection)}" if cast else "")
            for field in rest
        )
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
