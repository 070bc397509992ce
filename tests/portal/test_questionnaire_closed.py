"""A portal questionnaire that closes while the patient is on it: the finishing hour after the
expiry still stores the answers; after it, the page says the answers were not saved (never
"Thank you. Your answers were sent"), and a risk answer among them still raises its flag."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from ketacare.measures.models import Assessment, SelfReportLink
from ketacare.safety.models import RiskFlag
from tests.portal.test_questionnaires import make_due, phq9


def _started(portal: Any, world: Any) -> tuple[Any, str, SelfReportLink]:
    make_due(world.patient_a)
    c = portal.client(portal.a)
    url = c.post("/portal/questionnaires/start/")["Location"]
    c.get(url)  # opened
    return c, url, SelfReportLink.objects.get(patient=world.patient_a)


def _expire(link: SelfReportLink, minutes_ago: int) -> None:
    expired = timezone.now() - timedelta(minutes=minutes_ago)
    SelfReportLink.objects.filter(pk=link.pk).update(
        expires_at=expired, opened_at=expired - timedelta(hours=1)
    )


def test_answers_sent_in_the_finishing_hour_are_stored(portal: Any, world: Any) -> None:
    c, url, link = _started(portal, world)
    _expire(link, 20)
    listing = c.get("/portal/questionnaires/").content.decode()
    assert "Not finished yet" in listing  # still offered during the finishing hour
    done = c.post(url, {"scale": "phq9", "action": "next", **phq9(0)})
    assert done.status_code == 302 and "done=" in done["Location"]
    assert Assessment.objects.filter(patient=world.patient_a).count() == 1


def test_after_the_finishing_hour_the_page_says_not_saved_and_a_risk_answer_is_flagged(
    portal: Any, world: Any
) -> None:
    c, url, link = _started(portal, world)
    _expire(link, 90)
    late = c.post(url, {"scale": "phq9", "action": "next", **phq9(2)})
    assert late.status_code == 302 and late["Location"].endswith(f"?closed={link.pk}")
    page = c.get(late["Location"]).content.decode()
    assert 'data-testid="questionnaire-closed"' in page
    assert "they were not saved" in page and "someone will contact you" in page
    assert 'data-testid="questionnaire-done"' not in page
    assert 'data-testid="crisis"' in page or "988" in page
    assert not Assessment.objects.exists()
    flag = RiskFlag.objects.get()
    assert flag.patient == world.patient_a and "answers were not stored" in flag.reason


def test_a_closed_questionnaire_never_reads_as_sent(portal: Any, world: Any) -> None:
    c, url, link = _started(portal, world)
    _expire(link, 90)
    opened = c.get(url)
    assert opened["Location"].endswith(f"?closed={link.pk}")
    # Even a hand-made ?done= on an unsent link does not thank for answers never sent.
    page = c.get(f"/portal/questionnaires/?done={link.pk}").content.decode()
    assert 'data-testid="questionnaire-done"' not in page
    harmless = c.post(url, {"scale": "phq9", "action": "next", **phq9(0)})
    assert harmless["Location"].endswith(f"?closed={link.pk}")
    assert not RiskFlag.objects.exists()
    assert c.get("/portal/questionnaires/?closed=99999999999999999999").status_code == 200


def test_another_patients_link_is_not_shown_as_closed(portal: Any, world: Any) -> None:
    _started(portal, world)
    link = SelfReportLink.objects.get(patient=world.patient_a)
    _expire(link, 90)
    other = portal.client(portal.b)
    page = other.get(f"/portal/questionnaires/?closed={link.pk}").content.decode()
    assert 'data-testid="questionnaire-closed"' not in page
