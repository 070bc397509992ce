"""A clinic tablet passed from patient to patient (links "shown once on screen, for a tablet in
the clinic"): the thank-you page of the patient before must not show the next person that
patient's first name, whether crisis lines were shown to them (a risk answer), nor let them
raise a flag in that patient's name."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import time_machine
from django.test import Client
from django.utils import timezone

from ketacare.accounts.audit import Actor
from ketacare.measures.selfreport_actions import do_issue_link
from ketacare.safety.models import RiskFlag

STAFF = Actor(label="nurse@a.test")
# A positive screen: the crisis lines are on this patient's thank-you page.
CSSRS_YES = {"cssrs_recent-1": "1", "cssrs_recent-2": "0", "cssrs_recent-6": "0"}


def test_the_next_patients_link_ends_the_thank_you_page_of_the_one_before(
    world: Any,
) -> None:
    tablet = Client()
    first = do_issue_link(
        STAFF, world.patient_a, ["cssrs_recent"], context="pre_session", channel="in_clinic"
    )
    tablet.post(f"/r/{first.token}/", {"scale": "cssrs_recent", "action": "next", **CSSRS_YES})
    assert tablet.get("/r/thanks/").status_code == 200
    flags = RiskFlag.objects.count()
    second = do_issue_link(
        STAFF, world.patient_b, ["phq2"], context="pre_session", channel="in_clinic"
    )
    assert tablet.get(f"/r/{second.token}/").status_code == 200  # the next patient's form
    page = tablet.get("/r/thanks/")
    assert page.status_code == 404 and "Ada" not in page.content.decode()
    assert tablet.post("/r/thanks/help/").status_code == 404
    assert RiskFlag.objects.count() == flags  # nothing raised in the first patient's name


def test_the_thank_you_page_ends_after_an_hour(world: Any, client: Client) -> None:
    issued = do_issue_link(STAFF, world.patient_a, ["phq2"], context="follow_up", channel="sms")
    client.post(
        f"/r/{issued.token}/", {"scale": "phq2", "action": "next", "phq2-1": "0", "phq2-2": "0"}
    )
    with time_machine.travel(timezone.now() + timedelta(minutes=59)):
        assert client.get("/r/thanks/").status_code == 200
        assert client.post("/r/thanks/help/").status_code == 200  # still the patient's own
    with time_machine.travel(timezone.now() + timedelta(minutes=61)):
        assert client.get("/r/thanks/").status_code == 404
        # A thank-you page left open longer still sends its help press: a patient's call is
        # never lost to a timer.
        assert client.post("/r/thanks/help/").status_code == 200
