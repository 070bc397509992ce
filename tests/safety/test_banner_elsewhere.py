"""A person who works for two clinics is told, on the clinic they are signed in to, that the
other clinic has open risk flags or unread notices for them: counts only, no patient.

The banner is per clinic. A prescriber on call for clinic A who is signed in to clinic B saw
nothing of A's new high flag until they switched, though they had been notified in A's app.
"""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.utils import timezone

from ketacare.accounts.middleware import SESSION_CLINIC_KEY
from ketacare.accounts.models import Clinic, Membership, Role, User
from ketacare.safety.escalation_models import StaffNotification
from ketacare.treatments.models import StaffNotice
from tests.safety.helpers import raise_flag


def _signed_in(user: User, clinic: Clinic) -> Client:
    client = Client()
    client.force_login(user)
    session = client.session
    session[SESSION_CLINIC_KEY] = clinic.pk
    session.save()
    return client


def _banner(client: Client) -> str:
    response = client.get("/safety/banner/")
    assert response.status_code == 200
    return str(response.json()["html"])


def test_open_flags_of_my_other_clinic_are_counted_without_the_patient(world: Any) -> None:
    Membership.objects.create(user=world.clinician_b, clinic=world.clinic_a, role=Role.PRESCRIBER)
    raise_flag(world.patient_a, level="high")
    raise_flag(world.patient_a, level="moderate", source="manual")
    client = _signed_in(world.clinician_b, world.clinic_b)

    html = _banner(client)

    assert 'data-testid="risk-elsewhere"' in html
    assert "Alpha Clinic" in html and "2 open risk flags (1 high, 1 moderate)" in html
    assert world.patient_a.legal_family_name not in html and world.patient_a.mrn not in html
    assert 'data-testid="risk-banner"' not in html  # clinic B itself has none open
    # The full page carries it too (the context processor), with the way to switch.
    page = client.get("/patients/").content.decode()
    assert "In your other clinic:" in page and "/accounts/clinic/" in page


def test_unread_notices_for_me_in_the_other_clinic_are_counted(world: Any) -> None:
    Membership.objects.create(user=world.clinician_b, clinic=world.clinic_a, role=Role.PRESCRIBER)
    StaffNotification.objects.create(user=world.clinician_b, clinic=world.clinic_a, text="a flag")
    StaffNotice.objects.create(user=world.clinician_b, clinic=world.clinic_a, message="an alert")
    StaffNotice.objects.create(
        user=world.prescriber_a, clinic=world.clinic_a, message="someone else's"
    )

    html = _banner(_signed_in(world.clinician_b, world.clinic_b))

    assert "Alpha Clinic — 2 unread notices for you" in html
    assert "open risk flag" not in html


def test_nothing_waiting_elsewhere_shows_nothing(world: Any) -> None:
    Membership.objects.create(user=world.clinician_b, clinic=world.clinic_a, role=Role.PRESCRIBER)
    StaffNotification.objects.create(
        user=world.clinician_b, clinic=world.clinic_a, text="read", read_at=timezone.now()
    )

    assert "risk-elsewhere" not in _banner(_signed_in(world.clinician_b, world.clinic_b))


def test_a_clinic_i_do_not_work_for_is_never_mentioned(world: Any) -> None:
    raise_flag(world.patient_a, level="high")

    html = _banner(_signed_in(world.clinician_b, world.clinic_b))

    assert "risk-elsewhere" not in html and "Alpha Clinic" not in html


def test_an_ended_membership_is_not_mentioned(world: Any) -> None:
    Membership.objects.create(
        user=world.clinician_b, clinic=world.clinic_a, role=Role.PRESCRIBER, is_active=False
    )
    raise_flag(world.patient_a, level="high")

    assert "Alpha Clinic" not in _banner(_signed_in(world.clinician_b, world.clinic_b))


def test_the_clinic_signed_in_to_is_not_repeated_as_elsewhere(world: Any) -> None:
    Membership.objects.create(user=world.clinician_b, clinic=world.clinic_a, role=Role.PRESCRIBER)
    raise_flag(world.patient_a, level="high")

    html = _banner(_signed_in(world.clinician_b, world.clinic_a))

    assert 'data-testid="risk-banner"' in html and "risk-elsewhere" not in html


def test_the_choose_a_clinic_page_says_what_waits_at_each(world: Any) -> None:
    Membership.objects.create(user=world.clinician_b, clinic=world.clinic_a, role=Role.PRESCRIBER)
    raise_flag(world.patient_a, level="high")
    StaffNotification.objects.create(user=world.clinician_b, clinic=world.clinic_a, text="a flag")
    client = Client()
    client.force_login(world.clinician_b)

    page = client.get("/accounts/clinic/").content.decode()

    alpha = page.index("Alpha Clinic")
    beta = page.index("Beta Clinic")
    waiting = page.index('data-testid="clinic-waiting"')
    assert alpha < waiting < beta  # under Alpha only (the list is ordered by name)
    assert "1 open risk flag" in page and "1 unread notice for you" in page
    assert page.count('data-testid="clinic-waiting"') == 1
    assert world.patient_a.legal_family_name not in page
