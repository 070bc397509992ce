"""Review of the controlled-substance log (issue 6 item 3): correcting a waste keeps what
happened (the note the waste needs) unless the nurse retypes it."""

from __future__ import annotations

from typing import Any

import pytest

from ketacare.treatments import substance_actions as sa
from tests.conftest import PASSWORD
from tests.treatments.session_helpers import actor
from tests.treatments.substance_helpers import vial_lot

pytestmark = pytest.mark.django_db

WITNESS = {"witness_email": "prescriber@a.test", "witness_password": PASSWORD}


def test_a_corrected_waste_keeps_what_happened(world: Any) -> None:
    lot = vial_lot(world.nurse_a, world.clinic_a)
    nurse = actor(world.nurse_a)
    waste = sa.do_record_waste(
        nurse, world.clinic_a, {"lot": lot.pk, "drawn_mg": "50", "note": "vial dropped"} | WITNESS
    )
    fixed = sa.do_correct_entry(
        nurse,
        world.clinic_a,
        waste.pk,
        {"drawn_mg": "500", "correction_reason": "the whole vial broke"} | WITNESS,
    )
    assert fixed.note == "vial dropped" and fixed.wasted_mg == 500
    again = sa.do_correct_entry(
        nurse,
        world.clinic_a,
        fixed.pk,
        {"drawn_mg": "500", "note": "vial cracked in the fridge", "correction_reason": "note"}
        | WITNESS,
    )
    assert again.note == "vial cracked in the fridge"
