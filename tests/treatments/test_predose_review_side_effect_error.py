"""A side effect entered in error (issue 6 item 4: "corrections keep the original"): marked with
a reason, kept as recorded and shown struck through, audited; an alert it raised is closed
with a note; it no longer counts for the REMS form; a signed session is addenda only."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import AuditEntry
from ketacare.treatments import actions
from ketacare.treatments.models import SessionAlert, SessionStatus, TreatmentSession
from ketacare.treatments.models_chair import SideEffect
from ketacare.treatments.rems_form import serious_events
from ketacare.treatments.side_effects import do_mark_side_effect_in_error, do_record_side_effect
from tests.conftest import make_patient
from tests.scheduling.sched_helpers import iv_plan
from tests.treatments.session_helpers import (
    NORMAL,
    actor,
    appointment,
    consent,
    dosed,
    infused,
    phq9_today,
    ready_session,
)

pytestmark = pytest.mark.django_db
REASON = "Recorded on the wrong patient, chair 2"


def _url(session: Any, step: str = "") -> str:
    return f"/patients/{session.patient_id}/sessions/{session.pk}/{step}"


def _dosed(world: Any) -> TreatmentSession:
    return dosed(world.nurse_a, ready_session(world.prescriber_a, world.nurse_a, world.patient_a))


def _severe(world: Any, session: TreatmentSession) -> SideEffect:
    return do_record_side_effect(
        actor(world.nurse_a), session, {"code": "resp_depression", "severity": "severe"}
    )


def test_marked_in_error_keeps_the_entry_closes_its_alert_and_is_audited(world: Any) -> None:
    session = _dosed(world)
    mild = do_record_side_effect(
        actor(world.nurse_a), session, {"code": "nausea", "severity": "mild"}
    )
    effect = _severe(world, session)
    [alert] = SessionAlert.objects.filter(session=session, code="side_effect")
    assert alert.is_open
    do_mark_side_effect_in_error(actor(world.nurse_a), session, effect.pk, REASON)
    effect.refresh_from_db()
    assert effect.in_error and effect.entered_in_error_reason == REASON
    assert effect.entered_in_error_by_id == world.nurse_a.pk
    assert effect.code == "resp_depression" and effect.severity == "severe"  # as recorded
    alert.refresh_from_db()
    assert not alert.is_open and alert.action == "none_needed"
    assert "entered in error" in alert.note and REASON in alert.note
    mild.refresh_from_db()
    assert not mild.in_error
    entry = AuditEntry.objects.get(action="treatments.session.side_effect_entered_in_error")
    assert entry.detail["side_effect"] == effect.pk and entry.detail["reason"] == REASON
    assert entry.detail["alerts_closed"] == [alert.pk]
    assert entry.clinic_id == world.clinic_a.pk
    # No longer a serious adverse event of the session (REMS form).
    session.refresh_from_db()
    assert serious_events(session) == []


def test_an_acknowledged_alert_is_left_as_acknowledged(world: Any) -> None:
    session = _dosed(world)
    effect = _severe(world, session)
    alert = SessionAlert.objects.get(session=session, code="side_effect")
    actions.do_acknowledge_alert(actor(world.nurse_a), session, alert.pk, "treat", "")
    do_mark_side_effect_in_error(actor(world.nurse_a), session, effect.pk, REASON)
    alert.refresh_from_db()
    assert alert.action == "treat" and "entered in error" not in alert.note


@pytest.mark.parametrize(
    ("effect_id", "reason", "field"),
    [
        ("x", REASON, "side_effect"),
        ("999999", REASON, "side_effect"),
        (None, "oops", "error_reason"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_changes(
    world: Any, effect_id: Any, reason: str, field: str
) -> None:
    session = _dosed(world)
    effect = _severe(world, session)
    with pytest.raises(ActionError) as refused:
        do_mark_side_effect_in_error(
            actor(world.nurse_a), session, effect.pk if effect_id is None else effect_id, reason
        )
    assert refused.value.field == field
    effect.refresh_from_db()
    assert not effect.in_error
    assert SessionAlert.objects.get(session=session, code="side_effect").is_open
    assert not AuditEntry.objects.filter(
        action="treatments.session.side_effect_entered_in_error"
    ).exists()


def test_twice_is_refused(world: Any) -> None:
    session = _dosed(world)
    effect = _severe(world, session)
    do_mark_side_effect_in_error(actor(world.nurse_a), session, effect.pk, REASON)
    with pytest.raises(ActionError) as refused:
        do_mark_side_effect_in_error(actor(world.nurse_a), session, effect.pk, REASON)
    assert refused.value.field == "side_effect" and "already" in refused.value.message


def test_another_sessions_side_effect_is_not_found(world: Any) -> None:
    session = _dosed(world)
    effect = _severe(world, session)
    patient = make_patient(world.clinic_a, "Eve", "Other")
    plan = iv_plan(world.prescriber_a, patient)
    consent(world.prescriber_a, patient)
    phq9_today(patient)
    appt = appointment(patient, plan, chair_name="Chair 2")
    other = actions.do_check_in(actor(world.nurse_a), patient.clinic, patient, appt.pk)
    with pytest.raises(ActionError) as refused:
        do_mark_side_effect_in_error(actor(world.nurse_a), other, effect.pk, REASON)
    assert refused.value.field == "side_effect"


def test_a_locked_session_is_addenda_only(world: Any) -> None:
    session = _dosed(world)
    effect = _severe(world, session)
    TreatmentSession.objects.filter(pk=session.pk).update(locked_at=timezone.now())
    session.refresh_from_db()
    with pytest.raises(ActionError) as refused:
        do_mark_side_effect_in_error(actor(world.nurse_a), session, effect.pk, REASON)
    assert refused.value.field == "session"


def test_the_page_marks_it_shows_it_struck_through_and_keeps_a_refused_reason(
    world: Any, as_user: Any
) -> None:
    session = _dosed(world)
    effect = _severe(world, session)
    nurse = as_user(world.nurse_a)
    page = nurse.get(_url(session)).content.decode()
    assert 'data-testid="side-effect-error-form"' in page
    bad = nurse.post(
        _url(session, "side-effects/in-error/"), {"side_effect": effect.pk, "error_reason": "x"}
    )
    assert bad.status_code == 400
    body = bad.content.decode()
    assert 'data-field="error_reason"' in body and 'value="x"' in body
    effect.refresh_from_db()
    assert not effect.in_error
    ok = nurse.post(
        _url(session, "side-effects/in-error/"), {"side_effect": effect.pk, "error_reason": REASON}
    )
    assert ok.status_code == 302
    body = nurse.get(_url(session)).content.decode()
    row = body.split('data-testid="side-effect-in-error"')[1].split("</tr>")[0]
    assert "<s>Respiratory depression</s>" in row and "Entered in error" in row and REASON in row


def test_only_staff_who_run_sessions_of_the_clinic(world: Any, as_user: Any) -> None:
    session = _dosed(world)
    effect = _severe(world, session)
    data = {"side_effect": effect.pk, "error_reason": REASON}
    assert (
        as_user(world.therapist_a).post(_url(session, "side-effects/in-error/"), data).status_code
        == 403
    )
    assert as_user(world.clinician_b).post(
        _url(session, "side-effects/in-error/"), data
    ).status_code in (403, 404)
    effect.refresh_from_db()
    assert not effect.in_error


def test_closing_its_alert_lets_the_patient_be_ready_for_discharge(world: Any) -> None:
    """The open alert was all that held discharge: marking the side effect in error closes it
    and the session is judged again at once (not at the next reading)."""
    nurse = world.nurse_a
    session = dosed(nurse, ready_session(world.prescriber_a, nurse, world.patient_a))
    session = actions.do_end_infusion(actor(nurse), infused(session))
    start = session.observation_started_at
    with time_machine.travel(start + timedelta(minutes=110), tick=False):
        actions.do_record_vitals(actor(nurse), session, NORMAL)
        effect = _severe(world, session)
    with time_machine.travel(start + timedelta(minutes=122), tick=False):
        session.refresh_from_db()
        assert session.status == SessionStatus.MONITORING
        do_mark_side_effect_in_error(actor(nurse), session, effect.pk, REASON)
    session.refresh_from_db()
    assert session.status == SessionStatus.READY
