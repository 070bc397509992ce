"""Review of the controlled-substance log (issue 6 item 3): signing waits for a log entry only
where the clinic keeps that drug's log here. A clinic logging its ketamine vials but not its
esketamine devices had no device lot to record against: its esketamine sessions could never
be signed."""

from __future__ import annotations

from typing import Any

import pytest

from ketacare.treatments import signing
from ketacare.treatments.substance_ledger import session_log_problems
from tests.treatments.session_helpers import actor
from tests.treatments.substance_helpers import device_lot, vial_lot
from tests.treatments.test_rems_form import run_esketamine

pytestmark = pytest.mark.django_db


def test_an_esketamine_session_signs_where_only_vials_are_logged(world: Any) -> None:
    vial_lot(world.nurse_a, world.clinic_a)
    session = run_esketamine(world)
    assert session.dose.given_mg == 56
    assert session_log_problems(session) == []
    signing.do_sign(actor(world.nurse_a), session, "nurse")


def test_once_devices_are_logged_the_esketamine_dose_needs_its_entry(world: Any) -> None:
    device_lot(world.nurse_a, world.clinic_a)
    session = run_esketamine(world)
    problems = session_log_problems(session)
    assert len(problems) == 1 and "No entry in the controlled-substance log" in problems[0]
