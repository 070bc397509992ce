"""The session page's markup after a refused form and after an acknowledgement: an error not
tied to one field is an alert focused on load (app.js focuses `[data-autofocus]`), like the
summary of field errors; an acknowledged alert says who acknowledged it, and when, where the
page lands (#alerts)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from ketacare.measures.models import Assessment, AssessmentStatus
from ketacare.treatments import actions
from ketacare.treatments.models import DoseRecord, SessionAlert
from tests.treatments.session_helpers import NORMAL, actor, checks_ok, dosed, ready_session

pytestmark = pytest.mark.django_db

FOCUSED_REFUSAL = re.compile(
    r'<div class="error-box" role="alert" tabindex="-1" data-autofocus '
    r'data-testid="form-refused"><p>([^<]*)</p></div>'
)


def _url(session: Any, step: str = "") -> str:
    return f"/patients/{session.patient_id}/sessions/{session.pk}/{step}"


def test_a_dose_refused_for_a_reason_not_tied_to_a_field_is_a_focused_alert(
    world: Any, as_user: Any
) -> None:
    session = checks_ok(
        world.nurse_a, ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    )
    # Since the checklist, the day's PHQ-9 was marked entered in error: the dose gate re-reads
    # the chart and refuses, naming no field of the dose form.
    Assessment.objects.filter(patient=world.patient_a, scale_code="phq9").update(
        status=AssessmentStatus.ENTERED_IN_ERROR
    )
    calc = actions.session_dose(session)
    response = as_user(world.nurse_a).post(
        _url(session, "dose/"),
        {"lot_number": "LOT-9", "expiry": "2099-01-01", "given_mg": str(calc.dose_mg)},
    )
    assert response.status_code == 400
    body = response.content.decode()
    dose_section = body.split('id="dose"')[1].split("</section>")[0]
    [message] = FOCUSED_REFUSAL.findall(dose_section)
    assert message == "PHQ-9 completed today: No PHQ-9 recorded today."
    assert body.count("data-autofocus") == 1  # the one thing focused on load
    assert not DoseRecord.objects.filter(session=session).exists()


def test_field_errors_keep_their_summary_and_are_not_shown_as_a_refusal(
    world: Any, as_user: Any
) -> None:
    session = dosed(
        world.nurse_a, ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    )
    response = as_user(world.nurse_a).post(_url(session, "vitals/"), {"spo2_pct": "140"})
    assert response.status_code == 400
    body = response.content.decode()
    assert 'data-testid="form-refused"' not in body
    vitals = body.split('data-testid="vitals-form"')[1].split("</form>")[0]
    assert '<div class="error-box" role="alert" tabindex="-1" data-autofocus>' in vitals
    assert 'href="#id_spo2_pct"' in vitals
    assert body.count("data-autofocus") == 1


def test_an_acknowledged_alert_says_who_acknowledged_it_where_the_page_lands(
    world: Any, as_user: Any
) -> None:
    session = dosed(
        world.nurse_a, ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    )
    actions.do_record_vitals(
        actor(world.nurse_a), session, {**NORMAL, "systolic_mmhg": 192, "diastolic_mmhg": 104}
    )
    alert = SessionAlert.objects.filter(session=session).first()
    assert alert is not None  # SBP 192: at or above 180
    nurse = as_user(world.nurse_a)
    response = nurse.post(
        _url(session, f"alerts/{alert.pk}/"), {"action": "repeat_5min", "note": ""}
    )
    assert response.status_code == 302
    assert response["Location"] == _url(session) + "#alerts"
    body = nurse.get(response["Location"]).content.decode()
    alerts = body.split('id="alerts"')[1].split("</section>")[0]
    assert re.search(r"Acknowledged \d\d:\d\d by Nina Nurse: Repeated the reading", alerts)
    assert SessionAlert.objects.get(pk=alert.pk).acknowledged_by == world.nurse_a
