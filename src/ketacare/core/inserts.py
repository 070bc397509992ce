"""`insert_rows`: Django's `bulk_create` for the monitor feed's hot tables, with less Python.

A Bundle of 100 monitor readings spent about a third of its time in `bulk_create`: Django
preparing every value of every field through its field machinery, then psycopg searching a
statement of some 1,500 `%s` placeholders for them (a statement that long is never cached, so
that search ran on every Bundle). Here:

- on PostgreSQL, one short statement whatever the number of rows, one array per column:
  `INSERT INTO t (a, b) SELECT * FROM unnest(%s::int[], %s::text[]) RETURNING id`;
- elsewhere (SQLite), `INSERT … VALUES (…), (…) RETURNING id` per batch, as `bulk_create`.

Integer, text, boolean and integer-key values go to the driver as they are; every other
field's values go through the field's own `get_db_prep_save` (dates and times, decimals), so
the database receives what `bulk_create` would have sent. Rows come back in the order given
(PostgreSQL returns a plain insert's rows in the order it inserted them, which `bulk_create`
relies on too), and each instance gets its primary key.

For models with an auto-incremented primary key, no `auto_now` fields and, for the array
path, only columns of the types listed in `_ARRAY_SAFE`; anything else goes to
`bulk_create`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.db import connections, models, router

M = TypeVar("M", bound=models.Model)

# Values of these fields go to the driver as they are (an int, a str, a bool or None).
_AS_IS = (
    models.IntegerField,  # SmallIntegerField, PositiveSmallIntegerField, BigIntegerField, …
    models.CharField,
    models.TextField,
    models.BooleanField,
)
# Fields whose values psycopg can send as a PostgreSQL array of the column's type.
_ARRAY_SAFE = (*_AS_IS, models.DateTimeField, models.DecimalField)
_AUTO = (models.AutoField, models.BigAutoField, models.SmallAutoField)


def insert_rows(objs: Sequence[M]) -> list[M]:
    """Insert `objs` (all of one model, none saved yet) and set their primary keys."""
    if not objs:
        return []
    model = type(objs[0])
    meta = model._meta
    db = router.db_for_write(model)
    connection = connections[db]
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    if (
        not isinstance(meta.pk, _AUTO)
        or not connection.features.can_return_rows_from_bulk_insert
        or any(getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False) for f in fields)
        or any(type(obj) is not model or obj.pk is not None for obj in objs)
    ):
        return model._default_manager.using(db).bulk_create(objs)
    prepare = [_preparer(f, connection) for f in fields]
    attnames = [f.attname for f in fields]
    quote = connection.ops.quote_name
    head = f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)})"
    returning = f" RETURNING {quote(meta.pk.column)}"
    as_arrays = connection.vendor == "postgresql" and all(
        isinstance(_target(f), _ARRAY_SAFE) for f in fields
    )

    def values(obj: models.Model) -> list[Any]:
        row = []
        for name, conv in zip(attnames, prepare, strict=True):
            value = getattr(obj, name)
            row.append(value if conv is None or value is None else conv(value))
        return row

    with connection.cursor() as cursor:
        if as_arrays:
            columns = list(zip(*(values(obj) for obj in objs), strict=True))
            casts = ", ".join(f"%s::{f.db_type(connection)}[]" for f in fields)
            sql = f"{head} SELECT * FROM unnest({casts}){returning}"  # noqa: S608  (names from the model)
            batches = [(objs, sql, [list(column) for column in columns])]
        else:
            size = max(1, connection.ops.bulk_batch_size(fields, objs))
            row_sql = "(" + ", ".join(["%s"] * len(fields)) + ")"
            batches = []
            for start in range(0, len(objs), size):
                chunk = objs[start : start + size]
                sql = f"{head} VALUES {', '.join([row_sql] * len(chunk))}{returning}"
                batches.append((chunk, sql, [v for obj in chunk for v in values(obj)]))
        for chunk, sql, params in batches:
            cursor.execute(sql, params)
            ids = [row[0] for row in cursor.fetchall()]
            if len(ids) != len(chunk):
                raise RuntimeError(f"{meta.db_table}: {len(chunk)} rows inserted, {len(ids)} ids")
            for obj, pk in zip(chunk, ids, strict=True):
                obj.pk = pk
                obj._state.adding = False
                obj._state.db = db
    return list(objs)


def _target(field: models.Field[Any, Any]) -> models.Field[Any, Any]:
    """The field whose type the column has (a foreign key's column is its target's type)."""
    return field.target_field if isinstance(field, models.ForeignKey) else field


def _preparer(field: models.Field[Any, Any], connection: Any) -> Callable[[Any], Any] | None:
    """None: pass the value as it is; otherwise the field's own conversion for the database."""
    if isinstance(_target(field), _AS_IS):
        return None
    return lambda value: field.get_db_prep_save(value, connection)
