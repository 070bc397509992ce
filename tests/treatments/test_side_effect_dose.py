"""An intervention's dose is an amount above 0 with its unit ("4 mg IV", "2 L/min"): junk
("banana", "-4 mg", "0") is refused on the dose field, and nothing is stored."""

from __future__ import annotations

from typing import Any

import pytest

from ketacare.accounts.actions import ActionError
from ketacare.treatments import side_effects
from ketacare.treatments.models_chair import SideEffect
from tests.treatments.session_helpers import actor, dosed, ready_session

pytestmark = pytest.mark.django_db


def _dosed(world: Any) -> Any:
    return dosed(world.nurse_a, ready_session(world.prescriber_a, world.nurse_a, world.patient_a))


def _record(world: Any, session: Any, dose: str) -> SideEffect:
    return side_effects.do_record_side_effect(
        actor(world.nurse_a),
        session,
        {
            "code": "nausea",
            "severity": "moderate",
            "intervention_drug": "Ondansetron",
            "intervention_dose": dose,
        },
    )


@pytest.mark.parametrize(
    "dose",
    ["4 mg IV", "4mg", "0.5 mg", "0,5 mg", "2 L/min", "1 tablet", "25 mcg", "10 mL", "4 mg ODT"],
)
def test_an_amount_with_its_unit_is_recorded_as_typed(world: Any, dose: str) -> None:
    effect = _record(world, _dosed(world), dose)
    assert effect.intervention_dose == dose


@pytest.mark.parametrize(
    "dose", ["banana", "-4 mg", "0", "0 mg", "4", "mg 4", "9999999999 mg", "4 miles", "4 mgx"]
)
def test_anything_else_is_refused_on_the_dose_field(world: Any, dose: str) -> None:
    session = _dosed(world)
    with pytest.raises(ActionError) as refused:
        _record(world, session, dose)
    assert refused.value.field == "intervention_dose"
    assert "is not a dose" in refused.value.message
    assert not SideEffect.objects.exists()
