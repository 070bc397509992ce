"""Model instances from the rows of a hand-written query, converted exactly as the ORM would.

For the few hot queries whose building by the ORM costs more than the database's answer
(the API token lookup runs on every API call): select every concrete column of each model,
in field order (`columns`), and turn each slice of the row into an instance (`instance`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from typing import Any, TypeVar

from django.db import connections
from django.db.models import Model

M = TypeVar("M", bound=Model)
Converter = Callable[[Any, Any, Any], Any]


def columns(model: type[Model], alias: str) -> str:
    """`alias.col1, alias.col2, …`: the model's concrete columns in field order."""
    quote = connections["default"].ops.quote_name
    return ", ".join(f"{alias}.{quote(f.column)}" for f in model._meta.concrete_fields)


def width(model: type[Model]) -> int:
    return len(model._meta.concrete_fields)


@cache
def _converters(model: type[Model], db: str) -> list[tuple[Any, list[Converter]]]:
    connection = connections[db]
    found = []
    for field in model._meta.concrete_fields:
        col = field.get_col(model._meta.db_table)
        found.append(
            (
                col,
                [
                    *connection.ops.get_db_converters(col),
                    *field.get_db_converters(connection),  # type: ignore[attr-defined]  # stubs lack it
                ],
            )
        )
    return found


def instance(model: type[M], db: str, values: Sequence[Any]) -> M:
    """The instance of `model` from its columns' raw values (as `columns` selected them)."""
    connection = connections[db]
    converted = []
    for value, (col, converters) in zip(values, _converters(model, db), strict=True):
        for convert in converters:
            value = convert(value, col, connection)
        converted.append(value)
    return model.from_db(db, [f.attname for f in model._meta.concrete_fields], converted)
