"""The Stanley–Brown safety plan: six steps required, each save a new version, printable, a
review reminder sent once, and the patient's expiring link showing one patient's current plan
with the crisis lines."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import AuditEntry
from ketacare.measures.scheduling import clinic_today
from ketacare.notify.models import NotificationLog
from ketacare.safety.crisis_models import SafetyPlanLink, SafetyPlanReminder, SafetyPlanVersion
from ketacare.safety.plan_actions import (
    do_issue_plan_link,
    do_revoke_plan_link,
    do_save_plan,
    remind_due_reviews,
)
from ketacare.safety.portal import safety_plan_context, safety_plan_for_patient
from tests.safety.crisis_helpers import actor

pytestmark = pytest.mark.django_db

PLAN = {
    "warning_signs": "Not sleeping; staying in my room",
    "coping_strategies": "Walk the dog; shower; music",
    "distractions": "Coffee shop on Main St; cousin Ray",
    "help_contacts": "Sister Mia 555-0101",
    "professionals": "Dr Paula at the clinic; 988",
    "safe_environment": "Mia keeps my pills; no alcohol at home",
    "reasons_for_living": "My daughter",
}


def _form(data: dict[str, str]) -> dict[str, str]:
    return {**data, "made_with_patient": "on"}


def test_every_save_is_a_new_version_and_the_newest_is_current(world: Any) -> None:
    v1 = do_save_plan(actor(world.nurse_a), world.patient_a, PLAN)
    assert v1.version == 1 and v1.review_due_on == clinic_today(world.clinic_a) + timedelta(30)
    v2 = do_save_plan(actor(world.therapist_a), world.patient_a, PLAN | {"warning_signs": "New"})
    assert v2.version == 2
    assert safety_plan_for_patient(world.patient_a) == v2
    assert SafetyPlanVersion.objects.get(version=1).warning_signs == PLAN["warning_signs"]
    assert AuditEntry.objects.filter(action="safety.plan.saved").count() == 2
    with pytest.raises(RuntimeError):
        v1.save()


@pytest.mark.parametrize("missing", ["warning_signs", "safe_environment", "professionals"])
def test_each_of_the_six_steps_is_required(world: Any, missing: str) -> None:
    with pytest.raises(ActionError) as err:
        do_save_plan(actor(world.nurse_a), world.patient_a, PLAN | {missing: "  "})
    assert err.value.field == missing
    assert not SafetyPlanVersion.objects.exists()


def test_reasons_for_living_are_optional_and_review_date_must_be_ahead(world: Any) -> None:
    plan = do_save_plan(actor(world.nurse_a), world.patient_a, PLAN | {"reasons_for_living": ""})
    assert plan.reasons_for_living == ""
    with pytest.raises(ActionError) as err:
        do_save_plan(
            actor(world.nurse_a), world.patient_a, PLAN | {"review_due_on": date(2000, 1, 1)}
        )
    assert err.value.field == "review_due_on"


def test_staff_form_saves_versions_and_shows_history(world: Any, as_user: Any) -> None:
    client = as_user(world.nurse_a)
    base = f"/patients/{world.patient_a.pk}/crisis/plan/"
    assert client.get(base + "edit/").status_code == 200
    r = client.post(base + "edit/", _form(PLAN | {"coping_strategies": ""}))
    assert r.status_code == 400 and 'data-field="coping_strategies"' in r.content.decode()
    assert client.post(base + "edit/", _form(PLAN)).status_code == 302
    assert (
        client.post(base + "edit/", _form(PLAN | {"help_contacts": "Mia and Ray"})).status_code
        == 302
    )
    page = client.get(base).content.decode()
    assert "Version 2" in page and "Version 1" in page and "Mia and Ray" in page
    old = client.get(base + "v1/").content.decode()
    assert "Sister Mia 555-0101" in old and "Mia and Ray" not in old
    printed = client.get(base + "print/").content.decode()
    assert "safety.css" in printed and "print-only" in printed


@pytest.mark.parametrize("who", ["intake_a", "admin_a", "director_a"])
def test_only_clinicians_write_the_plan(world: Any, as_user: Any, who: str) -> None:
    r = as_user(getattr(world, who)).post(
        f"/patients/{world.patient_a.pk}/crisis/plan/edit/", _form(PLAN)
    )
    assert r.status_code == 403 and not SafetyPlanVersion.objects.exists()


def test_patient_link_shows_the_current_plan_and_crisis_lines(world: Any, client: Any) -> None:
    with pytest.raises(ActionError) as err:
        do_issue_plan_link(actor(world.nurse_a), world.patient_a)
    assert err.value.field == "plan"
    do_save_plan(actor(world.nurse_a), world.patient_a, PLAN)
    issued = do_issue_plan_link(actor(world.nurse_a), world.patient_a)
    assert SafetyPlanLink.objects.get().token_hash != issued.token
    do_save_plan(actor(world.nurse_a), world.patient_a, PLAN | {"warning_signs": "Version two"})
    r = client.get(f"/sp/{issued.token}/")
    assert r.status_code == 200 and r["Cache-Control"] == "no-store"
    body = r.content.decode()
    assert "Version two" in body and 'href="tel:988"' in body and 'href="tel:911"' in body
    assert "Lovelace" not in body  # the page names no one; the patient holds the link
    assert AuditEntry.objects.filter(action="safety.plan_link.opened").exists()


def test_expired_revoked_and_unknown_links_look_the_same(world: Any, client: Any) -> None:
    do_save_plan(actor(world.nurse_a), world.patient_a, PLAN)
    expired = do_issue_plan_link(actor(world.nurse_a), world.patient_a)
    SafetyPlanLink.objects.filter(pk=expired.link.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    revoked = do_issue_plan_link(actor(world.nurse_a), world.patient_a)
    do_revoke_plan_link(actor(world.nurse_a), revoked.link)
    with pytest.raises(ActionError):
        do_revoke_plan_link(actor(world.nurse_a), revoked.link)
    pages = [client.get(f"/sp/{t}/") for t in (expired.token, revoked.token, "x" * 43)]
    assert {p.status_code for p in pages} == {404}
    bodies = {re.sub(r"\s+", " ", p.content.decode()) for p in pages}
    assert len(bodies) == 1 and "988" in bodies.pop() and PLAN["help_contacts"] not in str(pages)


def test_staff_issue_a_link_from_the_page_and_clinic_b_cannot(world: Any, as_user: Any) -> None:
    do_save_plan(actor(world.nurse_a), world.patient_a, PLAN)
    url = f"/patients/{world.patient_a.pk}/crisis/plan/link/"
    r = as_user(world.nurse_a).post(url)
    assert r.status_code == 200 and "/sp/" in r.content.decode()
    assert as_user(world.clinician_b).post(url).status_code == 404
    assert (
        as_user(world.clinician_b)
        .get(f"/patients/{world.patient_a.pk}/crisis/plan/v1/")
        .status_code
        == 404
    )
    assert SafetyPlanLink.objects.count() == 1


def test_review_reminder_is_sent_once_when_due(world: Any) -> None:
    plan = do_save_plan(actor(world.nurse_a), world.patient_a, PLAN)
    assert remind_due_reviews(timezone.now()) == 0
    later = timezone.now() + timedelta(days=31)
    assert remind_due_reviews(later) == 1
    assert remind_due_reviews(later) == 0  # claimed: a second worker sends nothing
    assert SafetyPlanReminder.objects.get().plan == plan
    log = NotificationLog.objects.get(purpose="safety.plan_review")
    assert log.to == world.nurse_a.email and "Lovelace" not in log.body
    # A new version has its own review date and reminder.
    do_save_plan(actor(world.nurse_a), world.patient_a, PLAN)
    assert remind_due_reviews(timezone.now() + timedelta(days=1)) == 0
    assert remind_due_reviews(later) == 1


def test_portal_helpers_give_the_body_context(world: Any) -> None:
    assert safety_plan_context(world.patient_a)["plan"] is None
    do_save_plan(actor(world.nurse_a), world.patient_a, PLAN)
    ctx = safety_plan_context(world.patient_a)
    assert [s["name"] for s in ctx["plan_steps"]][:6] == [
        "warning_signs",
        "coping_strategies",
        "distractions",
        "help_contacts",
        "professionals",
        "safe_environment",
    ]
    from django.template.loader import render_to_string

    html = render_to_string("safety/_safety_plan_body.html", ctx)
    assert "My daughter" in html and "tel:988" in html
