"""PHQ-9 item 9 above 0 on a link with more questionnaires after it: the same-day C-SSRS
screen (clinical.md §16a) comes next, not after every other form on the link, so a patient who
stops half-way has still answered the risk screen."""

from __future__ import annotations

from typing import Any

from django.test import Client

from ketacare.accounts.audit import Actor
from ketacare.measures.models import SelfReportLink
from ketacare.measures.selfreport_actions import do_issue_link

STAFF = Actor(label="nurse@a.test")
PHQ9_ITEM9 = {f"phq9-{i}": "2" if i == 9 else "1" for i in range(1, 10)}


def test_the_cssrs_screen_comes_straight_after_the_phq9_that_called_for_it(
    world: Any, client: Client
) -> None:
    issued = do_issue_link(
        STAFF, world.patient_a, ["phq9", "gad7", "pcl5"], context="follow_up", channel="sms"
    )
    data = {"scale": "phq9", "action": "next", **PHQ9_ITEM9}
    assert client.post(f"/r/{issued.token}/", data).status_code == 302
    assert SelfReportLink.objects.get().scale_codes == ["phq9", "cssrs_recent", "gad7", "pcl5"]
    body = client.get(f"/r/{issued.token}/").content.decode()
    assert "Questionnaire 2 of 4" in body and 'name="cssrs_recent-1"' in body
