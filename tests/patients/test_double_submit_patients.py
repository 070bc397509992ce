"""Pressing Save twice (or a browser resending the form) saves once: registering a patient,
adding a diagnosis, an allergy or a weight. The second press goes to what the first saved,
saying "Already saved". Registering someone whose legal name and date of birth match a patient
of the clinic asks first, naming that patient and their MRN."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.messages import get_messages

from ketacare.accounts.audit import Actor
from ketacare.core.submission import AlreadySaved
from ketacare.patients import actions
from ketacare.patients.models import Allergy, BodyMeasurement, Diagnosis, Patient

NEW = {
    "legal_given_name": "Mary",
    "legal_family_name": "Shelley",
    "birth_date": "1990-08-30",
    "sex_at_birth": "female",
    "phone": "555-010-0199",
    "preferred_contact": "phone",
    "country": "US",
}


def _key(page: Any) -> str:
    found = re.findall(r'name="submission_key" value="([^"]+)"', page.content.decode())
    assert found, "the form carries no one-time key"
    return str(found[0])


def _said(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_registering_twice_with_the_same_form_makes_one_patient(world: Any, as_user: Any) -> None:
    client = as_user(world.intake_a)
    key = _key(client.get("/patients/new/"))
    first = client.post("/patients/new/", {**NEW, "submission_key": key})
    again = client.post("/patients/new/", {**NEW, "submission_key": key})
    shelley = Patient.objects.get(legal_family_name="Shelley")
    assert first.status_code == again.status_code == 302
    assert again["Location"] == first["Location"] == f"/patients/{shelley.pk}/"
    assert any(m.startswith("Already saved") for m in _said(again))
    # A fresh form is a new registration, which now asks about the first.
    other = client.post(
        "/patients/new/", {**NEW, "submission_key": _key(client.get("/patients/new/"))}
    )
    assert other.status_code == 400
    assert Patient.objects.filter(legal_family_name="Shelley").count() == 1


def test_chart_forms_sent_twice_save_once(world: Any, as_user: Any) -> None:
    client = as_user(world.prescriber_a)
    chart = f"/patients/{world.patient_a.pk}/"
    keys = re.findall(r'name="submission_key" value="([^"]+)"', client.get(chart).content.decode())
    assert len(keys) == 3 and len(set(keys)) == 3  # diagnosis, allergy, measurement
    sends = [
        ("diagnoses/", {"icd10_code": "F33.2", "status": "active"}, "#diagnoses"),
        (
            "allergies/",
            {"substance": "Penicillin", "category": "medication", "severity": "severe"},
            "#allergies",
        ),
        ("measurements/", {"weight_kg": "71"}, "#measurements"),
    ]
    for key, (path, data, anchor) in zip(keys, sends, strict=True):
        for _ in range(2):
            answer = client.post(chart + path, {**data, "submission_key": key})
            assert answer.status_code == 302 and answer["Location"] == chart + anchor
        assert any(m.startswith("Already saved") for m in _said(answer))
    patient = world.patient_a
    assert Diagnosis.objects.filter(patient=patient).count() == 1
    assert Allergy.objects.filter(patient=patient, is_active=True).count() == 1
    assert BodyMeasurement.objects.filter(patient=patient).count() == 2  # the fixture's + one


def test_a_form_re_shown_with_errors_still_saves_on_the_next_press(
    world: Any, as_user: Any
) -> None:
    client = as_user(world.prescriber_a)
    chart = f"/patients/{world.patient_a.pk}/"
    key = re.findall(r'name="submission_key" value="([^"]+)"', client.get(chart).content.decode())[
        1
    ]
    refused = client.post(
        chart + "allergies/",
        {"substance": " ", "category": "food", "severity": "mild", "submission_key": key},
    )
    assert refused.status_code == 400
    ok = client.post(
        chart + "allergies/",
        {
            "substance": "Latex",
            "category": "food",
            "severity": "mild",
            "submission_key": _key(refused),
        },
    )
    assert ok.status_code == 302
    assert Allergy.objects.filter(patient=world.patient_a).count() == 1


def test_two_presses_arriving_together_store_one_row(world: Any) -> None:
    # Both passed the page's look before either was saved: the second meets the first's key.
    actor = Actor(user_id=world.nurse_a.pk, label="nurse")
    first = actions.do_add_allergy(
        actor, world.patient_a, Allergy(substance="Sulfa"), once="k-123456"
    )
    with pytest.raises(AlreadySaved) as raised:
        actions.do_add_allergy(actor, world.patient_a, Allergy(substance="Sulfa"), once="k-123456")
    assert raised.value.object_id == str(first.pk)
    assert Allergy.objects.filter(patient=world.patient_a).count() == 1


def test_a_same_name_and_birth_date_asks_before_registering(world: Any, as_user: Any) -> None:
    client = as_user(world.intake_a)
    twin = {
        **NEW,
        "legal_given_name": "ada",
        "legal_family_name": "LOVELACE",
        "birth_date": "1985-04-12",
    }
    asked = client.post("/patients/new/", twin)
    body = asked.content.decode()
    assert asked.status_code == 400
    mrn = world.patient_a.mrn
    assert (
        f"A patient with this name and date of birth already exists: Lovelace, Ada, MRN {mrn}"
        in body
    )
    assert "Register anyway (a different person)" in body and 'name="confirm_duplicate"' in body
    assert 'value="LOVELACE"' in body  # what was typed is kept
    assert Patient.objects.filter(clinic=world.clinic_a, birth_date="1985-04-12").count() == 1
    anyway = client.post("/patients/new/", {**twin, "confirm_duplicate": "on"})
    assert anyway.status_code == 302
    assert Patient.objects.filter(clinic=world.clinic_a, birth_date="1985-04-12").count() == 2
    # Another clinic's patient of that name is not this clinic's business.
    hopper = {
        **NEW,
        "legal_given_name": "Grace",
        "legal_family_name": "Hopper",
        "birth_date": "1985-04-12",
    }
    assert client.post("/patients/new/", hopper).status_code == 302
