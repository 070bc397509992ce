"""The statements one risk submission costs (issue 7's benchmark: 200 of them at once).

A PHQ-9 with item 9 = 2 from a patient's link stores the answers, the assessment, the high
flag, its crisis record and dosing block, the escalation with step 1's notices to the person
on call, the C-SSRS that becomes due and the audit entries, in one transaction. Each statement
costs the request about a third of a millisecond of Python, so a change that adds one per
person, per rule or per setting read twice shows here first (bench/README.md, "Stop 21").
"""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from ketacare.measures.scheduling import ensure_default_rules
from ketacare.safety.escalation_models import EscalationEvent
from ketacare.safety.models import RiskFlag
from tests.measures.test_selfreport_crisis import issue, phq9_with_item9
from tests.safety.helpers import on_call_all_week

# Measured at stop 21, both databases, counting the test client's session read and the test's
# own savepoint: 46 statements, 53 before that stop's trims (the clinic's thresholds and schedule
# rules read once, the on-call and prescriber checks folded into their queries, the prescriber
# found in one query, a new escalation stored with its due time at once). Stop 22 added one: a
# new dosing block looks for an infusion running for the patient, to alert that chair at once
# (`treatments/block_alerts.py`).
CEILING = 47


def test_a_risk_submission_stays_within_its_statement_count(world: Any, client: Client) -> None:
    on_call_all_week(world.clinic_a, world.prescriber_a)
    ensure_default_rules(world.clinic_a)  # as in any clinic past its first day
    issued = issue(world.patient_a, ["phq9"])
    client.get(f"/r/{issued.token}/")

    with CaptureQueriesContext(connection) as statements:
        sent = client.post(
            f"/r/{issued.token}/", {"scale": "phq9", "action": "next", **phq9_with_item9(2)}
        )

    assert sent.status_code == 302
    flag = RiskFlag.objects.get(patient=world.patient_a, level="high")
    told = EscalationEvent.objects.filter(flag=flag, kind="notified")
    assert list(told.values_list("recipient_id", flat=True)) == [world.prescriber_a.pk]
    print(f"{len(statements)} statements")
    assert len(statements) <= CEILING, "\n".join(q["sql"][:120] for q in statements)
