"""Registering a patient and editing demographics: validation, MRNs, audit, roles."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from ketacare.accounts.audit import AuditEntry
from ketacare.patients.models import Patient

VALID = {
    "legal_given_name": "José",
    "legal_family_name": "Núñez",
    "preferred_name": "Pepe",
    "pronouns": "he/him",
    "birth_date": "1979-02-03",
    "sex_at_birth": "male",
    "gender_identity": "Man",
    "phone": "+1 (555) 010-0142",
    "email": "jose@example.com",
    "preferred_contact": "sms",
    "country": "US",
    "emergency_contact_name": "Ana Núñez",
    "emergency_contact_relationship": "Spouse",
    "emergency_contact_phone": "555-010-0143",
}


def test_intake_registers_a_patient_and_gets_a_clinic_mrn(world: Any, as_user: Any) -> None:
    response = as_user(world.intake_a).post("/patients/new/", VALID)
    assert response.status_code == 302
    patient = Patient.objects.get(legal_family_name="Núñez")
    assert patient.clinic == world.clinic_a
    assert patient.mrn.startswith("ALP") and patient.mrn != world.patient_a.mrn
    assert response["Location"] == f"/patients/{patient.pk}/"
    entry = AuditEntry.objects.get(action="patients.patient.created", patient_id=str(patient.pk))
    assert entry.actor_id == world.intake_a.pk and entry.clinic_id == world.clinic_a.pk


def test_mrns_are_sequential_per_clinic(world: Any, as_user: Any) -> None:
    as_user(world.intake_a).post("/patients/new/", VALID)
    as_user(world.intake_a).post("/patients/new/", {**VALID, "legal_family_name": "Other"})
    mrns = sorted(world.clinic_a.patients.values_list("mrn", flat=True))
    assert mrns == ["ALP000001", "ALP000002", "ALP000003"]
    assert world.patient_b.mrn == "BET000001"


def _assert_refused(response: Any, field: str, fragment: str) -> None:
    assert response.status_code == 400
    body = response.content.decode()
    assert f'data-field="{field}"' in body, body
    assert fragment in body


def test_future_birth_date_is_refused_naming_the_field_and_keeping_input(
    world: Any, as_user: Any
) -> None:
    future = (timezone.localdate() + timedelta(days=3)).isoformat()
    before = Patient.objects.count()
    response = as_user(world.intake_a).post("/patients/new/", {**VALID, "birth_date": future})
    _assert_refused(response, "birth_date", "cannot be in the future")
    assert Patient.objects.count() == before
    assert 'value="Núñez"' in response.content.decode()  # nothing typed is lost


def test_missing_names_bad_phone_and_missing_email_are_each_named(world: Any, as_user: Any) -> None:
    client = as_user(world.intake_a)
    _assert_refused(
        client.post("/patients/new/", {**VALID, "legal_family_name": "  "}),
        "legal_family_name",
        "required",
    )
    _assert_refused(client.post("/patients/new/", {**VALID, "phone": "call me"}), "phone", "phone")
    _assert_refused(
        client.post("/patients/new/", {**VALID, "preferred_contact": "email", "email": ""}),
        "email",
        "email address is needed",
    )
    _assert_refused(
        client.post("/patients/new/", {**VALID, "sex_at_birth": "robot"}),
        "sex_at_birth",
        "valid choice",
    )
    _assert_refused(
        client.post("/patients/new/", {**VALID, "birth_date": "1890-01-01"}),
        "birth_date",
        "over 120",
    )
    assert Patient.objects.filter(legal_family_name="Núñez").count() == 0


def test_script_in_a_name_is_stored_as_text_and_never_rendered_as_markup(
    world: Any, as_user: Any
) -> None:
    client = as_user(world.intake_a)
    client.post("/patients/new/", {**VALID, "legal_family_name": "<script>alert(1)</script>"})
    patient = Patient.objects.get(legal_family_name="<script>alert(1)</script>")
    body = client.get(f"/patients/{patient.pk}/").content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_therapist_and_director_may_not_register_patients(world: Any, as_user: Any) -> None:
    for user in (world.therapist_a, world.director_a, world.admin_a):
        response = as_user(user).post("/patients/new/", VALID)
        assert response.status_code == 403
    assert not Patient.objects.filter(legal_family_name="Núñez").exists()
    denied = AuditEntry.objects.filter(action="accounts.permission.denied", outcome="denied")
    assert denied.count() == 3


def test_editing_demographics_audits_which_fields_changed_not_their_values(
    world: Any, as_user: Any
) -> None:
    patient = world.patient_a
    client = as_user(world.nurse_a)
    form = client.get(f"/patients/{patient.pk}/edit/").context["form"]
    data = {k: ("" if v is None else v) for k, v in form.initial.items()}
    data.update(phone="555-010-0199", pronouns="she/they")
    response = client.post(f"/patients/{patient.pk}/edit/", data)
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.phone == "555-010-0199"
    entry = AuditEntry.objects.get(action="patients.patient.updated")
    assert sorted(entry.detail["fields"]) == ["phone", "pronouns"]
    assert "555-010-0199" not in str(entry.detail)


def test_a_rejected_edit_changes_nothing(world: Any, as_user: Any) -> None:
    patient = world.patient_a
    client = as_user(world.nurse_a)
    form = client.get(f"/patients/{patient.pk}/edit/").context["form"]
    data = {k: ("" if v is None else v) for k, v in form.initial.items()}
    data.update(phone="555-010-0177", birth_date="2999-01-01")
    response = client.post(f"/patients/{patient.pk}/edit/", data)
    _assert_refused(response, "birth_date", "future")
    patient.refresh_from_db()
    assert patient.phone == "555-010-0100"
    assert not AuditEntry.objects.filter(action="patients.patient.updated").exists()
