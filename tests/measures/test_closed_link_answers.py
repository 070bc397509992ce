"""Answers posted to a /r/ link that has closed (expired past its finishing hour, or already
sent): not stored, and the page is the one every refused link gets, but a risk answer among
them still reaches the care team as a flag. A revoked link raises nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from ketacare.accounts.audit import Actor, AuditEntry
from ketacare.measures.models import Assessment, SelfReportLink
from ketacare.measures.selfreport_actions import IssuedLink, do_issue_link, do_revoke_link
from ketacare.measures.templatetags.due_tags import link_status
from ketacare.safety.models import RiskFlag

STAFF = Actor(label="nurse@a.test")


def phq9(item9: int) -> dict[str, str]:
    return {"scale": "phq9", "action": "next"} | {
        f"phq9-{i}": str(item9 if i == 9 else 1) for i in range(1, 10)
    }


def issue(patient: Any) -> IssuedLink:
    return do_issue_link(STAFF, patient, ["phq9"], context="follow_up", channel="sms")


def close(link_id: int, *, opened_hours_ago: float = 30, expired_hours_ago: float = 2) -> None:
    now = timezone.now()
    SelfReportLink.objects.filter(pk=link_id).update(
        opened_at=now - timedelta(hours=opened_hours_ago),
        expires_at=now - timedelta(hours=expired_hours_ago),
    )


def test_a_risk_answer_on_an_expired_page_raises_its_flag_and_stores_nothing(
    world: Any, client: Client
) -> None:
    issued = issue(world.patient_a)
    client.get(f"/r/{issued.token}/")
    close(issued.link.pk)
    late = client.post(f"/r/{issued.token}/", phq9(2))
    assert late.status_code == 404
    assert 'data-testid="unavailable"' in late.content.decode()  # the same page as any refusal
    flag = RiskFlag.objects.get()
    assert (flag.patient, flag.level, flag.source) == (world.patient_a, "high", "phq9_item9")
    assert "after its link had closed: the answers were not stored" in flag.reason
    assert not Assessment.objects.exists()
    entry = AuditEntry.objects.get(action="measures.selfreport.closed_link_answers")
    assert entry.detail["flag"] == flag.pk and entry.detail["scale"] == "phq9"


def test_harmless_answers_on_an_expired_page_raise_nothing(world: Any, client: Client) -> None:
    issued = issue(world.patient_a)
    close(issued.link.pk)
    assert client.post(f"/r/{issued.token}/", phq9(0)).status_code == 404
    assert not RiskFlag.objects.exists()
    assert not AuditEntry.objects.filter(action="measures.selfreport.closed_link_answers").exists()


def test_a_revoked_link_raises_nothing(world: Any, client: Client) -> None:
    issued = issue(world.patient_a)
    client.get(f"/r/{issued.token}/")
    do_revoke_link(STAFF, issued.link)
    assert client.post(f"/r/{issued.token}/", phq9(3)).status_code == 404
    assert not RiskFlag.objects.exists()


def test_a_sent_questionnaire_page_posted_the_next_day_raises_a_higher_answer(
    world: Any,
) -> None:
    issued = issue(world.patient_a)
    first_tab, second_tab = Client(), Client()
    second_tab.get(f"/r/{issued.token}/")
    assert first_tab.post(f"/r/{issued.token}/", phq9(0)).status_code == 302
    SelfReportLink.objects.filter(pk=issued.link.pk).update(
        completed_at=timezone.now() - timedelta(days=1)
    )
    assert second_tab.post(f"/r/{issued.token}/", phq9(1)).status_code == 404
    flag = RiskFlag.objects.get()
    assert flag.level in ("moderate", "low", "high")
    assert Assessment.objects.get().answers["phq9-9"] == 0  # the sent questionnaire stands
    # The same answer again raises nothing more.
    second_tab.post(f"/r/{issued.token}/", phq9(1))
    assert RiskFlag.objects.count() == 1


def test_an_answer_already_flagged_from_the_kept_draft_is_not_flagged_twice(
    world: Any, client: Client
) -> None:
    issued = issue(world.patient_a)
    saved = client.post(f"/r/{issued.token}/", phq9(2) | {"action": "save"})
    assert saved.status_code == 200
    assert RiskFlag.objects.count() == 1  # the draft's flag
    close(issued.link.pk)
    client.post(f"/r/{issued.token}/", phq9(2))
    assert RiskFlag.objects.count() == 1


def test_the_chart_says_finishing_during_the_hour_after_expiry(world: Any) -> None:
    issued = issue(world.patient_a)
    close(issued.link.pk, opened_hours_ago=3, expired_hours_ago=0.5)
    assert link_status(SelfReportLink.objects.get(pk=issued.link.pk)) == "finishing"
    close(issued.link.pk, opened_hours_ago=3, expired_hours_ago=1.5)
    assert link_status(SelfReportLink.objects.get(pk=issued.link.pk)) == "expired"
    # Never opened before it expired: expired at once.
    SelfReportLink.objects.filter(pk=issued.link.pk).update(
        opened_at=None, expires_at=timezone.now() - timedelta(minutes=5)
    )
    assert link_status(SelfReportLink.objects.get(pk=issued.link.pk)) == "expired"
