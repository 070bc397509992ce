"""Opening and closing episodes of care from the chart."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from ketacare.accounts.audit import Actor, AuditEntry
from ketacare.measures.actions import do_open_episode, do_record_assessment
from ketacare.measures.models import EpisodeOfCare
from ketacare.patients.models import Diagnosis

SETUP = Actor(label="test-setup")


def url(world: Any) -> str:
    return f"/patients/{world.patient_a.pk}/assessments/episodes/"


def test_prescriber_opens_an_episode_for_one_of_the_patients_diagnoses(
    world: Any, as_user: Any
) -> None:
    dx = Diagnosis.objects.create(patient=world.patient_a, icd10_code="F33.2", display="MDD")
    client = as_user(world.prescriber_a)
    page = client.get(url(world)).content.decode()
    assert "F33.2 MDD" in page and "MADRS" in page
    response = client.post(
        url(world),
        {
            "title": "IV ketamine for TRD, 2026",
            "diagnosis": dx.pk,
            "primary_scale": "madrs",
            "started_on": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 302 and response["Location"].endswith("#assessments")
    episode = EpisodeOfCare.objects.get()
    assert (episode.diagnosis, episode.primary_scale, episode.status) == (dx, "madrs", "active")
    assert episode.created_by == world.prescriber_a
    assert AuditEntry.objects.filter(action="measures.episode.opened").exists()
    chart = client.get(f"/patients/{world.patient_a.pk}/").content.decode()
    assert "IV ketamine for TRD, 2026" in chart and "No baseline yet" in chart


def test_a_diagnosis_of_another_patient_or_a_future_start_is_refused(
    world: Any, as_user: Any
) -> None:
    foreign = Diagnosis.objects.create(patient=world.patient_b, icd10_code="F33.2", display="MDD")
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = as_user(world.prescriber_a).post(
        url(world),
        {
            "title": "",
            "diagnosis": foreign.pk,
            "primary_scale": "cssrs_recent",
            "started_on": tomorrow.isoformat(),
        },
    )
    assert response.status_code == 400
    body = response.content.decode()
    for field in ("title", "diagnosis", "primary_scale", "started_on"):
        assert f'data-field="{field}"' in body, field
    assert not EpisodeOfCare.objects.exists()


def test_prescriber_closes_an_episode_and_its_course_stays_readable(
    world: Any, as_user: Any
) -> None:
    start = timezone.localdate() - timedelta(days=30)
    episode = do_open_episode(
        SETUP, world.patient_a, {"title": "Course 1", "primary_scale": "phq9", "started_on": start}
    )
    do_record_assessment(SETUP, world.patient_a, "phq9", {f"phq9-{n}": 2 for n in range(1, 10)})
    client = as_user(world.prescriber_a)
    close = f"{url(world)}{episode.pk}/close/"
    early = client.post(close, {"ended_on": (start - timedelta(days=1)).isoformat()})
    assert early.status_code == 400 and "before the start" in early.content.decode()
    response = client.post(close, {"ended_on": timezone.localdate().isoformat()})
    assert response.status_code == 302
    episode.refresh_from_db()
    assert episode.status == "closed" and episode.ended_on == timezone.localdate()
    assert AuditEntry.objects.filter(action="measures.episode.closed").exists()
    page = client.get(url(world)).content.decode()
    assert "Course 1" in page and "closed" in page and "Close this episode" not in page
