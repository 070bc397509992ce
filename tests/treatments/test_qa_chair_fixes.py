"""Defects a QA pass found at the chair: an infusion ended early recorded as the whole dose, two
patients checked in on one chair, one alert's note and error shown on another, an intervention
time before its side effect, and live prompts on an ended session's page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from ketacare.accounts.actions import ActionError
from ketacare.clinical.infusion import InfusionChange, judge_infusion_end
from ketacare.scheduling.models import Appointment, Resource
from ketacare.treatments import actions, infusion, side_effects
from ketacare.treatments.models import (
    DoseRecord,
    SessionAlert,
    SessionStatus,
    SideEffect,
    TreatmentSession,
)
from tests.conftest import make_patient
from tests.evaluations.evaluation_helpers import consent
from tests.scheduling.sched_helpers import iv_plan
from tests.treatments.session_helpers import (
    NORMAL,
    actor,
    answers_for,
    appointment,
    dosed,
    infused,
    phq9_today,
    ready_session,
)

pytestmark = pytest.mark.django_db


def _url(session: TreatmentSession, tail: str = "") -> str:
    return f"/patients/{session.patient_id}/sessions/{session.pk}/{tail}"


def _iv_dosing(world: Any) -> TreatmentSession:
    """An IV infusion of 35 mg planned over 40 min, started now."""
    return dosed(world.nurse_a, ready_session(world.prescriber_a, world.nurse_a, world.patient_a))


def _at(session: TreatmentSession, minutes: float) -> Any:
    """Travel to `minutes` after the dose started (time stands still there)."""
    return time_machine.travel(session.dose.started_at + timedelta(minutes=minutes), tick=False)


# --- 1. "Infusion stopped now" before the planned time -------------------------------------


def test_ending_an_infusion_two_minutes_in_is_refused_naming_the_minutes(world: Any) -> None:
    session = _iv_dosing(world)
    with _at(session, 2), pytest.raises(ActionError) as err:
        actions.do_end_infusion(actor(world.nurse_a), session)
    assert err.value.field == "end"
    assert "run 2 of its planned 40 min" in err.value.message
    assert "Stop dosing early" in err.value.message and "from the pump" in err.value.message
    session.refresh_from_db()
    dose = DoseRecord.objects.get(session=session)
    assert session.status == SessionStatus.DOSING and dose.stopped_at is None
    assert session.observation_started_at is None


def test_an_infusion_ending_in_its_last_tenth_counts_as_complete(world: Any) -> None:
    session = _iv_dosing(world)
    with _at(session, 35), pytest.raises(ActionError, match="complete from 36 min"):
        actions.do_end_infusion(actor(world.nurse_a), session)
    with _at(session, 36.5):
        ended = actions.do_end_infusion(actor(world.nurse_a), session)
    assert ended.status == SessionStatus.MONITORING
    assert DoseRecord.objects.get(session=session).given_mg == Decimal("35")


def test_paused_time_does_not_count_towards_the_planned_infusion_time(world: Any) -> None:
    session = _iv_dosing(world)
    nurse = actor(world.nurse_a)
    with _at(session, 10):
        infusion.do_infusion_event(nurse, session, "pause", reason="BP 168/100, rechecking")
    with _at(session, 25):
        infusion.do_infusion_event(nurse, session, "resume")
    with _at(session, 40), pytest.raises(ActionError) as err:
        actions.do_end_infusion(nurse, session)
    assert "run 25 of its planned 40 min (pauses excluded)" in err.value.message
    with _at(session, 54):
        assert actions.do_end_infusion(nurse, session).status == SessionStatus.MONITORING


def test_stopping_early_records_the_amount_typed_from_the_pump(world: Any) -> None:
    session = _iv_dosing(world)
    with _at(session, 2):
        actions.do_stop_session(actor(world.nurse_a), session, "Patient asked to stop", "2")
    assert DoseRecord.objects.get(session=session).given_mg == Decimal("2.00")


def test_a_faster_rate_counts_in_proportion() -> None:
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    doubled = [InfusionChange("rate", start + timedelta(minutes=10), Decimal("20"))]
    judged = judge_infusion_end(
        started_at=start,
        now=start + timedelta(minutes=25),
        planned_min=40,
        changes=doubled,
        planned_rate_ml_per_h=Decimal("10"),
    )
    assert judged.complete and judged.equivalent_min == pytest.approx(40)
    halved = [InfusionChange("rate", start, Decimal("5"))]
    slow = judge_infusion_end(
        started_at=start,
        now=start + timedelta(minutes=40),
        planned_min=40,
        changes=halved,
        planned_rate_ml_per_h=Decimal("10"),
    )
    assert not slow.complete and "20 min's worth" in slow.reasons[0]


def test_the_page_shows_the_refusal_under_the_infusion_button(world: Any, as_user: Any) -> None:
    session = _iv_dosing(world)
    nurse = as_user(world.nurse_a)
    with _at(session, 2):
        response = nurse.post(_url(session, "end-infusion/"))
    assert response.status_code == 400
    body = response.content.decode()
    form = body[body.index('data-testid="end-infusion-form"') :]
    form = form[: form.index("</form>")]
    assert 'data-testid="end-infusion-refused"' in form and "2 of its planned 40 min" in form
    assert 'data-testid="error"' not in body  # not in the header, far from the button
    assert '<details class="ts-stop-dosing" open>' in body


# --- 2. One patient per chair ---------------------------------------------------------------


def _second_patient_on(world: Any, chair: Resource) -> tuple[Any, Appointment]:
    other = make_patient(world.clinic_a, "Bea", "Second")
    plan = iv_plan(world.prescriber_a, other)
    consent(world.prescriber_a, other, "iv_racemic")
    phq9_today(other)
    later = appointment(other, plan, "unused")
    Appointment.objects.filter(pk=later.pk).update(
        resource=chair, starts_at=later.starts_at + timedelta(minutes=1)
    )
    return other, later


def test_checking_in_on_a_chair_in_use_is_refused_naming_who_is_there(world: Any) -> None:
    first = ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    chair = first.appointment.resource
    Resource.objects.filter(pk=chair.pk).update(name="Chair 2")
    other, later = _second_patient_on(world, chair)
    with pytest.raises(ActionError) as err:
        actions.do_check_in(actor(world.nurse_a), world.clinic_a, other, later.pk)
    assert err.value.field == "appointment"
    assert "Chair 2 is in use" in err.value.message
    assert world.patient_a.display_name in err.value.message
    assert not TreatmentSession.objects.filter(appointment=later).exists()
    # Once the chair is free, the next patient is checked in.
    actions.do_stop_session(actor(world.nurse_a), first, "Patient unwell, rebooked")
    session = actions.do_check_in(actor(world.nurse_a), world.clinic_a, other, later.pk)
    assert session.status == SessionStatus.CHECKED_IN


def test_the_check_in_page_says_why_it_was_refused(world: Any, as_user: Any) -> None:
    first = ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    other, later = _second_patient_on(world, first.appointment.resource)
    response = as_user(world.nurse_a).post(
        f"/patients/{other.pk}/sessions/start/", {"appointment": str(later.pk)}
    )
    assert response.status_code == 400
    assert "is in use" in response.content.decode()


def test_another_clinics_session_never_blocks_a_chair(world: Any) -> None:
    # Clinic A's "Chair 1" is in use; clinic B's own "Chair 1" is free.
    ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    plan = iv_plan(world.clinician_b, world.patient_b)
    consent(world.clinician_b, world.patient_b, "iv_racemic")
    phq9_today(world.patient_b)
    appt = appointment(world.patient_b, plan, "Chair 1")
    session = actions.do_check_in(
        actor(world.clinician_b), world.clinic_b, world.patient_b, appt.pk
    )
    assert session.status == SessionStatus.CHECKED_IN


# --- 3. Each alert's form keeps its own input -----------------------------------------------


def _two_alerts(world: Any) -> tuple[TreatmentSession, SessionAlert, SessionAlert]:
    session = _iv_dosing(world)
    now = timezone.now()
    one = SessionAlert.objects.create(
        session=session, code="bp_high", level="warning", message="BP 172/96", raised_at=now
    )
    two = SessionAlert.objects.create(
        session=session, code="hr_high", level="warning", message="HR 128", raised_at=now
    )
    return session, one, two


def _alert_block(body: str, alert: SessionAlert) -> str:
    start = body.index(f'data-testid="alert-{alert.code}"')
    return body[start : body.index("</form>", start)]


def test_a_refused_acknowledgement_keeps_its_note_on_its_own_alert(
    world: Any, as_user: Any
) -> None:
    session, one, two = _two_alerts(world)
    response = as_user(world.nurse_a).post(
        _url(session, f"alerts/{one.pk}/"), {"action": "", "note": "rechecked manually"}
    )
    assert response.status_code == 400
    body = response.content.decode()
    first, second = _alert_block(body, one), _alert_block(body, two)
    assert 'value="rechecked manually"' in first and 'data-field="action"' in first
    assert "rechecked manually" not in second
    assert 'class="error"' not in second and "error-box" not in second
    # Each form's fields have ids of their own, so each label points at its own field.
    assert f'id="id_alert{one.pk}_note"' in first and f'id="id_alert{two.pk}_note"' in second


def test_acknowledging_an_alert_closed_meanwhile_says_so(world: Any, as_user: Any) -> None:
    session, one, _two = _two_alerts(world)
    nurse = as_user(world.nurse_a)
    ok = nurse.post(_url(session, f"alerts/{one.pk}/"), {"action": "repeat_5min"})
    assert ok.status_code == 302
    again = nurse.post(_url(session, f"alerts/{one.pk}/"), {"action": "repeat_5min"})
    assert again.status_code == 400
    assert 'data-testid="error"' in again.content.decode()


# --- 4. Side-effect times within the session ------------------------------------------------


def _effect(**extra: Any) -> dict[str, Any]:
    return {"code": "nausea", "severity": "moderate", **extra}


def test_an_intervention_before_the_onset_is_refused(world: Any) -> None:
    session = _iv_dosing(world)
    now = timezone.now()
    data = _effect(
        onset_at=now - timedelta(minutes=1),
        intervention_drug="Ondansetron",
        intervention_dose="4 mg",
        intervention_at=now - timedelta(minutes=30),
    )
    with pytest.raises(ActionError) as err:
        side_effects.do_record_side_effect(actor(world.nurse_a), session, data)
    assert err.value.field == "intervention_at"
    assert "before the side effect's onset" in err.value.message
    assert not SideEffect.objects.exists()
    data["intervention_at"] = now
    side_effects.do_record_side_effect(actor(world.nurse_a), session, data)
    assert SideEffect.objects.count() == 1


def test_an_onset_before_the_check_in_is_refused(world: Any) -> None:
    session = _iv_dosing(world)
    with pytest.raises(ActionError) as err:
        side_effects.do_record_side_effect(
            actor(world.nurse_a),
            session,
            _effect(onset_at=session.checked_in_at - timedelta(hours=1)),
        )
    assert err.value.field == "onset_at" and "before the check-in" in err.value.message


def test_a_future_intervention_is_still_refused(world: Any) -> None:
    session = _iv_dosing(world)
    data = _effect(
        intervention_drug="Ondansetron",
        intervention_dose="4 mg",
        intervention_at=timezone.now() + timedelta(hours=1),
    )
    with pytest.raises(ActionError) as err:
        side_effects.do_record_side_effect(actor(world.nurse_a), session, data)
    assert err.value.field == "intervention_at" and "future" in err.value.message


def test_the_page_names_the_intervention_field(world: Any, as_user: Any) -> None:
    session = _iv_dosing(world)
    local = timezone.localtime(timezone.now())
    response = as_user(world.nurse_a).post(
        _url(session, "side-effects/"),
        {
            "code": "nausea",
            "severity": "mild",
            "intervention_drug": "Ondansetron",
            "intervention_dose": "4 mg",
            "intervention_at": (local - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert 'data-field="intervention_at"' in body and "before the side effect" in body


# --- 5. An ended session shows its final figures --------------------------------------------


def _discharged(world: Any) -> TreatmentSession:
    session = actions.do_end_infusion(actor(world.nurse_a), infused(_iv_dosing(world)))
    TreatmentSession.objects.filter(pk=session.pk).update(
        observation_started_at=timezone.now() - timedelta(minutes=125)
    )
    session.refresh_from_db()
    actions.do_record_vitals(actor(world.nurse_a), session, NORMAL)
    session.refresh_from_db()
    return actions.do_discharge(actor(world.nurse_a), session, escort_confirmed=True)


def test_a_discharged_session_shows_the_minutes_at_discharge_and_no_prompts(
    world: Any, as_user: Any
) -> None:
    session = _discharged(world)
    assert session.status == SessionStatus.DISCHARGED
    with time_machine.travel(session.discharged_at + timedelta(hours=3), tick=False):
        body = as_user(world.nurse_a).get(_url(session)).content.decode()
    assert '<span data-testid="minutes-observed">125</span> min at discharge' in body
    assert "Next vitals" not in body
    assert "ts-tp-upcoming" not in body and "ts-tp-due" not in body


def test_a_transferred_session_shows_unscored_timepoints_not_prompts(
    world: Any, as_user: Any
) -> None:
    session = actions.do_end_infusion(actor(world.nurse_a), infused(_iv_dosing(world)))
    session = actions.do_transfer_out(actor(world.nurse_a), session, "Chest pain, ambulance to ED")
    body = as_user(world.nurse_a).get(_url(session)).content.decode()
    assert "Next vitals" not in body
    assert "until transferred out" in body
    assert 'data-testid="timepoint-pre_discharge"' in body
    for status in ("upcoming", "due", "overdue"):
        assert f"ts-tp-{status}" not in body
    assert "not scored" in body


def test_recorded_checks_are_shown_in_the_form_but_the_vitals_are_not(
    world: Any, as_user: Any
) -> None:
    """After "Record checks" the radios show what was recorded (they came back blank), with a
    note; the vitals are left empty, so an old reading is never stored again as a new one."""
    session = ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    answers = answers_for(session)
    first_code = next(iter(answers))
    answers[first_code] = ("no", "Ate breakfast at 8")
    actions.do_record_checks(actor(world.nurse_a), session, answers, NORMAL)
    body = as_user(world.nurse_a).get(_url(session)).content.decode()
    assert 'data-testid="checks-recorded-note"' in body
    radios = re.findall(rf'<input[^>]*name="{first_code}"[^>]*>', body)
    chosen = [tag for tag in radios if "checked" in tag]
    assert len(chosen) == 1 and 'value="no"' in chosen[0]
    assert 'value="Ate breakfast at 8"' in body
    vitals = re.findall(r'<input[^>]*name="systolic_mmhg"[^>]*>', body)
    assert vitals and all("value=" not in tag for tag in vitals)
    assert "Record the checks again" in body
