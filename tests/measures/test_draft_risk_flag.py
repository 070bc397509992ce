"""A risk answer kept in a questionnaire the patient has not sent (autosave, "Save and finish
later" in the portal, or a submission refused for a missing answer) raises its flag at once;
sending the form then links its assessment to that flag instead of raising a second one, and
a higher answer raises a new one."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from ketacare.accounts.audit import Actor, AuditEntry
from ketacare.measures.models import Assessment
from ketacare.measures.selfreport_actions import (
    MissingAnswers,
    do_issue_link,
    do_save_draft,
    do_submit_scale,
)
from ketacare.safety.models import RiskFlag

STAFF = Actor(label="nurse@a.test")


def phq9(item9: int, *, skip: int | None = None) -> dict[str, int]:
    answers = {f"phq9-{i}": 1 for i in range(1, 9)} | {"phq9-9": item9}
    if skip is not None:
        answers.pop(f"phq9-{skip}")
    return answers


def test_saving_a_draft_raises_the_flag_and_sending_links_it(world: Any) -> None:
    link = do_issue_link(STAFF, world.patient_a, ["phq9"], context="follow_up", channel="sms")
    do_save_draft(link.link, "phq9", {"phq9-9": 3}, "203.0.113.9")
    flag = RiskFlag.objects.get()
    assert (flag.level, flag.status, flag.assessment) == ("high", "open", None)
    # Saving again with the same answer raises nothing more.
    do_save_draft(link.link, "phq9", {"phq9-1": 2}, "203.0.113.9")
    assert RiskFlag.objects.count() == 1
    done = do_submit_scale(link.link, "phq9", phq9(3), "203.0.113.9")
    flag.refresh_from_db()
    assert RiskFlag.objects.count() == 1 and flag.assessment == done.assessment
    entry = AuditEntry.objects.get(action="safety.flag.assessment_linked")
    assert entry.detail == {"assessment": done.assessment.pk, "level": "high"}


def test_a_higher_answer_when_sent_raises_a_new_flag(world: Any) -> None:
    link = do_issue_link(STAFF, world.patient_a, ["phq9"], context="follow_up", channel="sms")
    do_save_draft(link.link, "phq9", {"phq9-9": 1}, "")
    first = RiskFlag.objects.get()
    do_submit_scale(link.link, "phq9", phq9(3), "")
    flags = list(RiskFlag.objects.order_by("pk"))
    assert len(flags) == 2 and flags[0] == first and first.assessment is None
    assert flags[1].level == "high" and flags[1].assessment == Assessment.objects.get()


def test_a_submission_refused_for_a_missing_answer_still_raises_the_flag(world: Any) -> None:
    link = do_issue_link(STAFF, world.patient_a, ["phq9"], context="follow_up", channel="sms")
    with pytest.raises(MissingAnswers) as refused:
        do_submit_scale(link.link, "phq9", phq9(2, skip=4), "")
    assert refused.value.items == ("phq9-4",)
    assert not Assessment.objects.exists()
    flag = RiskFlag.objects.get()
    assert flag.source == "phq9_item9" and "not yet sent" in flag.reason


def test_the_portal_save_and_finish_later_raises_the_flag(world: Any, client: Client) -> None:
    link = do_issue_link(STAFF, world.patient_a, ["phq9"], context="follow_up", channel="sms")
    response = client.post(
        f"/r/{link.token}/",
        {"scale": "phq9", "action": "save", **{k: str(v) for k, v in phq9(3).items()}},
    )
    assert response.status_code in (200, 302)
    assert RiskFlag.objects.filter(patient=world.patient_a, level="high").count() == 1
