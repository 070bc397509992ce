"""Staff pages for risk flags: banner on every page, the poll, acknowledging, manual flags,
settings and rota, the open list and the risk timeline (issue #7 items 1, 3, 6)."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from django.test import Client

from ketacare.accounts.audit import AuditEntry
from ketacare.accounts.middleware import SESSION_LAST_SEEN_KEY
from ketacare.notify.models import NotificationLog
from ketacare.safety.escalation_models import (
    EscalationContact,
    FlagEscalation,
    OnCallOverride,
    OnCallSlot,
    SafetySettings,
    StaffAlertContact,
)
from ketacare.safety.models import RiskFlag
from tests.safety.helpers import make_prescriber_of, on_call_all_week, raise_flag

pytestmark = pytest.mark.django_db


def test_banner_is_on_every_staff_page_of_the_clinic_only(world: Any, as_user: Any) -> None:
    flag = raise_flag(world.patient_a)
    for url in ["/patients/", "/schedule/", f"/patients/{world.patient_a.pk}/"]:
        body = as_user(world.intake_a).get(url, follow=True).content.decode()
        assert 'data-testid="risk-banner"' in body, url
        assert f"/safety/flags/{flag.pk}/" in body
    other = as_user(world.clinician_b).get("/patients/").content.decode()
    assert 'data-testid="risk-banner"' not in other and "Lovelace" not in other


def test_poll_endpoint_shows_a_new_flag_and_is_passive(world: Any, as_user: Any) -> None:
    client = as_user(world.nurse_a)
    empty = client.get("/safety/banner/").json()
    assert empty["count"] == 0 and 'data-testid="risk-banner"' not in empty["html"]
    raise_flag(world.patient_a, level="moderate")
    session = client.session
    a_minute_ago = time.time() - 60  # older than the 30 s refresh step, inside the idle limit
    session[SESSION_LAST_SEEN_KEY] = a_minute_ago
    session.save()
    data = client.get("/safety/banner/", HTTP_X_KETACARE_PASSIVE="1").json()
    assert data["count"] == 1 and "Lovelace" in data["html"] and "Moderate" in data["html"]
    assert "ids" not in data
    ids = client.get("/safety/banner/?ids=1", HTTP_X_KETACARE_PASSIVE="1").json()["ids"]
    assert ids == [RiskFlag.objects.get().pk]
    # The poll did not count as the user at work: the idle clock was not reset.
    assert client.session[SESSION_LAST_SEEN_KEY] == a_minute_ago
    client.get("/safety/banner/")  # the same request without the header is activity
    assert client.session[SESSION_LAST_SEEN_KEY] > a_minute_ago


def test_poll_needs_sign_in(client: Client, db: Any) -> None:
    assert client.get("/safety/banner/").status_code == 302


def test_flag_of_another_clinic_is_not_found_and_audited(world: Any, as_user: Any) -> None:
    flag = raise_flag(world.patient_a)
    client = as_user(world.clinician_b)
    assert client.get(f"/safety/flags/{flag.pk}/").status_code == 404
    post = {"action": "other", "note": "x"}
    assert client.post(f"/safety/flags/{flag.pk}/", post).status_code == 404
    assert RiskFlag.objects.get(pk=flag.pk).status == "open"
    assert AuditEntry.objects.filter(action="safety.flag.access_refused").count() == 2


def test_acknowledging_from_the_flag_page(world: Any, as_user: Any) -> None:
    make_prescriber_of(world.patient_a, world.prescriber_a)
    flag = raise_flag(world.patient_a, source="phq9_item9")
    flag.requires_cssrs = True
    flag.save()
    url = f"/safety/flags/{flag.pk}/"
    page = as_user(world.prescriber_a).get(url).content.decode()
    assert 'data-testid="acknowledge"' in page and 'data-testid="start-cssrs"' in page
    assert as_user(world.intake_a).post(url, {"action": "other", "note": "x"}).status_code == 403
    bad = as_user(world.prescriber_a).post(url, {"action": "called_patient", "note": ""})
    assert bad.status_code == 400 and 'data-field="note"' in bad.content.decode()
    assert RiskFlag.objects.get(pk=flag.pk).status == "open"
    done = as_user(world.prescriber_a).post(
        url, {"action": "called_patient", "note": "Spoke with her; safe at home."}
    )
    assert done.status_code == 302
    flag.refresh_from_db()
    assert flag.status == "acknowledged" and "safe at home" in flag.action_taken
    assert FlagEscalation.objects.get(flag=flag).state == "acknowledged"
    assert as_user(world.nurse_a).get("/safety/banner/").json()["count"] == 0
    assert AuditEntry.objects.filter(action="safety.escalation.acknowledged").exists()


def test_failed_delivery_shows_on_the_flag_and_the_banner(world: Any, as_user: Any) -> None:
    make_prescriber_of(world.patient_a, world.prescriber_a)
    flag = raise_flag(world.patient_a)
    NotificationLog.objects.filter(reference=f"riskflag:{flag.pk}").update(
        status="failed", error="ConnectionError: gateway unreachable"
    )
    page = as_user(world.nurse_a).get(f"/safety/flags/{flag.pk}/").content.decode()
    assert "gateway unreachable" in page
    assert "message failed" in as_user(world.nurse_a).get("/safety/banner/").json()["html"]


def test_manual_flag_from_the_chart(world: Any, as_user: Any) -> None:
    url = f"/patients/{world.patient_a.pk}/safety/flag/"
    chart = as_user(world.therapist_a).get(f"/patients/{world.patient_a.pk}/").content.decode()
    assert url in chart and 'data-testid="risk-timeline"' not in chart  # nothing yet
    assert as_user(world.intake_a).get(url).status_code == 403
    bad = as_user(world.therapist_a).post(url, {"level": "high", "reason": "  "})
    assert bad.status_code == 400 and 'data-field="reason"' in bad.content.decode()
    assert not RiskFlag.objects.exists()
    wrong = as_user(world.therapist_a).post(url, {"level": "extreme", "reason": "x"})
    assert wrong.status_code == 400 and 'data-field="level"' in wrong.content.decode()
    done = as_user(world.therapist_a).post(
        url, {"level": "moderate", "reason": "Said in session she has stockpiled pills."}
    )
    flag = RiskFlag.objects.get()
    assert done.status_code == 302 and done["Location"] == f"/safety/flags/{flag.pk}/"
    assert flag.source == "manual" and flag.level == "moderate"
    assert flag.raised_by == world.therapist_a
    assert FlagEscalation.objects.filter(flag=flag).exists()


def test_risk_timeline_on_the_chart_in_order(world: Any, as_user: Any) -> None:
    make_prescriber_of(world.patient_a, world.prescriber_a)
    flag = raise_flag(world.patient_a)
    as_user(world.prescriber_a).post(
        f"/safety/flags/{flag.pk}/", {"action": "saw_patient", "note": "Seen in clinic."}
    )
    chart = as_user(world.nurse_a).get(f"/patients/{world.patient_a.pk}/").content.decode()
    section = chart[chart.index('data-testid="risk-timeline"') :]
    ack = section.index("Acknowledged by Paula Prescriber")
    notified = section.index("Notified: Paula Prescriber")
    raised = section.index("High risk flag raised")
    assert ack < notified < raised  # newest first


def test_open_list_by_level_then_age(world: Any, as_user: Any) -> None:
    raise_flag(world.patient_a, level="low")
    raise_flag(world.patient_a, level="high")
    body = as_user(world.director_a).get("/safety/").content.decode()
    table = body[body.index('data-testid="open-flags"') :]
    assert table.index("tag-high") < table.index("tag-low")
    only_low = as_user(world.director_a).get("/safety/?level=low").content.decode()
    assert "tag-high" not in only_low[only_low.index('data-testid="open-flags"') :]
    typo = as_user(world.director_a).get("/safety/?level=hihg")
    body = typo.content.decode()
    assert typo.status_code == 400 and 'data-field="level"' in body and "not a level" in body
    assert "tag-high" in body and "tag-low" in body  # says so, and shows all


def test_open_list_says_when_it_shows_only_part(world: Any, as_user: Any, monkeypatch: Any) -> None:
    from ketacare.safety import views

    monkeypatch.setattr(views, "LIST_LIMIT", 1)
    raise_flag(world.patient_a, level="low")
    raise_flag(world.patient_a, level="high")
    body = as_user(world.director_a).get("/safety/").content.decode()
    assert 'data-testid="open-flags-more"' in body and "first 1 of 2" in body
    assert "tag-high" in body and "tag-low" not in body.split('data-testid="open-flags"')[1]


def test_settings_page_is_the_admins_and_checks_input(world: Any, as_user: Any) -> None:
    assert as_user(world.nurse_a).get("/safety/settings/").status_code == 403
    admin = as_user(world.admin_a)
    assert admin.get("/safety/settings/").status_code == 200
    base = {
        "form": "settings",
        "country": "us",
        "crisis_phone": "555-010-7777",
        "hours": "24/7 on-call line",
        "extra_lines": "",
        "high_minutes": "10",
        "moderate_minutes": "120",
        "low_time": "08:30",
        "business_days": ["0", "1", "2", "3", "4"],
        "director": str(world.director_a.pk),
    }
    bad = admin.post("/safety/settings/", {**base, "high_minutes": "0", "extra_lines": "988"})
    text = bad.content.decode()
    assert bad.status_code == 400
    assert 'data-field="high_minutes"' in text and 'data-field="extra_lines"' in text
    abroad = admin.post("/safety/settings/", {**base, "country": "GB"})
    assert abroad.status_code == 400 and "Outside the US" in abroad.content.decode()
    assert admin.post("/safety/settings/", base).status_code == 302
    saved = SafetySettings.objects.get(clinic=world.clinic_a)
    assert (saved.country, saved.high_minutes, saved.director) == ("US", 10, world.director_a)
    dup = {"form": "list", "position_1": world.nurse_a.pk, "position_2": world.nurse_a.pk}
    assert admin.post("/safety/settings/", dup).status_code == 400
    outsider = {"form": "list", "position_1": world.clinician_b.pk}
    assert admin.post("/safety/settings/", outsider).status_code == 400
    ok = {"form": "list", "position_1": world.therapist_a.pk, "position_3": world.nurse_a.pk}
    assert admin.post("/safety/settings/", ok).status_code == 302
    assert list(
        EscalationContact.objects.filter(clinic=world.clinic_a).values_list("position", "user")
    ) == [(1, world.therapist_a.pk), (2, world.nurse_a.pk)]
    mobiles = {"form": "mobiles", f"mobile_{world.prescriber_a.pk}": "+1 555 010 0001"}
    assert admin.post("/safety/settings/", mobiles).status_code == 302
    assert StaffAlertContact.objects.get(user=world.prescriber_a).mobile == "+1 555 010 0001"


def test_rota_page_adds_checks_and_removes(world: Any, as_user: Any) -> None:
    admin = as_user(world.admin_a)
    slot = {
        "form": "slot",
        "weekday": "0",
        "starts": "18:00",
        "ends": "08:00",
        "user": world.prescriber_a.pk,
    }
    assert admin.post("/safety/rota/", slot).status_code == 302
    bad = {"form": "override", "on_date": "2026-03-03", "starts": "12:00", "ends": "09:00"}
    response = admin.post("/safety/rota/", {**bad, "user": world.nurse_a.pk})
    assert response.status_code == 400 and 'data-field="ends"' in response.content.decode()
    assert not OnCallOverride.objects.exists()
    row = OnCallSlot.objects.get()
    assert as_user(world.clinician_b).post(f"/safety/rota/slot/{row.pk}/remove/").status_code in (
        403,
        404,
    )
    assert admin.post(f"/safety/rota/slot/{row.pk}/remove/").status_code == 302
    assert not OnCallSlot.objects.exists()


def test_notifications_list_and_mark_read(world: Any, as_user: Any) -> None:
    on_call_all_week(world.clinic_a, world.nurse_a)
    raise_flag(world.patient_a)
    client = as_user(world.nurse_a)
    page = client.get("/safety/notifications/").content.decode()
    assert "High risk flag: Lovelace, Ada" in page
    assert json.loads(client.get("/safety/banner/").content)["unread"] == 1
    client.post("/safety/notifications/")
    assert client.get("/safety/banner/").json()["unread"] == 0
