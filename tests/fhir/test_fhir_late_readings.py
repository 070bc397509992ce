"""A monitor gateway's buffered readings arriving after the patient left: a reading taken
before the discharge (or transfer) joins the session and its alert goes to staff at once; a
reading taken after, or for a signed and locked session, is refused naming the element."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import AuditEntry
from ketacare.notify.models import NotificationLog
from ketacare.treatments import actions
from ketacare.treatments.models import (
    SessionAlert,
    SessionStatus,
    StaffNotice,
    TreatmentSession,
    VitalReading,
)
from tests.fhir.device_helpers import expression, observation, post
from tests.treatments.session_helpers import actor

pytestmark = pytest.mark.django_db


def _left(session: TreatmentSession, world: Any, minutes_ago: int = 10, **more: Any) -> None:
    TreatmentSession.objects.filter(pk=session.pk).update(
        status=SessionStatus.DISCHARGED,
        discharged_at=timezone.now() - timedelta(minutes=minutes_ago),
        discharged_by=world.nurse_a,
        **more,
    )
    session.refresh_from_db()


def test_a_reading_taken_before_discharge_is_stored_and_its_alert_sent_at_once(
    world: Any, session: TreatmentSession, nurse: Client
) -> None:
    _left(session, world)
    taken = timezone.now() - timedelta(minutes=15)
    sent = post(nurse, observation(session, "59408-5", 88, unit="%", at=taken, identifier="l-1"))
    assert sent.status_code == 201, sent.content
    reading = VitalReading.objects.get(session=session, spo2_pct=88)
    assert abs((reading.taken_at - taken).total_seconds()) < 1
    alert = SessionAlert.objects.get(session=session, reading=reading)
    assert alert.acknowledged_at is None
    assert alert.escalated_to_id == world.prescriber_a.pk  # sent to the prescriber at once
    notices = StaffNotice.objects.filter(session=session, alert=alert)
    assert {n.user_id for n in notices} == {world.nurse_a.pk, world.prescriber_a.pk}
    assert all("before the patient left" in n.message for n in notices)
    assert NotificationLog.objects.filter(purpose="treatments.late_reading_alert").count() == (
        1 if world.prescriber_a.email else 0
    )
    session.refresh_from_db()
    assert session.status == SessionStatus.DISCHARGED  # the discharge stands
    entry = AuditEntry.objects.get(action="treatments.alert.late_reading_notified")
    assert entry.detail["alerts"] == [alert.pk]
    # The prescriber acknowledges it on the session page; the discharge still stands.
    actions.do_acknowledge_alert(
        actor(world.prescriber_a), session, alert.pk, "notify_prescriber", "Called the patient."
    )
    session.refresh_from_db()
    assert session.status == SessionStatus.DISCHARGED
    # The resend of the same message is the same reading, and tells nobody twice.
    again = post(nurse, observation(session, "59408-5", 88, unit="%", at=taken, identifier="l-1"))
    assert again.status_code == 200
    assert StaffNotice.objects.filter(session=session).count() == 2


def test_a_normal_late_reading_is_stored_and_tells_nobody(
    world: Any, session: TreatmentSession, nurse: Client
) -> None:
    _left(session, world)
    taken = timezone.now() - timedelta(minutes=12)
    assert post(nurse, observation(session, "8867-4", 72, unit="/min", at=taken)).status_code == 201
    assert VitalReading.objects.filter(session=session, heart_rate_bpm=72).exists()
    assert not StaffNotice.objects.filter(session=session).exists()


def test_a_reading_taken_after_the_patient_left_is_refused(
    world: Any, session: TreatmentSession, nurse: Client
) -> None:
    _left(session, world, minutes_ago=10)
    after = timezone.now() - timedelta(minutes=2)
    refused = post(nurse, observation(session, "59408-5", 88, unit="%", at=after))
    assert refused.status_code == 422
    assert expression(refused) == "Observation.effectiveDateTime"
    assert "after the patient left" in refused.json()["issue"][0]["diagnostics"]
    assert not VitalReading.objects.filter(session=session, spo2_pct=88).exists()


def test_a_signed_and_locked_session_refuses_late_readings(
    world: Any, session: TreatmentSession, nurse: Client
) -> None:
    _left(session, world, locked_at=timezone.now())
    taken = timezone.now() - timedelta(minutes=15)
    refused = post(nurse, observation(session, "59408-5", 88, unit="%", at=taken))
    assert refused.status_code == 422
    assert expression(refused) == "Observation.encounter"
    assert "signed and locked" in refused.json()["issue"][0]["diagnostics"]
    assert not SessionAlert.objects.filter(session=session, code__startswith="spo2").exists()


def test_an_aborted_session_still_refuses(
    world: Any, session: TreatmentSession, nurse: Client
) -> None:
    TreatmentSession.objects.filter(pk=session.pk).update(
        status=SessionStatus.ABORTED, ended_at=timezone.now() - timedelta(minutes=5)
    )
    taken = timezone.now() - timedelta(minutes=15)
    refused = post(nurse, observation(session, "59408-5", 96, unit="%", at=taken))
    assert refused.status_code == 422 and expression(refused) == "Observation.encounter"


def test_the_chair_still_refuses_typed_vitals_after_discharge(
    world: Any, session: TreatmentSession
) -> None:
    _left(session, world)
    with pytest.raises(ActionError):
        actions.do_record_vitals(actor(world.nurse_a), session, {"spo2_pct": 88})


def _before_and_after(world: Any, session: TreatmentSession, nurse: Client, kind: str) -> Any:
    """A Bundle of two heart rates sent after the patient left (10 min ago): 131/min taken
    before they left, 77/min taken after."""
    from tests.fhir.test_fhir_device_bundle import bundle, entry, send

    _left(session, world, minutes_ago=10)
    now = timezone.now()
    before = observation(session, "8867-4", 131, unit="/min", at=now - timedelta(minutes=20))
    after = observation(session, "8867-4", 77, unit="/min", at=now - timedelta(minutes=5))
    return send(nurse, bundle(kind, entry(before, f"{kind}-1"), entry(after, f"{kind}-2")))


def test_a_batch_after_discharge_keeps_what_came_before_and_refuses_what_came_after(
    world: Any, session: TreatmentSession, nurse: Client
) -> None:
    response = _before_and_after(world, session, nurse, "batch")
    assert response.status_code == 200, response.content
    statuses = [e["response"]["status"] for e in response.json()["entry"]]
    assert statuses[0] == "201 Created" and statuses[1].startswith("422")
    assert list(
        VitalReading.objects.filter(session=session, source="device").values_list(
            "heart_rate_bpm", flat=True
        )
    ) == [131]
    assert StaffNotice.objects.filter(session=session).exists()  # HR 131 is out of range


def test_a_transaction_with_one_reading_after_the_patient_left_stores_nothing(
    world: Any, session: TreatmentSession, nurse: Client
) -> None:
    response = _before_and_after(world, session, nurse, "transaction")
    assert response.status_code == 422
    assert not VitalReading.objects.filter(session=session, source="device").exists()
    assert not StaffNotice.objects.filter(session=session).exists()


def test_the_notice_spells_out_every_alert_of_the_late_reading(
    world: Any, session: TreatmentSession, nurse: Client
) -> None:
    _left(session, world)
    taken = timezone.now() - timedelta(minutes=15)
    sent = post(nurse, observation(session, "85354-9", bp=(196, 118), at=taken))
    assert sent.status_code == 201, sent.content
    alerts = list(SessionAlert.objects.filter(session=session))
    assert len(alerts) >= 1
    notice = StaffNotice.objects.filter(session=session).first()
    assert notice is not None
    assert all(a.message in notice.message for a in alerts)


def test_the_session_page_marks_the_reading_that_arrived_after_the_patient_left(
    world: Any, session: TreatmentSession, nurse: Client, as_user: Any
) -> None:
    earlier = timezone.now() - timedelta(minutes=20)  # the fixture's readings, made in time
    VitalReading.objects.filter(session=session).update(taken_at=earlier, recorded_at=earlier)
    _left(session, world)
    taken = timezone.now() - timedelta(minutes=15)
    assert post(nurse, observation(session, "8867-4", 97, unit="/min", at=taken)).status_code == 201
    late = VitalReading.objects.get(session=session, heart_rate_bpm=97)

    page = as_user(world.nurse_a).get(f"/patients/{session.patient_id}/sessions/{session.pk}/")

    html = page.content.decode()
    assert html.count('data-testid="late-reading"') == 1
    row = next(tr for tr in html.split("<tr") if 'data-testid="late-reading"' in tr)
    assert "97" in row and "after the patient left" in row
    arrived = timezone.localtime(late.recorded_at)
    assert f"arrived {arrived:%b} {arrived.day}, {arrived:%H:%M}" in row
    assert "(monitor)" in row  # from the gateway, not typed at the chair
