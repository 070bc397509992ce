"""Portal questionnaires: what is due now, answered with the same scoring and flags as staff
entry; a risk answer shows crisis resources at once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from ketacare.measures.actions import do_record_assessment
from ketacare.measures.models import Assessment, DueAssessment, DueStatus, SelfReportLink, Source
from ketacare.safety.models import RiskFlag
from tests.conftest import SYSTEM


def make_due(patient: Any, scale: str = "phq9", days_ago: int = 0) -> DueAssessment:
    today = timezone.localdate()
    return DueAssessment.objects.create(
        patient=patient,
        clinic=patient.clinic,
        scale_code=scale,
        due_on=today - timedelta(days=days_ago),
        overdue_on=today + timedelta(days=2),
        reason="test",
    )


def phq9(item9: int, rest: int = 1) -> dict[str, str]:
    return {f"phq9-{i}": str(rest) for i in range(1, 9)} | {"phq9-9": str(item9)}


def test_due_phq9_is_answered_and_scored_like_staff_entry(portal: Any, world: Any) -> None:
    due = make_due(world.patient_a)
    c = portal.client(portal.a)
    listing = c.get("/portal/questionnaires/").content.decode()
    assert "PHQ-9" in listing or "Patient Health Questionnaire" in listing
    start = c.post("/portal/questionnaires/start/")
    link = SelfReportLink.objects.get(patient=world.patient_a)
    assert start["Location"] == f"/portal/questionnaires/{link.pk}/"
    assert link.channel == "portal"
    page = c.get(start["Location"]).content.decode()
    assert 'name="phq9-9"' in page
    done = c.post(start["Location"], {"scale": "phq9", "action": "next", **phq9(0, 2)})
    assert done.status_code == 302 and "done=" in done["Location"]
    assessment = Assessment.objects.get(patient=world.patient_a)
    staff = do_record_assessment(
        SYSTEM, world.patient_b, "phq9", {f"phq9-{i}": (2 if i < 9 else 0) for i in range(1, 10)}
    )
    assert assessment.total == staff.total == 16
    assert assessment.band == staff.band
    assert assessment.source == Source.SELF_REPORT
    due.refresh_from_db()
    assert due.status == DueStatus.COMPLETED
    thanks = c.get(done["Location"]).content.decode()
    assert 'data-testid="questionnaire-done"' in thanks
    assert 'role="alert"' not in thanks.split('data-testid="crisis-bar"')[1].split("<main")[0]


def test_item9_answer_shows_crisis_resources_and_raises_the_same_flag(
    portal: Any, world: Any
) -> None:
    make_due(world.patient_a)
    c = portal.client(portal.a)
    url = c.post("/portal/questionnaires/start/")["Location"]
    # Missing answers: named, nothing lost.
    partial = c.post(url, {"scale": "phq9", "action": "next", "phq9-9": "2"})
    assert partial.status_code == 400
    body = partial.content.decode()
    assert "Please answer this question." in body
    assert 'data-testid="crisis-panel"' in body  # the risk answer alone shows crisis lines
    assert 'href="tel:988"' in body
    c.post(url, {"scale": "phq9", "action": "next", **phq9(2)})
    assessment = Assessment.objects.get(patient=world.patient_a, scale_code="phq9")
    flag = RiskFlag.objects.get(patient=world.patient_a, assessment=assessment)
    assert flag.level == "high"


def test_nothing_due_says_so(portal: Any) -> None:
    c = portal.client(portal.a)
    assert "Nothing is due right now" in c.get("/portal/questionnaires/").content.decode()
    response = c.post("/portal/questionnaires/start/", follow=True)
    assert "Nothing is due right now" in response.content.decode()
    assert not SelfReportLink.objects.exists()


def test_save_and_finish_later_keeps_answers(portal: Any, world: Any) -> None:
    make_due(world.patient_a)
    c = portal.client(portal.a)
    url = c.post("/portal/questionnaires/start/")["Location"]
    c.post(url, {"scale": "phq9", "action": "save", "phq9-1": "3"})
    assert "Continue" in c.get("/portal/questionnaires/").content.decode()
    assert c.post("/portal/questionnaires/start/")["Location"] == url  # the same link
    assert 'value="3" checked' in c.get(url).content.decode()


def test_another_patients_questionnaire_is_not_found(portal: Any, world: Any) -> None:
    make_due(portal.a2.patient)
    other = portal.client(portal.a2)
    url = other.post("/portal/questionnaires/start/")["Location"]
    mine = portal.client(portal.a)
    assert mine.get(url).status_code == 404
    assert mine.post(url, {"scale": "phq9", "action": "next", **phq9(0)}).status_code == 404
    assert not Assessment.objects.exists()
    # A staff-issued /r/ link (not a portal one) of the same patient is not opened here either.
    from ketacare.measures.selfreport_actions import do_issue_link

    issued = do_issue_link(
        SYSTEM, world.patient_a, ["phq9"], context="follow_up", channel="in_clinic"
    )
    assert mine.get(f"/portal/questionnaires/{issued.link.pk}/").status_code == 404


def test_save_and_finish_later_with_a_risk_answer_shows_the_crisis_panel_next(
    portal: Any, world: Any
) -> None:
    make_due(world.patient_a)
    c = portal.client(portal.a)
    url = c.post("/portal/questionnaires/start/")["Location"]
    saved = c.post(url, {"scale": "phq9", "action": "save", "phq9-1": "1", "phq9-9": "3"})
    assert saved.status_code == 302
    body = c.get(saved["Location"]).content.decode()
    assert "Saved. You can finish later" in body
    panel_tag = body.split('data-testid="crisis-panel"')[0].rsplit("<", 1)[1]
    assert 'role="alert"' in panel_tag  # the full panel, as an alert
    assert 'href="tel:988"' in body and 'href="tel:911"' in body
    # It stays while that questionnaire is open, as on a /r/ link.
    assert 'data-testid="crisis-panel"' in c.get("/portal/questionnaires/").content.decode()
    # And the care team has the flag now, not only once (or if) the form is sent.
    flag = RiskFlag.objects.get(patient=world.patient_a)
    assert flag.level == "high" and "saved but not yet sent" in flag.reason


def test_save_and_finish_later_without_a_risk_answer_shows_no_panel(
    portal: Any, world: Any
) -> None:
    make_due(world.patient_a)
    c = portal.client(portal.a)
    url = c.post("/portal/questionnaires/start/")["Location"]
    saved = c.post(url, {"scale": "phq9", "action": "save", "phq9-1": "1", "phq9-9": "0"})
    assert 'data-testid="crisis-panel"' not in c.get(saved["Location"]).content.decode()
