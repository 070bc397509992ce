"""Review of the controlled-substance log (issue 6 item 3): a lot the log says is used up is
no longer offered for a dose (it stayed first in the list, by expiry, and was picked out of
habit, putting the wrong lot number on the dose record and the REMS form); the log's own form
still offers every lot, to record truthfully whatever was drawn."""

from __future__ import annotations

from typing import Any

import pytest

from ketacare.treatments import substance_actions as sa
from ketacare.treatments.models_substances import LotDrug
from ketacare.treatments.substance_ledger import lots_for_route
from tests.conftest import PASSWORD
from tests.treatments.session_helpers import actor, checks_ok, dosed, ready_session
from tests.treatments.substance_helpers import device_lot

pytestmark = pytest.mark.django_db


def test_a_used_up_lot_is_not_offered_for_a_dose(world: Any, as_user: Any) -> None:
    empty = device_lot(world.nurse_a, world.clinic_a, "ES-EMPTY", units=2)
    stocked = device_lot(world.nurse_a, world.clinic_a, "ES-STOCK", units=6)
    first = dosed(
        world.nurse_a,
        ready_session(world.prescriber_a, world.nurse_a, world.patient_a, route="esketamine_nasal"),
    )
    entry = sa.do_record_use(
        actor(world.nurse_a), first, {"lot": empty.pk, "units_opened": 2, "given_mg": "56"}
    )
    offered = lots_for_route(world.clinic_a, LotDrug.ESKETAMINE_DEVICE)
    assert [lot.lot_number for lot in offered] == ["ES-STOCK"]
    assert {
        lot.pk for lot in lots_for_route(world.clinic_a, "esketamine_device", include_expired=True)
    } == {
        empty.pk,
        stocked.pk,
    }
    # A correction that gives the devices back puts the lot back in the list.
    sa.do_correct_entry(
        actor(world.nurse_a),
        world.clinic_a,
        entry.pk,
        {"lot": stocked.pk, "units_opened": 2, "given_mg": "56", "correction_reason": "wrong lot"},
    )
    offered = lots_for_route(world.clinic_a, LotDrug.ESKETAMINE_DEVICE)
    assert [lot.lot_number for lot in offered] == ["ES-EMPTY", "ES-STOCK"]


def test_the_dose_form_lists_only_lots_in_stock(world: Any, as_user: Any) -> None:
    empty = device_lot(world.nurse_a, world.clinic_a, "ES-EMPTY", units=1)
    sa.do_record_waste(
        actor(world.nurse_a),
        world.clinic_a,
        {
            "lot": empty.pk,
            "units_opened": 1,
            "note": "device dropped",
            "witness_email": "prescriber@a.test",
            "witness_password": PASSWORD,
        },
    )
    device_lot(world.nurse_a, world.clinic_a, "ES-STOCK", units=6)
    session = checks_ok(
        world.nurse_a,
        ready_session(world.prescriber_a, world.nurse_a, world.patient_a, route="esketamine_nasal"),
    )
    body = (
        as_user(world.nurse_a)
        .get(f"/patients/{session.patient_id}/sessions/{session.pk}/")
        .content.decode()
    )
    assert "ES-STOCK · exp" in body and "ES-EMPTY · exp" not in body
