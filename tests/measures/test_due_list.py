"""The clinic-wide "due and overdue" list: scoped to the clinic, filters kept out of URLs,
and the same few queries however many patients are due."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from ketacare.measures.models import DueAssessment, ScheduleRule
from ketacare.measures.scheduling import clinic_today, ensure_default_rules
from tests.conftest import make_patient
from tests.page_text import without_tokens

URL = "/measures/due/"


def add_due(patient: Any, scale: str, days_ago: int, grace: int = 2) -> DueAssessment:
    today = clinic_today(patient.clinic)
    due_on = today - timedelta(days=days_ago)
    return DueAssessment.objects.create(
        patient=patient,
        clinic=patient.clinic,
        scale_code=scale,
        due_on=due_on,
        overdue_on=due_on + timedelta(days=grace),
        reason="test",
    )


def test_due_list_shows_due_and_overdue_items_of_the_clinic_only(world: Any, as_user: Any) -> None:
    add_due(world.patient_a, "phq9", 0)
    add_due(world.patient_a, "gad7", 5)
    add_due(world.patient_b, "phq9", 0)
    future = add_due(world.patient_a, "pcl5", -3)
    done = add_due(world.patient_a, "isi", 1)
    done.status = "completed"
    done.save()
    body = as_user(world.nurse_a).get(URL).content.decode()
    table = body.split("<tbody>", 1)[1]
    assert "Lovelace, Ada" in table and "Hopper" not in body
    assert "2 items due or overdue" in body and "overdue since" in table
    assert "PCL-5" not in table and "ISI" not in without_tokens(table) and future.pk
    other = as_user(world.clinician_b).get(URL).content.decode()
    assert "Hopper, Grace" in other and "Lovelace" not in other
    assert "1 item due or overdue" in other


def test_filters_are_posted_and_kept_in_the_session(world: Any, as_user: Any) -> None:
    add_due(world.patient_a, "phq9", 0)
    add_due(world.patient_a, "gad7", 5)
    client = as_user(world.therapist_a)
    response = client.post(URL, {"scale": "gad7", "state": "overdue"})
    assert response.status_code == 302 and response["Location"] == URL
    body = client.get(URL).content.decode()
    assert "1 item due or overdue" in body and "GAD-7" in body
    assert client.post(URL, {"scale": "", "state": "due"}).status_code == 302
    assert "PHQ-9" in client.get(URL).content.decode()
    client.post(URL, {"clear": "1"})
    assert "2 items due or overdue" in client.get(URL).content.decode()


def test_due_list_stays_at_a_fixed_number_of_queries(
    world: Any, as_user: Any, django_assert_max_num_queries: Any
) -> None:
    client = as_user(world.nurse_a)
    client.get(URL)  # session and clinic settle on the first request
    for n in range(3):
        add_due(make_patient(world.clinic_a, f"Few{n}", "Patient"), "phq9", n)
    # Session, user, membership, two-factor check, count, page, audit append, session save.
    with django_assert_max_num_queries(16) as few:
        assert client.get(URL).status_code == 200
    for n in range(120):
        add_due(make_patient(world.clinic_a, f"Many{n}", "Patient"), "phq9", n % 9)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(URL)
    assert "123 items due or overdue" in response.content.decode()
    assert "Page 1 of 3" in client.get(URL).content.decode()
    assert client.get(URL + "?page=3").status_code == 200


def test_due_section_on_the_chart_shows_due_items_and_completeness(
    world: Any, as_user: Any
) -> None:
    from django.template import Context, Template
    from django.test import RequestFactory

    from ketacare.accounts.models import Membership

    ensure_default_rules(world.clinic_a)
    add_due(world.patient_a, "phq9", 0)
    add_due(world.patient_a, "gad7", 5)
    done = add_due(world.patient_a, "cssrs_recent", 9, grace=0)
    done.status = "completed"
    done.save()
    request = RequestFactory().get("/")
    request.user = world.nurse_a
    request.membership = Membership.objects.get(user=world.nurse_a)  # type: ignore[attr-defined]
    html = Template("{% load due_tags %}{% due_section patient %}").render(
        Context({"request": request, "patient": world.patient_a})
    )
    assert "PHQ-9" in html and "GAD-7" in html and "overdue since" in html
    assert "Data completeness: <strong>50%</strong>" in html
    assert 'data-testid="send-link-form"' in html
    request.membership = Membership.objects.get(user=world.director_a)  # type: ignore[attr-defined]
    html = Template("{% load due_tags %}{% due_section patient %}").render(
        Context({"request": request, "patient": world.patient_a})
    )
    assert 'data-testid="send-link-form"' not in html
    assert ScheduleRule.objects.filter(clinic=world.clinic_a).exists()
