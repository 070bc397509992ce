"""A patient's page whose CSRF token went stale (they signed in to the portal in another tab,
which rotates the token, or the browser dropped the cookie) must not lose a press of "I need
help now" or the answers on the page: on the token pages the token in the address is the only
credential, so there is nothing for a forged cross-site request to borrow."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client

from ketacare.accounts.audit import Actor
from ketacare.measures.models import SelfReportLink
from ketacare.measures.selfreport_actions import IssuedLink, do_issue_link
from ketacare.safety.models import RiskFlag
from ketacare.safety.plan_actions import do_issue_plan_link, do_save_plan
from tests.safety.crisis_helpers import actor

STAFF = Actor(label="nurse@a.test")
STALE = "s" * 32  # a CSRF cookie that no longer matches the page's token (rotated at sign-in)
PHQ9_ITEM9 = {f"phq9-{i}": "2" if i == 9 else "1" for i in range(1, 10)}


def issue(patient: Any, scales: list[str]) -> IssuedLink:
    return do_issue_link(STAFF, patient, scales, context="follow_up", channel="in_clinic")


def stale_page(client: Client, path: str) -> str:
    """Open the page, then rotate the CSRF cookie as a portal sign-in in another tab would."""
    page = client.get(path).content.decode()
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert found is not None
    client.cookies["csrftoken"] = STALE
    return found.group(1)


def test_a_help_press_from_a_stale_questionnaire_page_reaches_the_care_team(world: Any) -> None:
    issued = issue(world.patient_a, ["phq9"])
    client = Client(enforce_csrf_checks=True)
    token = stale_page(client, f"/r/{issued.token}/")
    response = client.post(
        f"/r/{issued.token}/help/", {"csrfmiddlewaretoken": token}, HTTP_ORIGIN="null"
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="help-page"' in body and 'href="tel:988"' in body
    flag = RiskFlag.objects.get()
    assert (flag.patient, flag.level, flag.source) == (world.patient_a, "high", "patient_request")


def test_a_risk_answer_sent_from_a_stale_page_is_kept_and_flagged(world: Any) -> None:
    issued = issue(world.patient_a, ["phq9", "gad7"])
    client = Client(enforce_csrf_checks=True)
    token = stale_page(client, f"/r/{issued.token}/")
    data = {"csrfmiddlewaretoken": token, "scale": "phq9", "action": "next", **PHQ9_ITEM9}
    response = client.post(f"/r/{issued.token}/", data, HTTP_ORIGIN="null")
    assert response.status_code == 302
    assert "phq9" in SelfReportLink.objects.get().draft["_meta"]["submitted"]
    assert RiskFlag.objects.filter(patient=world.patient_a).exists()
    assert 'data-testid="crisis"' in client.get(f"/r/{issued.token}/").content.decode()


def test_an_autosave_from_a_stale_page_still_saves_the_answer(world: Any) -> None:
    issued = issue(world.patient_a, ["phq9"])
    client = Client(enforce_csrf_checks=True)
    token = stale_page(client, f"/r/{issued.token}/")
    data = {"csrfmiddlewaretoken": token, "scale": "phq9", "phq9-9": "3"}
    response = client.post(f"/r/{issued.token}/draft/", data, HTTP_ORIGIN="null")
    assert response.status_code == 200 and response.json()["crisis"] is True
    assert SelfReportLink.objects.get().draft["phq9"] == {"phq9-9": 3}


def test_a_help_press_from_a_stale_thanks_page_reaches_the_care_team(world: Any) -> None:
    issued = issue(world.patient_a, ["phq2"])
    client = Client(enforce_csrf_checks=True)
    token = stale_page(client, f"/r/{issued.token}/")
    data = {"csrfmiddlewaretoken": token, "scale": "phq2", "action": "next"}
    client.cookies["csrftoken"] = STALE
    done = client.post(f"/r/{issued.token}/", {**data, "phq2-1": "0", "phq2-2": "0"})
    assert done.status_code == 302 and done["Location"] == "/r/thanks/"
    token = stale_page(client, "/r/thanks/")
    response = client.post("/r/thanks/help/", {"csrfmiddlewaretoken": token}, HTTP_ORIGIN="null")
    assert response.status_code == 200
    assert RiskFlag.objects.get().patient == world.patient_a


def test_a_help_press_from_a_stale_safety_plan_page_reaches_the_care_team(world: Any) -> None:
    do_save_plan(
        actor(world.nurse_a),
        world.patient_a,
        {
            "warning_signs": "Not sleeping",
            "coping_strategies": "A walk",
            "distractions": "The gym",
            "help_contacts": "My sister",
            "professionals": "The clinic",
            "safe_environment": "Pills with Mia",
        },
    )
    issued = do_issue_plan_link(actor(world.nurse_a), world.patient_a)
    client = Client(enforce_csrf_checks=True)
    token = stale_page(client, f"/sp/{issued.token}/")
    response = client.post(
        f"/sp/{issued.token}/help/", {"csrfmiddlewaretoken": token}, HTTP_ORIGIN="null"
    )
    assert response.status_code == 200
    assert 'data-testid="help-sent"' in response.content.decode()
    assert RiskFlag.objects.get().patient == world.patient_a
