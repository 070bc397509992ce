"""Review of the controlled-substance log (issue 6 item 3): wasting an expired lot before a
witness is how expired stock leaves the clinic, not a discrepancy; drawing it for a patient
is one."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from ketacare.treatments import substance_actions as sa
from ketacare.treatments.substance_ledger import balance, discrepancies
from tests.conftest import PASSWORD
from tests.treatments.session_helpers import actor, dosed, ready_session
from tests.treatments.substance_helpers import vial_lot

pytestmark = pytest.mark.django_db


def test_wasting_an_expired_lot_is_no_discrepancy_but_using_it_is(world: Any) -> None:
    old = vial_lot(world.nurse_a, world.clinic_a, "OLD-1", units=2, expiry=date(2020, 1, 1))
    sa.do_record_waste(
        actor(world.nurse_a),
        world.clinic_a,
        {
            "lot": old.pk,
            "units_opened": 1,
            "drawn_mg": "500",
            "note": "expired vial disposed of",
            "witness_email": "prescriber@a.test",
            "witness_password": PASSWORD,
        },
    )
    assert balance(old) == 500
    assert discrepancies(world.clinic_a) == []
    session = dosed(
        world.nurse_a, ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    )
    sa.do_record_use(
        actor(world.nurse_a), session, {"lot": old.pk, "drawn_mg": "10", "given_mg": "10"}
    )
    assert [d.problem for d in discrepancies(world.clinic_a)] == [
        "Lot OLD-1 used after its expiry 2020-01-01."
    ]
