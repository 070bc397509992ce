"""A typed temperature is stored as typed or refused, never rounded to another one (the feed
already refused 36.85 °C; the chair's form rounded it)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from ketacare.accounts.actions import ActionError
from ketacare.treatments import actions
from ketacare.treatments.models import VitalReading
from tests.treatments.session_helpers import actor, dosed, ready_session

pytestmark = pytest.mark.django_db


def test_a_temperature_with_two_decimals_is_refused_naming_the_field(world: Any) -> None:
    session = dosed(
        world.nurse_a, ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    )
    before = VitalReading.objects.filter(session=session).count()
    with pytest.raises(ActionError) as err:
        actions.do_record_vitals(actor(world.nurse_a), session, {"temperature_c": "36.85"})
    assert err.value.field == "temperature_c"
    assert VitalReading.objects.filter(session=session).count() == before


def test_one_decimal_and_a_trailing_zero_are_kept(world: Any) -> None:
    session = dosed(
        world.nurse_a, ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    )
    reading = actions.do_record_vitals(actor(world.nurse_a), session, {"temperature_c": "36.80"})
    assert reading.temperature_c == Decimal("36.8")


@pytest.mark.parametrize("typed", ["1e30", "-1e30", "99999999999999999999999999999"])
def test_a_temperature_too_large_to_round_is_refused_with_the_possible_range(
    world: Any, typed: str
) -> None:
    """Decimal cannot round 1e30 to 0.1 (InvalidOperation: a 500 page); it is refused as any
    impossible temperature is, naming the field and the possible range."""
    session = dosed(
        world.nurse_a, ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    )
    before = VitalReading.objects.filter(session=session).count()
    with pytest.raises(ActionError) as err:
        actions.do_record_vitals(actor(world.nurse_a), session, {"temperature_c": typed})
    assert err.value.field == "temperature_c"
    assert "outside the possible 30–44 °C" in err.value.message
    assert VitalReading.objects.filter(session=session).count() == before


def test_the_chair_form_refuses_a_huge_temperature_on_the_page(world: Any, as_user: Any) -> None:
    session = dosed(
        world.nurse_a, ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    )
    response = as_user(world.nurse_a).post(
        f"/patients/{session.patient_id}/sessions/{session.pk}/vitals/",
        {"temperature_c": "1e30", "systolic_mmhg": "120", "diastolic_mmhg": "80"},
    )
    assert response.status_code == 400
    assert not VitalReading.objects.filter(session=session, systolic_mmhg=120).exists()
