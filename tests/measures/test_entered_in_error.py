"""Marking an assessment entered in error: a reason, an audit entry, and struck-through display."""

from __future__ import annotations

from typing import Any

from ketacare.accounts.audit import Actor, AuditEntry
from ketacare.measures.actions import do_record_assessment

SETUP = Actor(label="test-setup")


def recorded(world: Any) -> Any:
    answers = {f"phq9-{n}": 2 for n in range(1, 10)}
    return do_record_assessment(SETUP, world.patient_a, "phq9", answers)


def test_nurse_marks_an_assessment_entered_in_error_with_a_reason(world: Any, as_user: Any) -> None:
    a = recorded(world)
    client = as_user(world.nurse_a)
    url = f"/patients/{world.patient_a.pk}/assessments/{a.pk}/"
    assert "Mark entered in error" in client.get(url).content.decode()
    response = client.post(f"{url}entered-in-error/", {"reason": "Entered on the wrong patient"})
    assert response.status_code == 302
    a.refresh_from_db()
    assert a.status == "entered_in_error" and a.error_reason == "Entered on the wrong patient"
    assert a.total == 18 and a.answers  # the original stays readable
    entry = AuditEntry.objects.get(action="measures.assessment.entered_in_error")
    assert entry.actor_id == world.nurse_a.pk and entry.object_id == str(a.pk)
    detail = client.get(url).content.decode()
    assert (
        'data-testid="entered-in-error"' in detail and "<del>18 · moderately severe</del>" in detail
    )
    chart = client.get(f"/patients/{world.patient_a.pk}/").content.decode()
    assert (
        '<li class="row-item struck">' in chart
        and "<del>PHQ-9 18 · moderately severe</del>" in chart
    )
    assert 'data-scale="phq9"' not in chart  # no longer the latest PHQ-9


def test_a_reason_is_required(world: Any, as_user: Any) -> None:
    a = recorded(world)
    url = f"/patients/{world.patient_a.pk}/assessments/{a.pk}/entered-in-error/"
    response = as_user(world.prescriber_a).post(url, {"reason": "  "})
    assert response.status_code == 400
    assert 'data-field="reason"' in response.content.decode()
    a.refresh_from_db()
    assert a.status == "final"


def test_marking_twice_changes_nothing(world: Any, as_user: Any) -> None:
    a = recorded(world)
    url = f"/patients/{world.patient_a.pk}/assessments/{a.pk}/entered-in-error/"
    client = as_user(world.prescriber_a)
    client.post(url, {"reason": "first"})
    client.post(url, {"reason": "second"})
    a.refresh_from_db()
    assert a.error_reason == "first"
    assert AuditEntry.objects.filter(action="measures.assessment.entered_in_error").count() == 1


def test_another_patients_assessment_is_not_found_through_this_chart(
    world: Any, as_user: Any
) -> None:
    from tests.conftest import make_patient

    other = make_patient(world.clinic_a, "Mary", "Somerville")
    a = do_record_assessment(SETUP, other, "phq9", {f"phq9-{n}": 1 for n in range(1, 10)})
    client = as_user(world.nurse_a)
    base = f"/patients/{world.patient_a.pk}/assessments/{a.pk}/"
    assert client.get(base).status_code == 404
    assert client.post(f"{base}entered-in-error/", {"reason": "x"}).status_code == 404
    a.refresh_from_db()
    assert a.status == "final"
