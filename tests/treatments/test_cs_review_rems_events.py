"""Review of the REMS Patient Monitoring Form (issue 6 item 9, clinical.md §6d): the adverse
effects the chair recorded reach the form. A respiratory depression the nurse recorded, a
severe side effect or a transfer to emergency care must not be filed as "No"."""

from __future__ import annotations

from typing import Any

import pytest

from ketacare.accounts.actions import ActionError
from ketacare.treatments import actions, rems_actions, side_effects
from ketacare.treatments.rems_form import build_form
from tests.treatments.session_helpers import actor, dosed, ready_session
from tests.treatments.test_rems_form import run_esketamine

pytestmark = pytest.mark.django_db


def _effect(world: Any, session: Any, code: str, severity: str, **extra: Any) -> None:
    side_effects.do_record_side_effect(
        actor(world.nurse_a), session, {"code": code, "severity": severity, **extra}
    )


def test_a_recorded_respiratory_depression_is_observed_and_serious(world: Any) -> None:
    session = run_esketamine(world)  # SpO2 and RR stayed within limits in every reading
    _effect(
        world,
        session,
        "resp_depression",
        "moderate",
        intervention_drug="oxygen",
        intervention_dose="2 L/min",
    )
    fields = build_form(session).by_code()
    assert fields["respiratory_observed"].value == "Yes"  # was "No" from SpO2/RR alone
    assert "Side effect recorded" in fields["respiratory_observed"].source
    assert fields["respiratory_resolved"].value == "Yes"  # the last reading is within limits
    sae = fields["serious_adverse_events"]
    assert sae.value is not None and sae.value.startswith("Yes: Respiratory depression")
    assert "oxygen 2 L/min" in sae.value
    assert "serious_adverse_events" not in {f.code for f in build_form(session).missing}


def test_a_recorded_dissociation_is_observed(world: Any) -> None:
    session = run_esketamine(world, bp_at_40=False)  # CADSS-6 0 in every reading after dosing
    assert build_form(session).by_code()["dissociation_observed"].value == "No"
    _effect(world, session, "dissociation", "mild")
    fields = build_form(session).by_code()
    assert fields["dissociation_observed"].value == "Yes"
    assert fields["dissociation_resolved"].value == "Yes"


def test_a_mild_side_effect_is_shown_and_staff_answer_the_serious_question(world: Any) -> None:
    session = run_esketamine(world)
    _effect(world, session, "nausea", "mild")
    sae = build_form(session).by_code()["serious_adverse_events"]
    assert sae.value is None and sae.editable
    assert "Nausea (mild)" in sae.source


def test_a_transfer_to_emergency_care_is_a_serious_adverse_event(world: Any) -> None:
    session = dosed(
        world.nurse_a,
        ready_session(world.prescriber_a, world.nurse_a, world.patient_a, route="esketamine_nasal"),
    )
    actions.do_record_device(actor(world.nurse_a), session)
    session.refresh_from_db()
    session = actions.do_transfer_out(
        actor(world.nurse_a), session, "Chest pain and BP 210/120, ambulance to the ED"
    )
    sae = build_form(session).by_code()["serious_adverse_events"]
    assert sae.value is not None and sae.value.startswith("Yes: Transferred out")
    assert "ambulance to the ED" in sae.value


def test_a_no_typed_before_a_serious_event_was_recorded_does_not_stand(world: Any) -> None:
    session = run_esketamine(world)
    nurse = actor(world.nurse_a)
    rems_actions.do_save_rems_entries(nurse, session, {"serious_adverse_events": "No"})
    assert build_form(session).by_code()["serious_adverse_events"].value == "No"
    # The severe event is recorded afterwards: the record's "Yes" stands, the "No" is shown.
    _effect(world, session, "hypertension", "severe")
    sae = build_form(session).by_code()["serious_adverse_events"]
    assert sae.value is not None and sae.value.startswith("Yes: Hypertension (severe)")
    assert "“No” typed on this form is contradicted by the record" in sae.source
    # "No" cannot be saved against the record; a description can.
    with pytest.raises(ActionError) as refused:
        rems_actions.do_save_rems_entries(nurse, session, {"serious_adverse_events": "no"})
    assert refused.value.field == "serious_adverse_events"
    assert "Hypertension (severe)" in refused.value.message
    rems_actions.do_save_rems_entries(
        nurse, session, {"serious_adverse_events": "Yes: BP 192/112 at 40 min, labetalol given"}
    )
    sae = build_form(session).by_code()["serious_adverse_events"]
    assert sae.value == "Yes: BP 192/112 at 40 min, labetalol given" and sae.entered
