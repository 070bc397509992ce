"""A plan review decided with Decide pressed twice is decided once, one revision, and the
repeat is not refused "This review has already been decided" as if it had failed: it goes back
to the decided task saying "Already saved". A later, different decision (without the page's
key) is still refused."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.messages import get_messages

from ketacare.plans.models import PlanRevision
from tests.plan_reviews.review_helpers import iv_plan
from tests.plan_reviews.test_review_decisions import task_for

pytestmark = pytest.mark.django_db


def test_a_decision_sent_twice_is_recorded_once(world: Any, as_user: Any) -> None:
    plan = iv_plan(world.prescriber_a, world.patient_a)
    task = task_for(plan)
    client = as_user(world.prescriber_a)
    url = f"/reviews/{task.pk}/"
    (key,) = re.findall(r'name="submission_key" value="([^"]+)"', client.get(url).content.decode())
    before = PlanRevision.objects.filter(plan=plan).count()
    data = {"decision": "continue", "note": "Improving.", "submission_key": key}
    first = client.post(url, data)
    again = client.post(url, data)
    assert first.status_code == again.status_code == 302
    assert again["Location"] == first["Location"] == url
    assert any(str(m).startswith("Already saved") for m in get_messages(again.wsgi_request))
    assert PlanRevision.objects.filter(plan=plan).count() == before + 1
    task.refresh_from_db()
    assert (task.status, task.decision) == ("decided", "continue")
    refused = client.post(url, {"decision": "stop", "note": "Changed my mind."})
    assert refused.status_code == 400 and "already been decided" in refused.content.decode()
