"""Personas and helpers shared by the whole suite.

Clinic A has an admin, a prescriber, a nurse, a therapist, an intake coordinator and a
director; clinic B has one clinician. `patient_a` belongs to clinic A.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from ketacare.accounts.actions import do_create_token
from ketacare.accounts.audit import Actor
from ketacare.accounts.models import Clinic, Membership, Role, User
from ketacare.patients.actions import do_register_patient
from ketacare.patients.models import BodyMeasurement, Patient

# Property tests judge rules, not speed: Hypothesis's 200 ms deadline per example failed a
# CADSS-23 property once on a loaded 2-core machine (performance lives in bench/).
hypothesis_settings.register_profile(
    "ketacare", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
hypothesis_settings.load_profile("ketacare")

PASSWORD = "correct-horse-battery-9"
SYSTEM = Actor(label="test-setup")


@pytest.fixture(autouse=True)
def _fast_settings(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.AXES_ENABLED = True
    # Each test gets an empty in-process cache: the default file cache is shared by every
    # process (as rate limits need in production), which would leak counters between tests.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    from django.core.cache import cache

    cache.clear()


def make_clinic(name: str, prefix: str) -> Clinic:
    return Clinic.objects.create(name=name, slug=name.lower().replace(" ", "-"), mrn_prefix=prefix)


def make_staff(clinic: Clinic, role: str, email: str, name: str = "") -> User:
    user = User.objects.filter(email=email).first() or User.objects.create_user(
        email, PASSWORD, full_name=name or email.split("@")[0].title()
    )
    Membership.objects.create(user=user, clinic=clinic, role=role)
    return user


def make_patient(
    clinic: Clinic, given: str = "Ada", family: str = "Lovelace", **extra: Any
) -> Patient:
    data: dict[str, Any] = {
        "legal_given_name": given,
        "legal_family_name": family,
        "birth_date": date(1985, 4, 12),
        "sex_at_birth": "female",
        "phone": "555-010-0100",
    }
    data.update(extra)
    return do_register_patient(SYSTEM, clinic, data)


@dataclass
class World:
    clinic_a: Clinic
    clinic_b: Clinic
    admin_a: User
    prescriber_a: User
    nurse_a: User
    therapist_a: User
    intake_a: User
    director_a: User
    clinician_b: User
    patient_a: Patient
    patient_b: Patient


@pytest.fixture
def world(db: Any) -> World:
    a = make_clinic("Alpha Clinic", "ALP")
    b = make_clinic("Beta Clinic", "BET")
    w = World(
        clinic_a=a,
        clinic_b=b,
        admin_a=make_staff(a, Role.ADMIN, "admin@a.test", "Alice Admin"),
        prescriber_a=make_staff(a, Role.PRESCRIBER, "prescriber@a.test", "Paula Prescriber"),
        nurse_a=make_staff(a, Role.NURSE, "nurse@a.test", "Nina Nurse"),
        therapist_a=make_staff(a, Role.THERAPIST, "therapist@a.test", "Theo Therapist"),
        intake_a=make_staff(a, Role.INTAKE, "intake@a.test", "Ivan Intake"),
        director_a=make_staff(a, Role.DIRECTOR, "director@a.test", "Dora Director"),
        clinician_b=make_staff(b, Role.PRESCRIBER, "prescriber@b.test", "Bob B"),
        patient_a=make_patient(a),
        patient_b=make_patient(b, "Grace", "Hopper"),
    )
    BodyMeasurement.objects.create(
        patient=w.patient_a, weight_kg=Decimal("70.0"), height_cm=Decimal("170.0")
    )
    return w


def login(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


@pytest.fixture
def as_user(client: Client) -> Any:
    """as_user(user) → a test client signed in as that user (clinic chosen automatically)."""

    def _as(user: User) -> Client:
        c = Client()
        c.force_login(user)
        return c

    return _as


@pytest.fixture
def token_for(db: Any) -> Any:
    """token_for(user, clinic) → a raw bearer token for that user in that clinic."""

    def _token(user: User, clinic: Clinic | None = None) -> str:
        membership = (
            Membership.objects.get(user=user, clinic=clinic) if clinic else user.memberships.get()
        )
        _, raw = do_create_token(SYSTEM, membership, "test")
        return raw

    return _token


@pytest.fixture
def api_client(client: Client) -> Any:
    """api_client(token) → a client that sends the bearer token on every request."""

    def _client(token: str) -> Client:
        return Client(HTTP_AUTHORIZATION=f"Bearer {token}")

    return _client
