"""The session page, the chart section and the chair board, as the staff see them."""

from __future__ import annotations

from typing import Any

import pytest

from ketacare.accounts.audit import AuditEntry
from ketacare.treatments.models import SessionAlert, SessionStatus, VitalReading
from tests.scheduling.sched_helpers import iv_plan
from tests.treatments.session_helpers import (
    NORMAL,
    answers_for,
    appointment,
    consent,
    dosed,
    infused,
    phq9_today,
    ready_session,
)

pytestmark = pytest.mark.django_db


def _url(session: Any, step: str = "") -> str:
    return f"/patients/{session.patient_id}/sessions/{session.pk}/{step}"


def test_nurse_starts_a_session_from_the_chart(world: Any, as_user: Any) -> None:
    plan = iv_plan(world.prescriber_a, world.patient_a)
    consent(world.prescriber_a, world.patient_a)
    phq9_today(world.patient_a)
    appt = appointment(world.patient_a, plan)
    nurse = as_user(world.nurse_a)
    chart = nurse.get(f"/patients/{world.patient_a.pk}/").content.decode()
    assert 'data-testid="start-session"' in chart
    response = nurse.post(
        f"/patients/{world.patient_a.pk}/sessions/start/", {"appointment": str(appt.pk)}
    )
    assert response.status_code == 302
    page = nurse.get(response["Location"])
    assert page.status_code == 200
    assert "Pre-dose checks" in page.content.decode()
    assert AuditEntry.objects.filter(action="treatments.session.viewed").exists()
    chart = nurse.get(f"/patients/{world.patient_a.pk}/").content.decode()
    assert 'data-testid="session-list"' in chart


def test_checklist_form_records_and_shows_the_calculated_dose(world: Any, as_user: Any) -> None:
    session = ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    nurse = as_user(world.nurse_a)
    data = {code: result for code, (result, _) in answers_for(session).items()}
    data |= {k: str(v) for k, v in NORMAL.items()}
    response = nurse.post(_url(session, "checks/"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    body = nurse.get(_url(session)).content.decode()
    assert 'data-testid="checks-passed"' in body
    assert 'data-testid="calculated-dose"' in body and "35 mg" in body


def test_missing_check_answer_re_renders_with_the_field_named(world: Any, as_user: Any) -> None:
    session = ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    nurse = as_user(world.nurse_a)
    data = {k: str(v) for k, v in NORMAL.items()} | {"identity_note": "kept"}
    response = nurse.post(_url(session, "checks/"), data)
    assert response.status_code == 400
    body = response.content.decode()
    assert 'data-field="identity"' in body and 'value="kept"' in body


def test_implausible_vitals_from_the_page_keep_what_was_typed(world: Any, as_user: Any) -> None:
    session = dosed(
        world.nurse_a, ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    )
    nurse = as_user(world.nurse_a)
    before = VitalReading.objects.count()
    response = nurse.post(_url(session, "vitals/"), {"spo2_pct": "140", "heart_rate_bpm": "88"})
    assert response.status_code == 400
    body = response.content.decode()
    assert 'data-field="spo2_pct"' in body and 'value="88"' in body
    assert VitalReading.objects.count() == before


def test_high_bp_from_the_page_shows_on_the_board_and_is_acknowledged(
    world: Any, as_user: Any
) -> None:
    session = dosed(
        world.nurse_a, ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    )
    nurse = as_user(world.nurse_a)
    assert (
        nurse.post(
            _url(session, "vitals/"), {"systolic_mmhg": "190", "diastolic_mmhg": "100"}
        ).status_code
        == 302
    )
    board = as_user(world.prescriber_a).get("/chairs/live/").content.decode()
    assert "Lovelace" in board and 'data-testid="board-alert"' in board
    assert "BP 190/100" in board
    alert = SessionAlert.objects.get(session=session, code="bp_high")
    bad = nurse.post(_url(session, f"alerts/{alert.pk}/"), {"action": ""})
    assert bad.status_code == 400
    ok = nurse.post(_url(session, f"alerts/{alert.pk}/"), {"action": "notify_prescriber"})
    assert ok.status_code == 302
    alert.refresh_from_db()
    assert alert.action == "notify_prescriber"


def test_discharge_button_lists_the_refusal_reasons(world: Any, as_user: Any) -> None:
    session = dosed(
        world.nurse_a, ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    )
    nurse = as_user(world.nurse_a)
    infused(session)
    nurse.post(_url(session, "end-infusion/"))
    response = nurse.post(_url(session, "discharge/"), {"escort_confirmed": "on"})
    assert response.status_code == 400
    body = response.content.decode()
    assert 'data-testid="discharge-refused"' in body and "Observed 0 min" in body
    session.refresh_from_db()
    assert session.status == SessionStatus.MONITORING and not session.escort_confirmed


@pytest.mark.parametrize("who", ["therapist_a", "intake_a", "director_a"])
def test_staff_outside_the_chair_cannot_run_a_session(world: Any, as_user: Any, who: str) -> None:
    session = ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    client = as_user(getattr(world, who))
    assert client.get(_url(session)).status_code == 200  # every role reads the chart
    data = {code: r for code, (r, _) in answers_for(session).items()} | {
        k: str(v) for k, v in NORMAL.items()
    }
    assert client.post(_url(session, "checks/"), data).status_code == 403
    assert client.post(_url(session, "stop/"), {"reason": "x"}).status_code == 403
    session.refresh_from_db()
    assert session.status == SessionStatus.CHECKED_IN


def test_only_a_prescriber_clears_a_hold(world: Any, as_user: Any) -> None:
    from tests.treatments.session_helpers import checks_ok

    session = checks_ok(
        world.nurse_a,
        ready_session(world.prescriber_a, world.nurse_a, world.patient_a),
        systolic_mmhg=150,
    )
    data = {"decision": "proceed", "note": "Known hypertensive, usual BP"}
    assert as_user(world.nurse_a).post(_url(session, "hold/"), data).status_code == 403
    prescriber = as_user(world.prescriber_a)
    terse = prescriber.post(_url(session, "hold/"), data | {"note": "ok"})
    assert terse.status_code == 400 and 'data-field="note"' in terse.content.decode()
    session.refresh_from_db()
    assert session.hold_cleared_at is None
    assert prescriber.post(_url(session, "hold/"), data).status_code == 302
    session.refresh_from_db()
    assert session.hold_cleared_at is not None


def test_clinic_b_cannot_open_clinic_a_sessions_nor_see_them_on_the_board(
    world: Any, as_user: Any
) -> None:
    session = dosed(
        world.nurse_a, ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    )
    other = as_user(world.clinician_b)
    assert other.get(_url(session)).status_code == 404
    assert other.post(_url(session, "vitals/"), {"spo2_pct": "97"}).status_code == 404
    reason = {"reason": "to the ED by ambulance", "given_mg": "10"}
    assert other.post(_url(session, "stop/"), reason).status_code == 404
    assert other.post(_url(session, "transfer/"), reason).status_code == 404
    session.refresh_from_db()
    assert session.status == "dosing" and not session.dosing_stop_reason
    # Clinic B's own patient in the URL, clinic A's session id: still not found.
    foreign = f"/patients/{world.patient_b.pk}/sessions/{session.pk}/"
    assert other.get(foreign).status_code == 404
    for url in ("/chairs/", "/chairs/live/"):
        body = other.get(url).content.decode()
        assert "Lovelace" not in body and "No active sessions" in body
    assert "Lovelace" in as_user(world.nurse_a).get("/chairs/").content.decode()
