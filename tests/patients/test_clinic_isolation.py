"""A clinician of clinic B can never read or change clinic A's patient, through any route.

The route list is discovered from the URL configuration, so a new page that takes a
patient id is covered the day it is added (and the test fails if it leaks).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from ketacare.accounts.audit import AuditEntry
from ketacare.patients.models import Allergy, BodyMeasurement, Diagnosis, Patient


def _patient_routes() -> list[str]:
    """Every URL pattern (as a template) that takes a patient id."""
    found: list[str] = []

    def walk(patterns: list[Any], prefix: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                route = prefix + str(p.pattern)
                if "patient_id" in route:
                    found.append(route)

    walk(get_resolver().url_patterns, "/")
    return found


def _fill(route: str, patient_id: str) -> str:
    route = route.replace("^", "").replace("$", "").replace("\\Z", "")
    route = re.sub(r"<(?:\w+:)?patient_id>", patient_id, route)
    route = re.sub(r"\(\?P<patient_id>[^)]*\)", patient_id, route)
    return re.sub(r"<(?:\w+:)?\w+>", "1", route)


ROUTES = _patient_routes()

# Valid bodies, so the request reaches the access check rather than stopping at validation.
SAMPLE_BODIES = {
    "diagnoses": {"icd10_code": "F33.2"},
    "allergies": {"substance": "Latex"},
    "measurements": {"weight_kg": "70.5"},
}


def test_the_route_list_covers_pages_api_and_fhir() -> None:
    joined = " ".join(ROUTES)
    assert "/patients/" in joined and "/api/v1/" in joined and "/fhir/" in joined
    assert len(ROUTES) >= 10


def _snapshot() -> tuple[int, ...]:
    return (
        Patient.objects.count(),
        Diagnosis.objects.count(),
        Allergy.objects.count(),
        BodyMeasurement.objects.count(),
    )


@pytest.mark.parametrize("route", ROUTES)
def test_clinician_of_clinic_b_gets_not_found_on_every_patient_route(
    route: str, world: Any, as_user: Any, token_for: Any, api_client: Any
) -> None:
    url = _fill(route, str(world.patient_a.pk))
    before = _snapshot()
    audited = AuditEntry.objects.filter(action="patients.access.refused").count()
    if url.startswith(("/api/", "/fhir/")):
        client = api_client(token_for(world.clinician_b))
        body = SAMPLE_BODIES.get(url.rstrip("/").rsplit("/", 1)[-1], {"phone": "555-010-0199"})
        responses = [client.get(url), client.post(url, data=body, content_type="application/json")]
        if url.startswith("/api/"):
            responses.append(client.patch(url, data=body, content_type="application/json"))
    else:
        client = as_user(world.clinician_b)
        form = {
            "status": "resolved",
            "icd10_code": "F33.2",
            "substance": "Latex",
            "weight_kg": "70",
        }
        responses = [client.get(url), client.post(url, data=form)]
    for response in responses:
        assert response.status_code in (404, 405), (url, response.status_code)
        body = response.content.decode()
        assert "Lovelace" not in body and world.patient_a.mrn not in body
    assert any(r.status_code == 404 for r in responses), url
    assert _snapshot() == before, f"{url} changed data for a foreign clinic"
    refused = AuditEntry.objects.filter(action="patients.access.refused")
    assert refused.count() > audited
    entry = refused.order_by("-seq").first()
    assert entry is not None
    assert entry.outcome == "denied"
    assert entry.actor_id == world.clinician_b.pk


@pytest.mark.parametrize("route", [r for r in ROUTES if not r.startswith(("/api/", "/fhir/"))])
def test_refusal_looks_the_same_as_a_missing_patient(route: str, world: Any, as_user: Any) -> None:
    client = as_user(world.clinician_b)
    foreign_url = _fill(route, str(world.patient_a.pk))
    missing_url = _fill(route, "00000000-0000-0000-0000-000000000000")
    foreign, missing = client.get(foreign_url), client.get(missing_url)
    if foreign.status_code == 405:  # a POST-only action
        foreign, missing = client.post(foreign_url), client.post(missing_url)
    assert foreign.status_code == missing.status_code == 404

    def without_csrf(body: bytes) -> str:
        return re.sub(r'value="[A-Za-z0-9]{32,}"', "", body.decode())

    assert without_csrf(foreign.content) == without_csrf(missing.content)


def test_anonymous_visitor_is_sent_to_sign_in_for_every_page(world: Any, client: Any) -> None:
    for route in ROUTES:
        url = _fill(route, str(world.patient_a.pk))
        response = client.get(url)
        if url.startswith(("/api/", "/fhir/")):
            assert response.status_code in (401, 405), url  # 405: a POST-only route
        else:
            assert response.status_code == 302, url
            assert response["Location"].startswith("/accounts/login/")


def test_patient_list_and_search_show_only_own_clinic(world: Any, as_user: Any) -> None:
    client = as_user(world.clinician_b)
    body = client.get("/patients/").content.decode()
    assert "Hopper" in body and "Lovelace" not in body
    client.post("/patients/", {"q": "Lovelace"})
    body = client.get("/patients/").content.decode()
    assert "Lovelace, Ada" not in body
    assert "0 patients match" in body


def test_api_search_shows_only_own_clinic(world: Any, token_for: Any, api_client: Any) -> None:
    client = api_client(token_for(world.clinician_b))
    response = client.post(
        "/api/v1/patients/search", data={"q": "Lovelace"}, content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json()["count"] == 0
