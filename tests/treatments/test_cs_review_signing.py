"""Review of the controlled-substance log (issue 6 item 3): what signing checks. Once a
session is signed nothing in its log can be corrected, so an entry that does not account for
what it drew, or a log on another lot than the one the dose record names, must hold signing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from ketacare.accounts.actions import ActionError
from ketacare.treatments import signing
from ketacare.treatments import substance_actions as sa
from ketacare.treatments.substance_ledger import discrepancies, session_log_problems
from tests.conftest import PASSWORD
from tests.treatments.session_helpers import actor, dosed, ready_session
from tests.treatments.substance_helpers import device_lot, vial_lot
from tests.treatments.test_signing import _discharged

pytestmark = pytest.mark.django_db


def test_a_draw_not_given_nor_wasted_holds_signing_until_corrected(world: Any) -> None:
    lot = vial_lot(world.nurse_a, world.clinic_a, "LOT-1")
    session = _discharged(world)
    given = session.dose.given_mg
    # 50 mg more drawn than given, nothing wasted: 50 mg of ketamine unaccounted for.
    entry = sa.do_record_use(
        actor(world.nurse_a),
        session,
        {"lot": lot.pk, "drawn_mg": str(given + 50), "given_mg": str(given)},
    )
    problems = session_log_problems(session)
    assert len(problems) == 1 and f"≠ given {given.normalize():f} mg" in problems[0]
    with pytest.raises(ActionError) as refused:
        signing.do_sign(actor(world.nurse_a), session, "nurse")
    assert refused.value.field == "sign" and "wasted 0 mg" in refused.value.message
    session.refresh_from_db()
    assert session.locked_at is None and not session.signatures.exists()
    # The rest was wasted before a witness: the correction accounts for it, signing goes on.
    sa.do_correct_entry(
        actor(world.nurse_a),
        world.clinic_a,
        entry.pk,
        {
            "drawn_mg": str(given + 50),
            "given_mg": str(given),
            "wasted_mg": "50",
            "witness_email": "prescriber@a.test",
            "witness_password": PASSWORD,
            "correction_reason": "forgot to log the waste",
        },
    )
    assert session_log_problems(session) == []
    signing.do_sign(actor(world.nurse_a), session, "nurse")


def test_a_log_on_another_lot_than_the_typed_lot_number_holds_signing(world: Any) -> None:
    vial_lot(world.nurse_a, world.clinic_a, "LOT-1")
    other = vial_lot(world.nurse_a, world.clinic_a, "KV-OTHER")
    session = _discharged(world)  # the dose record's lot number was typed: LOT-1
    assert session.dose.drug_lot_id is None and session.dose.lot_number == "LOT-1"
    given = str(session.dose.given_mg)
    sa.do_record_use(
        actor(world.nurse_a), session, {"lot": other.pk, "drawn_mg": given, "given_mg": given}
    )
    with pytest.raises(ActionError) as refused:
        signing.do_sign(actor(world.nurse_a), session, "nurse")
    assert "LOT-1" in refused.value.message and "KV-OTHER" in refused.value.message


def test_devices_opened_and_mg_drawn_must_agree(world: Any) -> None:
    lot = device_lot(world.nurse_a, world.clinic_a, "ES-1", units=6)
    session = dosed(
        world.nurse_a,
        ready_session(world.prescriber_a, world.nurse_a, world.patient_a, route="esketamine_nasal"),
    )
    nurse = actor(world.nurse_a)
    # Two devices opened, one logged: a whole 28 mg device unaccounted for.
    sa.do_record_use(
        nurse, session, {"lot": lot.pk, "units_opened": 2, "drawn_mg": "28", "given_mg": "28"}
    )
    # A device is used whole: 30 mg is not a number of devices.
    sa.do_record_use(nurse, session, {"lot": lot.pk, "drawn_mg": "30", "given_mg": "30"})
    found = [d.problem for d in discrepancies(world.clinic_a)]
    assert "2 device(s) opened but 28 mg drawn (1 device(s))." in found
    assert "Drawn 30 mg is not a whole number of 28 mg devices." in found
    assert len(session_log_problems(session)) >= 2
    assert lot.received_mg == Decimal("168.00")
