"""Crisis lines on a page that knows no clinic: right for every clinic of the installation."""

from __future__ import annotations

from typing import Any

from django.test import Client

from ketacare.safety.escalation_models import SafetySettings
from ketacare.safety.resources import LOCAL_EMERGENCY, deployment_resources
from tests.page_text import without_tokens

SAMARITANS = "Samaritans | 116 123 | Call any time"


def _names() -> list[str]:
    return [line.name for line in deployment_resources().lines]


def test_every_clinic_in_the_us_gives_the_us_lines(world: Any) -> None:
    found = deployment_resources()
    assert "988" in {line.tel for line in found.lines} | {line.sms for line in found.lines}
    assert found.emergency.tel == "911"
    assert found.clinic_phone == "" and found.clinic_name == ""


def test_every_clinic_in_one_other_country_shares_its_common_lines(world: Any) -> None:
    SafetySettings.objects.create(
        clinic=world.clinic_a, country="GB", extra_lines=f"{SAMARITANS}\nAlpha line | 0207 1"
    )
    SafetySettings.objects.create(clinic=world.clinic_b, country="gb", extra_lines=SAMARITANS)
    found = deployment_resources()
    assert [line.name for line in found.lines] == [LOCAL_EMERGENCY.name, "Samaritans"]
    assert found.emergency == LOCAL_EMERGENCY
    assert found.clinic_phone == ""


def test_clinics_in_several_countries_give_only_the_local_emergency_line(world: Any) -> None:
    SafetySettings.objects.create(clinic=world.clinic_a, country="GB", extra_lines=SAMARITANS)
    assert _names() == [LOCAL_EMERGENCY.name]  # clinic B is on the US default
    SafetySettings.objects.create(clinic=world.clinic_b, country="US")
    assert _names() == [LOCAL_EMERGENCY.name]


def test_a_clinic_with_unreadable_lines_shares_none_and_nothing_fails(world: Any) -> None:
    SafetySettings.objects.create(clinic=world.clinic_a, country="GB", extra_lines=SAMARITANS)
    SafetySettings.objects.create(clinic=world.clinic_b, country="GB", extra_lines="no pipes")
    assert _names() == [LOCAL_EMERGENCY.name]


def test_the_portal_sign_in_page_of_a_gb_installation_shows_no_us_numbers(world: Any) -> None:
    for clinic in (world.clinic_a, world.clinic_b):
        SafetySettings.objects.create(clinic=clinic, country="GB", extra_lines=SAMARITANS)
    body = without_tokens(Client().get("/portal/sign-in/").content.decode())
    assert "988" not in body and "911" not in body
    assert "local emergency number" in body and 'href="tel:116123"' in body


def test_the_portal_sign_in_page_shows_lines_at_all(world: Any) -> None:
    response = Client().get("/portal/sign-in/")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'href="tel:988"' in body or "tel:911" in body, body[:2000]
