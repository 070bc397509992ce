"""Body measurements: plausibility limits and body-mass index.

BMI = weight (kg) / height (m)^2, rounded to one decimal (WHO definition).
The plausibility limits below reject typing errors (a weight entered in pounds into the
kilogram field, a height in metres into centimetres); they are not clinical thresholds.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal


@dataclass(frozen=True)
class MeasurementLimits:
    # Generous adult-and-adolescent ranges; anything outside is almost surely a unit error.
    weight_kg_min: Decimal = Decimal("20")
    weight_kg_max: Decimal = Decimal("350")
    height_cm_min: Decimal = Decimal("100")
    height_cm_max: Decimal = Decimal("250")
    # A weight this far (as a fraction) from the patient's last one is asked to be confirmed,
    # never refused: a pounds/kilograms slip (× 2.2) or a wrong chart moves a weight-based dose
    # with it. A data-entry check, not a clinical threshold.
    weight_change_confirm: Decimal = Decimal("0.10")


DEFAULT_LIMITS = MeasurementLimits()


def check_weight(weight_kg: Decimal, limits: MeasurementLimits = DEFAULT_LIMITS) -> str | None:
    """Return the reason a weight is implausible, or None when it is acceptable."""
    if not limits.weight_kg_min <= weight_kg <= limits.weight_kg_max:
        return (
            f"{weight_kg} kg is outside {limits.weight_kg_min}–{limits.weight_kg_max} kg; "
            "check the unit (kilograms, not pounds)."
        )
    return None


def weight_change_to_confirm(
    weight_kg: Decimal, previous_kg: Decimal | None, limits: MeasurementLimits = DEFAULT_LIMITS
) -> str | None:
    """The reason to ask for confirmation when `weight_kg` differs from the previous weight
    by more than the limit's fraction, or None."""
    if previous_kg is None or previous_kg <= 0:
        return None
    change = (weight_kg - previous_kg) / previous_kg
    if abs(change) <= limits.weight_change_confirm:
        return None
    pct = (abs(change) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    way = "more" if change > 0 else "less"
    return (
        f"{weight_kg} kg is {pct} % {way} than the last weight, {previous_kg} kg: check the "
        "scale and the unit (kilograms, not pounds). Weight-based doses follow it. If it is "
        "right, confirm it."
    )


def check_height(height_cm: Decimal, limits: MeasurementLimits = DEFAULT_LIMITS) -> str | None:
    if not limits.height_cm_min <= height_cm <= limits.height_cm_max:
        return (
            f"{height_cm} cm is outside {limits.height_cm_min}–{limits.height_cm_max} cm; "
            "check the unit (centimetres, not metres or inches)."
        )
    return None


def bmi(weight_kg: Decimal, height_cm: Decimal) -> Decimal:
    """Body-mass index in kg/m², one decimal."""
    metres = Decimal(height_cm) / Decimal(100)
    value = Decimal(weight_kg) / (metres * metres)
    return value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


# WHO adult BMI categories (kg/m²).
BMI_CATEGORIES: tuple[tuple[Decimal, str], ...] = (
    (Decimal("18.5"), "underweight"),
    (Decimal("25"), "healthy weight"),
    (Decimal("30"), "overweight"),
    (Decimal("Infinity"), "obesity"),
)


def bmi_category(value: Decimal) -> str:
    for upper, label in BMI_CATEGORIES:
        if value < upper:
            return label
    return BMI_CATEGORIES[-1][1]
