"""The demo's chairs: months of completed sessions with realistic vitals, and a live chair board
re-staged on every `ketacare demo` run without piling up (issue #6 item 11)."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from ketacare.accounts.models import User
from ketacare.demo.chairs_demo import LIVE_MARK, live_demo_clinic
from ketacare.demo.loader import load_demo
from ketacare.scheduling.models import ACTIVE_STATUSES, Appointment, AppointmentStatus
from ketacare.treatments.models import (
    ACTIVE_SESSION_STATUSES,
    RemsMonitoringForm,
    SessionAlert,
    SessionStatus,
    TreatmentSession,
    VitalReading,
)
from ketacare.treatments.rems_form import clinic_rows


def _history_counts() -> tuple[int, int, int]:
    done = TreatmentSession.objects.filter(status=SessionStatus.DISCHARGED)
    return (
        done.count(),
        VitalReading.objects.filter(session__in=done).count(),
        RemsMonitoringForm.objects.count(),
    )


def test_demo_history_and_live_board(db: Any) -> None:
    load_demo()
    now = timezone.now()
    # Months of completed sessions, each with a dose, readings and a discharge after the
    # protocol's minimum observation.
    done = list(
        TreatmentSession.objects.filter(status=SessionStatus.DISCHARGED).select_related("dose")
    )
    assert len(done) > 200
    oldest = min(s.discharged_at for s in done if s.discharged_at)
    assert oldest < now - timedelta(days=90)
    for s in done[:60]:
        assert s.dose.given_mg > 0 and s.observation_started_at is not None
        assert s.discharged_at is not None and s.ready_at is not None
        assert s.discharged_at - s.observation_started_at >= timedelta(minutes=120)
        readings = list(s.readings.order_by("taken_at"))
        assert readings[0].phase == "pre_dose" and len(readings) >= 5
        peak = max(r.systolic_mmhg or 0 for r in readings)
        assert peak >= readings[0].systolic_mmhg  # the transient rise after the dose
        assert readings[-1].moaas == 5 and readings[-1].cadss6 == 0
    esketamine = [s for s in done if s.is_esketamine]
    assert esketamine and all(s.dose.devices.count() in (2, 3) for s in esketamine[:10])
    # Every alert in the history was acknowledged with an action.
    assert not SessionAlert.objects.filter(
        session__status=SessionStatus.DISCHARGED, acknowledged_at__isnull=True
    ).exists()
    # REMS forms: submitted except a few due and one overdue.
    clinic = live_demo_clinic()
    assert clinic is not None
    statuses = {r.status for r in clinic_rows(clinic)}
    assert "due" in statuses
    assert RemsMonitoringForm.objects.filter(submitted_at__isnull=False).count() > 10

    # `ketacare demo` on a loaded database: the live board is staged, history untouched.
    before = _history_counts()
    for _ in range(2):
        out = StringIO()
        call_command("demo", "--quiet", stdout=out)
        assert "Chair board: 4 sessions in progress" in out.getvalue()
    assert _history_counts() == before
    live = list(
        TreatmentSession.objects.filter(
            clinic=clinic, status__in=ACTIVE_SESSION_STATUSES
        ).select_related("appointment__resource")
    )
    assert len(live) == 4
    assert Appointment.objects.filter(notes=LIVE_MARK).count() == 4  # the old ones went
    assert {s.route for s in live} >= {"iv_racemic", "esketamine_nasal"}
    assert any(s.status == SessionStatus.READY for s in live)
    open_alerts = SessionAlert.objects.filter(session__in=live, acknowledged_at__isnull=True)
    assert open_alerts.exists() and all(a.reading_id for a in open_alerts)
    for s in live:
        latest = s.readings.order_by("-taken_at").first()
        assert latest is not None and timezone.now() - latest.taken_at < timedelta(minutes=10)
    # No chair is double-booked by the staging.
    for s in live:
        clash = Appointment.objects.filter(
            resource=s.appointment.resource,
            status__in=ACTIVE_STATUSES,
            starts_at__lt=s.appointment.ends_at,
            ends_at__gt=s.appointment.starts_at,
        ).exclude(pk=s.appointment_id)
        assert not clash.exists(), clash
    assert not Appointment.objects.filter(
        notes=LIVE_MARK, status=AppointmentStatus.CANCELLED
    ).exists()

    # The nurse's board shows them.
    client = Client()
    client.force_login(User.objects.get(email=f"nurse@{clinic.slug}.demo"))
    body = client.get("/chairs/").content.decode()
    for s in live:
        assert f'data-testid="tile-{s.pk}"' in body
    assert 'data-testid="board-alert"' in body
