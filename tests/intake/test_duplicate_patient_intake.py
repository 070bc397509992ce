"""Convert to patient for someone the clinic already has (same legal name and date of birth):
the page shows the match and offers to link the request to that patient instead of registering
a second one, or to register anyway with an explicit tick. Nothing is stored on the question."""

from __future__ import annotations

from typing import Any

from ketacare.accounts.audit import AuditEntry
from ketacare.intake.actions import do_set_status
from ketacare.patients.models import Patient
from tests.conftest import make_patient
from tests.intake.intake_helpers import STAFF, make_request

# world.patient_a is Ada Lovelace, born 12 April 1985.
ADA = {
    "legal_given_name": "ada",
    "legal_family_name": "LOVELACE",
    "birth_date": "1985-04-12",
    "sex_at_birth": "female",
    "phone": "555-010-0177",
    "preferred_contact": "phone",
    "country": "US",
}


def contacted_ada(world: Any) -> Any:
    request = make_request(
        world.clinic_a, given_name="Ada", family_name="Lovelace", email="", phone="555-010-0177"
    )
    do_set_status(STAFF, request, "contacted")
    return request


def test_a_matching_patient_is_shown_and_nothing_is_registered(world: Any, as_user: Any) -> None:
    request = contacted_ada(world)
    before = Patient.objects.count()
    response = as_user(world.intake_a).post(f"/intake/{request.pk}/convert/", ADA)
    assert response.status_code == 400
    body = response.content.decode()
    assert "A patient with this name and date of birth already exists" in body
    assert world.patient_a.mrn in body
    assert 'data-testid="twin"' in body
    assert f'action="/intake/{request.pk}/link/"' in body
    assert f'value="{world.patient_a.pk}"' in body
    assert "Link this request to them instead" in body
    assert "Register anyway (a different person)" in body
    assert 'data-field="confirm_duplicate"' in body
    assert 'value="555-010-0177"' in body  # typed values kept
    assert Patient.objects.count() == before
    request.refresh_from_db()
    assert request.status == "contacted" and request.converted_patient is None


def test_linking_closes_the_request_on_the_existing_patient(world: Any, as_user: Any) -> None:
    request = contacted_ada(world)
    before = Patient.objects.count()
    response = as_user(world.intake_a).post(
        f"/intake/{request.pk}/link/", {"patient": str(world.patient_a.pk)}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/patients/{world.patient_a.pk}/"
    assert Patient.objects.count() == before
    request.refresh_from_db()
    assert request.status == "converted"
    assert request.converted_patient == world.patient_a
    assert world.patient_a.mrn in request.status_reason
    assert "not registered again" in request.status_reason
    entry = AuditEntry.objects.get(action="intake.request.linked")
    assert entry.patient_id == str(world.patient_a.pk) and entry.object_id == str(request.pk)
    assert not AuditEntry.objects.filter(action="intake.request.converted").exists()


def test_ticking_register_anyway_registers_a_different_person(world: Any, as_user: Any) -> None:
    request = contacted_ada(world)
    response = as_user(world.intake_a).post(
        f"/intake/{request.pk}/convert/", {**ADA, "confirm_duplicate": "on"}
    )
    assert response.status_code == 302
    request.refresh_from_db()
    created = request.converted_patient
    assert created is not None and created.pk != world.patient_a.pk
    assert request.status == "converted"
    assert Patient.objects.filter(legal_family_name__iexact="lovelace").count() == 2


def test_a_patient_of_another_clinic_cannot_be_linked(world: Any, as_user: Any) -> None:
    request = contacted_ada(world)
    response = as_user(world.intake_a).post(
        f"/intake/{request.pk}/link/", {"patient": str(world.patient_b.pk)}
    )
    assert response.status_code == 404
    request.refresh_from_db()
    assert request.status == "contacted" and request.converted_patient is None


def test_a_request_not_ready_for_conversion_is_not_linked(world: Any, as_user: Any) -> None:
    request = make_request(world.clinic_a)  # new: no contact recorded yet
    response = as_user(world.intake_a).post(
        f"/intake/{request.pk}/link/", {"patient": str(world.patient_a.pk)}
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == "new" and request.converted_patient is None


def test_linking_needs_the_power_to_register(world: Any, as_user: Any) -> None:
    request = contacted_ada(world)
    response = as_user(world.admin_a).post(
        f"/intake/{request.pk}/link/", {"patient": str(world.patient_a.pk)}
    )
    assert response.status_code == 403
    request.refresh_from_db()
    assert request.status == "contacted"


def test_a_same_email_or_phone_match_can_be_linked_too(world: Any, as_user: Any) -> None:
    other = make_patient(world.clinic_a, "Jamie", "Rivera", phone="555-010-0199")
    request = make_request(world.clinic_a, email="")
    do_set_status(STAFF, request, "contacted")
    body = as_user(world.intake_a).get(f"/intake/{request.pk}/convert/").content.decode()
    assert 'data-testid="matches"' in body
    assert f'value="{other.pk}"' in body and "Link this request to them" in body
