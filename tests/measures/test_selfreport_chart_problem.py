"""A questionnaire the scoring cannot take for a reason only the chart can fix (AUDIT-C with
sex at birth cleared after the link went out): the patient reads what to do, not the staff
wording, and the answers stay saved."""

from __future__ import annotations

from typing import Any

from django.test import Client

from ketacare.accounts.audit import Actor
from ketacare.measures.models import Assessment, SelfReportLink
from ketacare.measures.selfreport_actions import do_issue_link
from ketacare.measures.selfreport_forms import CHART_PROBLEM

STAFF = Actor(label="nurse@a.test")


def test_auditc_with_sex_cleared_tells_the_patient_and_keeps_the_answers(
    world: Any, client: Client
) -> None:
    patient = world.patient_a
    patient.sex_at_birth = "female"
    patient.save(update_fields=["sex_at_birth"])
    issued = do_issue_link(STAFF, patient, ["auditc"], context="follow_up", channel="sms")
    patient.sex_at_birth = ""
    patient.save(update_fields=["sex_at_birth"])
    answers = {
        "scale": "auditc",
        "action": "next",
        "auditc-1": "2",
        "auditc-2": "1",
        "auditc-3": "0",
    }
    refused = client.post(f"/r/{issued.token}/", answers)
    assert refused.status_code == 400
    body = refused.content.decode()
    assert "care team" in body and "updates your record" in body
    assert "sex at birth" not in body.lower()
    assert CHART_PROBLEM.split(",")[0] in body
    assert not Assessment.objects.exists()
    link = SelfReportLink.objects.get(pk=issued.link.pk)
    assert link.draft["auditc"] == {"auditc-1": 2, "auditc-2": 1, "auditc-3": 0}
