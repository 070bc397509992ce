"""The printable discharge instructions: no driving until the next day after sleep, whom to
call (the clinic's number and hours, the crisis lines of its country: 911 and 988 in the US),
the times and the escort."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

import pytest
from django.utils import timezone

from ketacare.accounts.audit import AuditEntry
from ketacare.measures.scheduling import clinic_zone
from ketacare.scheduling.models import ClinicHours
from ketacare.treatments import actions
from ketacare.treatments.models import TreatmentSession
from tests.page_text import without_tokens
from tests.treatments.session_helpers import NORMAL, actor, dosed, infused, ready_session

pytestmark = pytest.mark.django_db


def _monitoring(world: Any) -> TreatmentSession:
    session = dosed(
        world.nurse_a, ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    )
    session = actions.do_end_infusion(actor(world.nurse_a), infused(session))
    TreatmentSession.objects.filter(pk=session.pk).update(
        observation_started_at=timezone.now() - timedelta(minutes=125)
    )
    session.refresh_from_db()
    actions.do_record_vitals(actor(world.nurse_a), session, NORMAL)
    session.refresh_from_db()
    return session


def test_the_sheet_prints_times_escort_and_whom_to_call(world: Any, as_user: Any) -> None:
    world.clinic_a.phone = "555-010-7777"
    world.clinic_a.save()
    ClinicHours.objects.create(clinic=world.clinic_a, weekday=0, opens=time(8), closes=time(17))
    session = _monitoring(world)
    url = f"/patients/{session.patient_id}/sessions/{session.pk}/"
    nurse = as_user(world.nurse_a)
    early = nurse.get(url + "discharge-sheet/")
    assert early.status_code == 400 and "once the patient leaves" in early.content.decode()
    response = nurse.post(
        url + "discharge/", {"escort_confirmed": "on", "escort_name": "Charles Babbage"}
    )
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.escort_name == "Charles Babbage" and session.ready_at is not None
    page = nurse.get(url).content.decode()
    assert 'data-testid="sheet-link"' in page
    body = nurse.get(url + "discharge-sheet/").content.decode()
    assert 'data-testid="discharge-sheet"' in body
    assert "next day after a restful sleep" in body
    assert "Charles Babbage" in body and "555-010-7777" in body and "Mon 08:00–17:00" in body
    assert "911" in body and "988" in body
    zone = clinic_zone(world.clinic_a)
    assert session.discharged_at is not None and session.ready_at is not None
    assert f"{session.discharged_at.astimezone(zone):%Y-%m-%d %H:%M}" in body
    assert f"{session.ready_at.astimezone(zone):%H:%M}" in body
    assert 'data-testid="ready-at"' in body and "discharge_sheet.css" in body
    assert AuditEntry.objects.filter(
        action="treatments.session.discharge_sheet_viewed", patient_id=world.patient_a.pk
    ).exists()


def test_the_sheet_without_clinic_hours_or_escort_name(world: Any, as_user: Any) -> None:
    session = _monitoring(world)
    actions.do_discharge(actor(world.nurse_a), session, escort_confirmed=True)
    url = f"/patients/{session.patient_id}/sessions/{session.pk}/discharge-sheet/"
    body = as_user(world.therapist_a).get(url).content.decode()
    assert "during office hours" in body and "the number on your appointment card" in body
    assert as_user(world.clinician_b).get(url).status_code == 404


def test_the_sheet_gives_the_clinics_own_crisis_lines_outside_the_us(
    world: Any, as_user: Any
) -> None:
    from ketacare.safety.escalation_models import SafetySettings

    SafetySettings.objects.create(
        clinic=world.clinic_a,
        country="GB",
        crisis_phone="020 7946 0999",
        hours="Mon–Fri 9–5",
        extra_lines="Samaritans | 116 123 | Call any time, day or night",
    )
    session = _monitoring(world)
    actions.do_discharge(actor(world.nurse_a), session, escort_confirmed=True)
    url = f"/patients/{session.patient_id}/sessions/{session.pk}/discharge-sheet/"
    body = as_user(world.nurse_a).get(url).content.decode()
    calls = body.split('class="ds-calls"')[1].split("</ul>")[0]
    assert "Samaritans" in calls and "116123" in calls and "020 7946 0999" in calls
    assert "local emergency number" in calls
    assert "988" not in without_tokens(body) and "911" not in without_tokens(body)
