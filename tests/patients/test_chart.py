"""The chart: what it shows, that every view is audited, and the clinical sub-records."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ketacare.accounts.audit import AuditEntry
from ketacare.patients.models import Allergy, BodyMeasurement, Diagnosis


def test_chart_shows_demographics_bmi_and_empty_sections(world: Any, as_user: Any) -> None:
    response = as_user(world.nurse_a).get(f"/patients/{world.patient_a.pk}/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Lovelace, Ada" in body and world.patient_a.mrn in body
    assert "BMI 24.2" in body  # 70 kg / 1.70 m²
    for section in ("Assessments", "Treatment plan", "Treatment sessions", "Safety", "Aftercare"):
        assert section in body
    assert "Allergies not yet reviewed" in body


def test_every_chart_view_is_audited_with_who_what_and_where(world: Any, as_user: Any) -> None:
    client = as_user(world.therapist_a)
    client.get(f"/patients/{world.patient_a.pk}/", REMOTE_ADDR="10.1.2.3")
    client.get(f"/patients/{world.patient_a.pk}/", REMOTE_ADDR="10.1.2.3")
    entries = AuditEntry.objects.filter(action="patients.chart.viewed")
    assert entries.count() == 2
    entry = entries.first()
    assert entry is not None
    assert entry.patient_id == str(world.patient_a.pk)
    assert entry.actor_id == world.therapist_a.pk and entry.actor_role == "therapist"
    assert entry.clinic_id == world.clinic_a.pk and entry.client_ip == "10.1.2.3"


def test_chart_is_rendered_in_a_fixed_number_of_queries(
    world: Any, as_user: Any, django_assert_max_num_queries: Any
) -> None:
    client = as_user(world.nurse_a)
    url = f"/patients/{world.patient_a.pk}/"

    def add_rows(start: int) -> None:
        for i in range(start, start + 15):
            BodyMeasurement.objects.create(patient=world.patient_a, weight_kg=Decimal(60 + i))
            Diagnosis.objects.create(patient=world.patient_a, icd10_code="F41.1", display="GAD")

    add_rows(0)
    client.get(url)
    # Every section (record, assessments, plan, schedule, sessions, safety and its timeline,
    # crisis, aftercare) costs a few queries of its own; none grows with the rows it shows.
    with django_assert_max_num_queries(60) as fifteen:
        client.get(url)
    add_rows(15)
    with django_assert_max_num_queries(60) as thirty:
        client.get(url)
    assert len(thirty.captured_queries) == len(fifteen.captured_queries)


def test_prescriber_adds_a_coded_diagnosis(world: Any, as_user: Any) -> None:
    client = as_user(world.prescriber_a)
    response = client.post(
        f"/patients/{world.patient_a.pk}/diagnoses/",
        {"icd10_code": "f332", "status": "active", "is_primary": "on", "treatment_resistant": "on"},
    )
    assert response.status_code == 302
    diagnosis = Diagnosis.objects.get(patient=world.patient_a)
    assert diagnosis.icd10_code == "F33.2"
    assert "recurrent severe without psychotic features" in diagnosis.display
    assert diagnosis.treatment_resistant and diagnosis.recorded_by == world.prescriber_a
    assert AuditEntry.objects.filter(action="patients.diagnosis.added").exists()


def test_unknown_or_non_billable_codes_are_refused_with_a_reason(world: Any, as_user: Any) -> None:
    client = as_user(world.prescriber_a)
    url = f"/patients/{world.patient_a.pk}/diagnoses/"
    bad = client.post(url, {"icd10_code": "X99.99", "status": "active"})
    assert bad.status_code == 400 and "not in the ICD-10-CM code set" in bad.content.decode()
    parent = client.post(url, {"icd10_code": "F43.1", "status": "active"})
    assert parent.status_code == 400 and "F43.10" in parent.content.decode()
    garbage = client.post(url, {"icd10_code": "depression", "status": "active"})
    assert 'data-field="icd10_code"' in garbage.content.decode()
    assert not Diagnosis.objects.filter(patient=world.patient_a).exists()


def test_nurse_may_not_add_a_diagnosis(world: Any, as_user: Any) -> None:
    response = as_user(world.nurse_a).post(
        f"/patients/{world.patient_a.pk}/diagnoses/", {"icd10_code": "F33.2", "status": "active"}
    )
    assert response.status_code == 403
    assert not Diagnosis.objects.exists()


def test_diagnosis_status_change_is_audited(world: Any, as_user: Any) -> None:
    dx = Diagnosis.objects.create(patient=world.patient_a, icd10_code="F33.2", display="MDD")
    client = as_user(world.prescriber_a)
    client.post(
        f"/patients/{world.patient_a.pk}/diagnoses/{dx.pk}/status/", {"status": "remission"}
    )
    dx.refresh_from_db()
    assert dx.status == "remission"
    entry = AuditEntry.objects.get(action="patients.diagnosis.status_changed")
    assert entry.detail == {"from": "active", "to": "remission"}
    client.post(f"/patients/{world.patient_a.pk}/diagnoses/{dx.pk}/status/", {"status": "gone"})
    dx.refresh_from_db()
    assert dx.status == "remission"


def test_allergies_and_the_no_known_allergies_record(world: Any, as_user: Any) -> None:
    client = as_user(world.nurse_a)
    url = f"/patients/{world.patient_a.pk}"
    client.post(f"{url}/allergies/none-known/")
    world.patient_a.refresh_from_db()
    assert world.patient_a.no_known_allergies
    refused = client.post(
        f"{url}/allergies/", {"substance": " ", "category": "medication", "severity": "mild"}
    )
    assert refused.status_code == 400 and 'data-field="substance"' in refused.content.decode()
    client.post(
        f"{url}/allergies/",
        {
            "substance": "Penicillin",
            "category": "medication",
            "severity": "severe",
            "reaction": "Anaphylaxis",
        },
    )
    world.patient_a.refresh_from_db()
    assert not world.patient_a.no_known_allergies  # a recorded allergy overrides "none known"
    allergy = Allergy.objects.get(patient=world.patient_a)
    body = client.get(f"{url}/").content.decode()
    assert "Allergy: Penicillin" in body
    # "None known" cannot be recorded while an allergy is active.
    client.post(f"{url}/allergies/none-known/")
    world.patient_a.refresh_from_db()
    assert not world.patient_a.no_known_allergies
    client.post(f"{url}/allergies/{allergy.pk}/inactivate/")
    allergy.refresh_from_db()
    assert not allergy.is_active


def test_weight_in_pounds_or_height_in_metres_is_refused(world: Any, as_user: Any) -> None:
    client = as_user(world.nurse_a)
    url = f"/patients/{world.patient_a.pk}/measurements/"
    before = BodyMeasurement.objects.count()
    heavy = client.post(url, {"weight_kg": "410"})
    assert heavy.status_code == 400 and "kilograms, not pounds" in heavy.content.decode()
    short = client.post(url, {"weight_kg": "70", "height_cm": "1.7"})
    assert "centimetres" in short.content.decode()
    future = client.post(url, {"weight_kg": "70", "measured_at": "2999-01-01T10:00"})
    assert "future" in future.content.decode()
    assert BodyMeasurement.objects.count() == before
    ok = client.post(url, {"weight_kg": "71.3"})
    assert ok.status_code == 302
    assert BodyMeasurement.objects.count() == before + 1
