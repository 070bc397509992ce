"""A session is signed only when the controlled-substance log accounts for the dose given:
once locked, no entry can be added or corrected, so a missing or different entry would stay
wrong in the log for good."""

from __future__ import annotations

from typing import Any

import pytest

from ketacare.accounts.actions import ActionError
from ketacare.treatments import signing
from ketacare.treatments import substance_actions as sa
from ketacare.treatments.substance_ledger import session_log_problems
from tests.treatments.session_helpers import actor
from tests.treatments.substance_helpers import vial_lot
from tests.treatments.test_signing import _discharged

pytestmark = pytest.mark.django_db


def test_signing_waits_for_a_log_entry_for_the_dose_given(world: Any, as_user: Any) -> None:
    # The lot the dose record names (typed "LOT-1" by `dosed`).
    lot = vial_lot(world.nurse_a, world.clinic_a, "LOT-1")
    session = _discharged(world)
    given = session.dose.given_mg
    with pytest.raises(ActionError) as refused:
        signing.do_sign(actor(world.nurse_a), session, "nurse")
    assert refused.value.field == "sign"
    assert "No entry in the controlled-substance log" in refused.value.message
    page = as_user(world.nurse_a).get(f"/patients/{session.patient_id}/sessions/{session.pk}/")
    assert 'data-testid="log-problems"' in page.content.decode()

    sa.do_record_use(
        actor(world.nurse_a), session, {"lot": lot.pk, "drawn_mg": "1", "given_mg": "1"}
    )
    with pytest.raises(ActionError) as refused:
        signing.do_sign(actor(world.nurse_a), session, "nurse")
    assert "records 1 mg given" in refused.value.message

    entry = session.substance_entries.get()
    sa.do_correct_entry(
        actor(world.nurse_a),
        world.clinic_a,
        entry.pk,
        {
            "drawn_mg": str(given),
            "given_mg": str(given),
            "correction_reason": "typed the wrong amount",
        },
    )
    assert session_log_problems(session) == []
    signing.do_sign(actor(world.nurse_a), session, "nurse")
    signing.do_sign(actor(world.prescriber_a), session, "prescriber")
    session.refresh_from_db()
    assert session.locked_at is not None


def test_a_clinic_that_keeps_no_log_here_signs_as_before(world: Any) -> None:
    session = _discharged(world)
    assert session_log_problems(session) == []
    signing.do_sign(actor(world.nurse_a), session, "nurse")
