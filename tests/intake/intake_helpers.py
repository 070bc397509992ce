"""Helpers for intake tests: the public form's data, and stored requests."""

from __future__ import annotations

from typing import Any

from django.test import Client

from ketacare.accounts.audit import Actor
from ketacare.intake.actions import do_submit_request
from ketacare.intake.models import ConsultationRequest

STAFF = Actor(label="intake@a.test")


def form_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "given_name": "Jamie",
        "family_name": "Rivera",
        "email": "jamie@example.com",
        "phone": "555-010-0199",
        "preferred_contact": "phone",
        "preferred_time": "morning",
        "help_with": ["treatment_resistant_depression"],
        "other_text": "",
        "referring_clinician": "",
        "message": "Four medications have not helped.",
        "consent_to_contact": "on",
        "website": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def form_url(clinic: Any) -> str:
    return f"/c/{clinic.slug}/consultation/"


def submit(client: Client, clinic: Any, **overrides: Any) -> Any:
    return client.post(form_url(clinic), form_data(**overrides))


def make_request(clinic: Any, **overrides: Any) -> ConsultationRequest:
    """A stored request, as the public form would store it (validated data)."""
    data: dict[str, Any] = {
        "given_name": "Jamie",
        "family_name": "Rivera",
        "email": "jamie@example.com",
        "phone": "555-010-0199",
        "preferred_contact": "phone",
        "preferred_time": "any",
        "help_with": ["depression"],
        "consent_to_contact": True,
        "newsletter": False,
    }
    data.update(overrides)
    submission = do_submit_request(clinic, data, network="203.0.113.0/24")
    assert submission.consultation is not None
    return submission.consultation
