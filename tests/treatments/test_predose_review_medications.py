"""Medication changes since the last visit (issue 6 item 2; clinical.md §4): the nurse ticks
which classes (benzodiazepines, stimulants, MAOIs, opioids) were started, stopped or changed;
any tick holds the dose for the prescriber's documented decision, the reason naming them."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import AuditEntry
from ketacare.treatments import actions
from ketacare.treatments.models import PreDoseCheck, TreatmentSession, VitalReading
from tests.conftest import make_patient
from tests.scheduling.sched_helpers import iv_plan
from tests.treatments.session_helpers import (
    NORMAL,
    actor,
    answers_for,
    appointment,
    consent,
    phq9_today,
    ready_session,
)

pytestmark = pytest.mark.django_db


def _url(session: Any, step: str = "") -> str:
    return f"/patients/{session.patient_id}/sessions/{session.pk}/{step}"


def _session(world: Any) -> TreatmentSession:
    return ready_session(world.prescriber_a, world.nurse_a, world.patient_a)


def _record(world: Any, session: TreatmentSession, classes: list[str], note: str = "") -> Any:
    answers = answers_for(session) | {"medication_changes": ("yes", note)}
    return actions.do_record_checks(actor(world.nurse_a), session, answers, NORMAL, classes)


def test_no_class_ticked_passes_without_hold(world: Any) -> None:
    session = _record(world, _session(world), [])
    assert session.checks_passed and not session.on_hold
    row = PreDoseCheck.objects.get(session=session, code="medication_changes")
    assert row.changed_classes == []


def test_a_ticked_class_holds_naming_the_classes_and_the_prescriber_clears_it(
    world: Any,
) -> None:
    session = _record(
        world, _session(world), ["opioids", "benzodiazepines"], "Tramadol started Monday"
    )
    assert session.on_hold and session.checks_passed
    reason = " ".join(session.hold_reasons)
    assert "Benzodiazepines" in reason and "Opioids" in reason and "Stimulants" not in reason
    assert "§4" in reason and "Tramadol started Monday" in reason
    row = PreDoseCheck.objects.get(session=session, code="medication_changes")
    assert row.changed_classes == ["opioids", "benzodiazepines"]
    assert row.changed_class_labels == ["Opioids", "Benzodiazepines"]
    blockers = actions.dosing_blockers(session)
    assert any("Opioids" in b for b in blockers)
    with pytest.raises(ActionError):
        actions.do_clear_hold(actor(world.nurse_a), session, True, "Reviewed the change, fine.")
    session = actions.do_clear_hold(
        actor(world.prescriber_a), session, True, "Low-dose tramadol: proceed, watch sedation."
    )
    assert actions.dosing_blockers(session) == []
    calc = actions.session_dose(session)
    actions.do_start_dose(
        actor(world.nurse_a),
        session,
        {"lot_number": "L1", "expiry": date(2099, 1, 1), "given_mg": calc.dose_mg},
    )
    entry = AuditEntry.objects.filter(action="treatments.session.checks_recorded").last()
    assert entry is not None
    assert entry.detail["medication_classes_changed"] == ["opioids", "benzodiazepines"]


def test_an_unknown_class_is_refused_naming_the_field_and_nothing_saved(world: Any) -> None:
    session = _session(world)
    with pytest.raises(ActionError) as refused:
        _record(world, session, ["cannabis"])
    assert refused.value.field == "medication_classes"
    assert not PreDoseCheck.objects.filter(session=session).exists()
    assert not VitalReading.objects.filter(session=session).exists()


def test_a_bp_hold_and_a_medication_hold_are_listed_together(world: Any) -> None:
    session = _session(world)
    answers = answers_for(session)
    session = actions.do_record_checks(
        actor(world.nurse_a), session, answers, {**NORMAL, "systolic_mmhg": 150}, ["maois"]
    )
    assert len(session.hold_reasons) == 2
    assert "150" in session.hold_reasons[0] and "MAOIs" in session.hold_reasons[1]


def test_the_page_ticks_classes_keeps_them_and_shows_the_hold(world: Any, as_user: Any) -> None:
    session = _session(world)
    nurse = as_user(world.nurse_a)
    page = nurse.get(_url(session)).content.decode()
    assert 'data-testid="medication-classes"' in page
    assert 'name="medication_classes" value="stimulants"' in page
    data = {code: result for code, (result, _) in answers_for(session).items()}
    data |= {k: str(v) for k, v in NORMAL.items()}
    data |= {"medication_classes": ["stimulants"], "medication_changes_note": "Modafinil"}
    response = nurse.post(_url(session, "checks/"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    body = nurse.get(_url(session)).content.decode()
    hold = body.split('data-testid="hold"')[1].split("</div>")[0]
    assert "Stimulants" in hold and "Modafinil" in hold
    assert 'data-testid="history-classes">Changed: Stimulants.' in body
    # The recorded ticks are filled in again for the next recording.
    tick = body.split('name="medication_classes" value="stimulants"')[1].split(">")[0]
    assert "checked" in tick
    # A bad class from a hand-made POST is refused with the field named, nothing saved.
    other = _session_again(world)
    data["medication_classes"] = ["nope"]
    response = nurse.post(_url(other, "checks/"), data)
    assert response.status_code == 400
    assert 'data-field="medication_classes"' in response.content.decode()
    assert not PreDoseCheck.objects.filter(session=other).exists()


def _session_again(world: Any) -> TreatmentSession:
    patient = make_patient(world.clinic_a, "Eve", "Other")
    plan = iv_plan(world.prescriber_a, patient)
    consent(world.prescriber_a, patient)
    phq9_today(patient)
    appt = appointment(patient, plan, chair_name="Chair 2")
    return actions.do_check_in(actor(world.nurse_a), patient.clinic, patient, appt.pk)
