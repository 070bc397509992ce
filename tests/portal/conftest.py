"""Portal personas: patient_a (clinic A) and patient_b (clinic B) with portal accounts."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from ketacare.patients.models import Patient
from ketacare.portal import signin
from ketacare.portal.models import PortalAccount
from tests.conftest import SYSTEM, World, make_patient

PORTAL_PASSWORD = "violet-harbour-lantern-42"


def make_portal_account(patient: Patient, email: str) -> PortalAccount:
    patient.email = email
    patient.save(update_fields=["email"])
    invitation = signin.do_invite(SYSTEM, patient)
    user = invitation.account.user
    user.set_password(PORTAL_PASSWORD)
    user.save(update_fields=["password"])
    return invitation.account


@pytest.fixture
def portal(world: World) -> Any:
    """portal.a / portal.b: accounts; portal.client(account) → a signed-in test client."""

    class Portal:
        a = make_portal_account(world.patient_a, "ada@patient.test")
        b = make_portal_account(world.patient_b, "grace@patient.test")
        a2 = make_portal_account(
            make_patient(world.clinic_a, "Mary", "Shelley"), "mary@patient.test"
        )

        @staticmethod
        def client(account: PortalAccount) -> Client:
            c = Client()
            response = c.post(
                "/portal/sign-in/",
                {"form": "password", "email": account.user.email, "password": PORTAL_PASSWORD},
            )
            assert response.status_code == 302, response.content.decode()[:500]
            return c

    return Portal
