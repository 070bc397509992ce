"""Small pieces the plan and scheduling resources share: R4B validation before sending, FHIR
Timing for protocol frequencies, and numbers as JSON.

`validated` constructs the `fhir.resources` R4B model of a resource we built, so a mapping bug
answers a 500 OperationOutcome instead of sending invalid FHIR. The model checks structure,
types and id/date formats, but not required code values, reference targets or invariants
(cpa-1, app-1…): the builders keep those themselves, and the tests pin each mapping.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from fhir.resources.R4B.resource import Resource
from pydantic import ValidationError

from ketacare.clinical.protocols import Frequency
from ketacare.fhir.outcome import FhirError


def validated(model: type[Resource], resource: dict[str, Any]) -> dict[str, Any]:
    """`resource`, once it has passed the R4B `model`; a 500 OperationOutcome if not."""
    try:
        model.model_validate(resource)
    except ValidationError as problem:
        first = problem.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise FhirError(
            500,
            "exception",
            f"The server built an invalid {resource.get('resourceType')}: {where}: {first['msg']}.",
        ) from problem
    return resource


def number(value: Decimal | int) -> int | float:
    """A Decimal as a JSON number: whole values as integers (0.500 → 0.5, 10.000 → 10)."""
    if isinstance(value, int):
        return value
    normal = value.normalize()
    return int(normal) if normal == normal.to_integral() else float(normal)


def _period(days: int) -> tuple[int, str]:
    """A period in days as (value, UCUM unit): whole weeks in weeks."""
    return (days // 7, "wk") if days % 7 == 0 else (days, "d")


def repeat_of(frequencies: Sequence[Frequency]) -> dict[str, Any] | None:
    """Timing.repeat for a choice of frequencies, when one repeat can say it: a single
    frequency; several with the same period (2–3 per week → frequency 2, frequencyMax 3); or
    several of one session per period (every 2–4 weeks → period 2, periodMax 4)."""
    if not frequencies:
        return None
    counts = sorted({f.count for f in frequencies})
    days = sorted({f.per_days for f in frequencies})
    if len(days) == 1:
        period, unit = _period(days[0])
        repeat: dict[str, Any] = {"frequency": counts[0], "period": period, "periodUnit": unit}
        if len(counts) > 1:
            repeat["frequencyMax"] = counts[-1]
        return repeat
    if len(counts) == 1:
        units = {_period(d)[1] for d in days}
        low, high = (days[0] // 7, days[-1] // 7) if units == {"wk"} else (days[0], days[-1])
        unit = "wk" if units == {"wk"} else "d"
        return {"frequency": counts[0], "period": low, "periodMax": high, "periodUnit": unit}
    return None


def weeks(value: int) -> dict[str, Any]:
    """A Duration (or Range bound) of `value` weeks, in UCUM."""
    return {"value": value, "unit": "wk", "system": "http://unitsofmeasure.org", "code": "wk"}
