"""Review of the controlled-substance log (issue 6 item 3): the lot the log draws a session's
dose from is the lot the dose record names; a different lot is a discrepancy to resolve
before signing, since the balances of both lots are wrong otherwise."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from ketacare.accounts.actions import ActionError
from ketacare.treatments import actions, signing
from ketacare.treatments import substance_actions as sa
from ketacare.treatments.models import TreatmentSession
from ketacare.treatments.substance_ledger import session_log_problems
from tests.treatments.session_helpers import NORMAL, actor, checks_ok, infused, ready_session
from tests.treatments.substance_helpers import vial_lot

pytestmark = pytest.mark.django_db


def _discharged_from(world: Any, lot_id: int) -> TreatmentSession:
    session = checks_ok(
        world.nurse_a, ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    )
    calc = actions.session_dose(session)
    nurse = actor(world.nurse_a)
    session = actions.do_start_dose(nurse, session, {"lot_id": lot_id, "given_mg": calc.dose_mg})
    session = actions.do_end_infusion(nurse, infused(session))
    TreatmentSession.objects.filter(pk=session.pk).update(
        observation_started_at=timezone.now() - timedelta(minutes=125)
    )
    session.refresh_from_db()
    actions.do_record_vitals(nurse, session, NORMAL)
    return actions.do_discharge(nurse, session, escort_confirmed=True)


def test_a_log_entry_on_another_lot_than_the_dose_record_s_is_named_and_holds_signing(
    world: Any,
) -> None:
    used = vial_lot(world.nurse_a, world.clinic_a, "KV-USED")
    other = vial_lot(world.nurse_a, world.clinic_a, "KV-OTHER")
    session = _discharged_from(world, used.pk)
    given = str(session.dose.given_mg)
    sa.do_record_use(
        actor(world.nurse_a), session, {"lot": other.pk, "drawn_mg": given, "given_mg": given}
    )
    problems = session_log_problems(session)
    assert problems and "KV-USED" in " ".join(problems) and "KV-OTHER" in " ".join(problems)
    with pytest.raises(ActionError) as refused:
        signing.do_sign(actor(world.nurse_a), session, "nurse")
    assert "KV-USED" in refused.value.message


def test_the_log_on_the_dose_record_s_lot_signs(world: Any) -> None:
    used = vial_lot(world.nurse_a, world.clinic_a, "KV-USED")
    session = _discharged_from(world, used.pk)
    given = str(session.dose.given_mg)
    sa.do_record_use(
        actor(world.nurse_a), session, {"lot": used.pk, "drawn_mg": given, "given_mg": given}
    )
    assert session_log_problems(session) == []
    signing.do_sign(actor(world.nurse_a), session, "nurse")
