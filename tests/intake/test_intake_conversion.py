"""Convert to patient: the registration form opens prefilled from the request (no retyping),
and registering the patient and closing the request happen together or not at all."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import AuditEntry
from ketacare.intake import actions
from ketacare.intake.actions import do_convert_request, do_set_status
from ketacare.patients.models import Patient
from tests.intake.intake_helpers import STAFF, make_request

REST_OF_FORM = {"birth_date": "1990-02-03", "sex_at_birth": "male", "country": "US"}


def contacted(world: Any, **overrides: Any) -> Any:
    request = make_request(world.clinic_a, **overrides)
    do_set_status(STAFF, request, "contacted")
    return request


def test_registration_form_opens_prefilled_from_the_request(world: Any, as_user: Any) -> None:
    request = contacted(world, preferred_contact="email")
    response = as_user(world.intake_a).get(f"/intake/{request.pk}/convert/")
    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial == {
        "legal_given_name": "Jamie",
        "legal_family_name": "Rivera",
        "phone": "555-010-0199",
        "email": "jamie@example.com",
        "preferred_contact": "email",
    }
    body = response.content.decode()
    assert 'value="Jamie"' in body and 'value="jamie@example.com"' in body
    assert 'data-testid="prefilled"' in body


def test_converting_registers_links_and_closes_the_request_in_one_step(
    world: Any, as_user: Any
) -> None:
    request = contacted(world)
    client = as_user(world.intake_a)
    initial = client.get(f"/intake/{request.pk}/convert/").context["form"].initial
    response = client.post(f"/intake/{request.pk}/convert/", {**initial, **REST_OF_FORM})
    patient = Patient.objects.get(legal_family_name="Rivera")
    assert response.status_code == 302 and response["Location"] == f"/patients/{patient.pk}/"
    assert (patient.clinic, patient.email, patient.phone) == (
        world.clinic_a,
        "jamie@example.com",
        "555-010-0199",
    )
    request.refresh_from_db()
    assert request.status == "converted" and request.converted_patient == patient
    assert request.status_changes.first().to_status == "converted"
    entry = AuditEntry.objects.get(action="intake.request.converted")
    assert entry.patient_id == str(patient.pk) and entry.object_id == str(request.pk)
    created = AuditEntry.objects.filter(
        action="patients.patient.created", actor_label="intake@a.test"
    )
    assert created.count() == 1
    detail = client.get(f"/intake/{request.pk}/").content.decode()
    assert f'href="/patients/{patient.pk}/"' in detail and patient.mrn in detail


def test_a_failure_after_registration_leaves_no_patient_behind(
    world: Any, monkeypatch: Any
) -> None:
    request = contacted(world)
    before = Patient.objects.count()

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(actions, "_move", broken)
    data = {
        "legal_given_name": "Jamie",
        "legal_family_name": "Rivera",
        "birth_date": date(1990, 2, 3),
        "sex_at_birth": "male",
    }
    with pytest.raises(RuntimeError):
        do_convert_request(STAFF, request, data)
    assert Patient.objects.count() == before
    request.refresh_from_db()
    assert request.status == "contacted" and request.converted_patient is None
    assert (
        not AuditEntry.objects.filter(action="patients.patient.created")
        .exclude(actor_label="test-setup")
        .exists()
    )


def test_invalid_registration_keeps_the_request_open(world: Any, as_user: Any) -> None:
    request = contacted(world)
    response = as_user(world.intake_a).post(
        f"/intake/{request.pk}/convert/", {"legal_given_name": "Jamie", "birth_date": "2999-01-01"}
    )
    assert response.status_code == 400 and 'data-field="birth_date"' in response.content.decode()
    request.refresh_from_db()
    assert request.status == "contacted" and not Patient.objects.filter(email="jamie@example.com")


def test_a_request_is_converted_only_once(world: Any, as_user: Any) -> None:
    request = contacted(world)
    client = as_user(world.intake_a)
    initial = client.get(f"/intake/{request.pk}/convert/").context["form"].initial
    client.post(f"/intake/{request.pk}/convert/", {**initial, **REST_OF_FORM})
    again = client.post(f"/intake/{request.pk}/convert/", {**initial, **REST_OF_FORM})
    assert again.status_code == 302 and again["Location"].startswith(f"/intake/{request.pk}/")
    assert Patient.objects.filter(legal_family_name="Rivera").count() == 1


def test_a_new_request_needs_a_first_contact_before_conversion(world: Any, as_user: Any) -> None:
    request = make_request(world.clinic_a)
    with pytest.raises(ActionError) as refused:
        do_convert_request(STAFF, request, {})
    assert "first contact" in refused.value.message
    response = as_user(world.intake_a).get(f"/intake/{request.pk}/convert/")
    assert response.status_code == 302
    body = as_user(world.intake_a).get(f"/intake/{request.pk}/").content.decode()
    assert 'data-testid="convert"' not in body and 'data-testid="conversion-problem"' in body


def test_admin_works_the_queue_but_cannot_register_patients(world: Any, as_user: Any) -> None:
    request = contacted(world)
    admin = as_user(world.admin_a)
    assert 'data-testid="convert"' not in admin.get(f"/intake/{request.pk}/").content.decode()
    assert admin.get(f"/intake/{request.pk}/convert/").status_code == 403


def test_a_possibly_existing_patient_is_pointed_out(world: Any, as_user: Any) -> None:
    request = contacted(world, phone=world.patient_a.phone, email="")
    body = as_user(world.intake_a).get(f"/intake/{request.pk}/convert/").content.decode()
    assert 'data-testid="matches"' in body and world.patient_a.mrn in body
