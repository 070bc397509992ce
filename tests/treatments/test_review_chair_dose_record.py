"""Review of the dosing record (issue 6 item 3): the concentration recorded with the dose is the
lot's, and an impossible concentration is refused naming the field, never dropped."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from ketacare.accounts.actions import ActionError
from ketacare.treatments import actions
from ketacare.treatments.models import DoseRecord, SessionStatus
from tests.treatments.session_helpers import actor, checks_ok, ready_session
from tests.treatments.substance_helpers import vial_lot

pytestmark = pytest.mark.django_db


def _ready(world: Any) -> Any:
    session = ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    return checks_ok(world.nurse_a, session)


def test_a_typed_concentration_that_contradicts_the_chosen_lot_is_refused(world: Any) -> None:
    lot = vial_lot(world.nurse_a, world.clinic_a)  # 50 mg/mL
    session = _ready(world)
    calc = actions.session_dose(session)
    with pytest.raises(ActionError) as err:
        actions.do_start_dose(
            actor(world.nurse_a),
            session,
            {"lot_id": lot.pk, "concentration_mg_per_ml": Decimal("10"), "given_mg": calc.dose_mg},
        )
    assert err.value.field == "concentration_mg_per_ml"
    assert not DoseRecord.objects.filter(session=session).exists()


def test_the_lot_s_own_concentration_typed_again_is_accepted(world: Any) -> None:
    lot = vial_lot(world.nurse_a, world.clinic_a)
    session = _ready(world)
    calc = actions.session_dose(session)
    session = actions.do_start_dose(
        actor(world.nurse_a),
        session,
        {"lot_id": lot.pk, "concentration_mg_per_ml": Decimal("50.0"), "given_mg": calc.dose_mg},
    )
    assert session.dose.concentration_mg_per_ml == 50


@pytest.mark.parametrize("typed", ["0", "-5"])
def test_an_impossible_concentration_is_refused_naming_the_field(world: Any, typed: str) -> None:
    session = _ready(world)
    calc = actions.session_dose(session)
    with pytest.raises(ActionError) as err:
        actions.do_start_dose(
            actor(world.nurse_a),
            session,
            {
                "lot_number": "LOT-1",
                "expiry": date(2099, 1, 1),
                "concentration_mg_per_ml": typed,
                "given_mg": calc.dose_mg,
            },
        )
    assert err.value.field == "concentration_mg_per_ml"
    session.refresh_from_db()
    assert session.status == SessionStatus.PRE_DOSE


def test_a_zero_concentration_posted_on_the_page_is_a_400_naming_it(
    world: Any, as_user: Any
) -> None:
    session = _ready(world)
    calc = actions.session_dose(session)
    response = as_user(world.nurse_a).post(
        reverse("treatments:dose", args=[world.patient_a.pk, session.pk]),
        {
            "lot_number": "LOT-1",
            "expiry": "2099-01-01",
            "concentration_mg_per_ml": "0",
            "given_mg": str(calc.dose_mg),
        },
    )
    assert response.status_code == 400
    assert "concentration_mg_per_ml" in response.context["dose_form"].errors
    assert not DoseRecord.objects.filter(session=session).exists()
