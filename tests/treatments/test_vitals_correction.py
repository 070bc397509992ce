"""Correcting a reading keeps the original (struck through, with who/when/why) and
re-evaluates the alerts on the corrected value."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import AuditEntry
from ketacare.treatments import actions
from ketacare.treatments.corrections import do_correct_reading
from ketacare.treatments.models import SessionAlert, TreatmentSession, VitalReading
from ketacare.treatments.state import current_readings, picture
from tests.treatments.session_helpers import NORMAL, actor, answers_for, dosed, ready_session

pytestmark = pytest.mark.django_db

DURING = {k: v for k, v in NORMAL.items() if k not in ("moaas", "cadss6")}


def _monitored(world: Any) -> Any:
    return dosed(world.nurse_a, ready_session(world.prescriber_a, world.nurse_a, world.patient_a))


def test_a_mistyped_high_bp_is_corrected_and_its_alert_closed(world: Any) -> None:
    session = _monitored(world)
    nurse = actor(world.nurse_a)
    typo = actions.do_record_vitals(nurse, session, DURING | {"systolic_mmhg": 218})
    assert SessionAlert.objects.filter(reading=typo, acknowledged_at__isnull=True).exists()
    fixed = do_correct_reading(
        nurse, session, typo.pk, DURING | {"systolic_mmhg": 128}, "typed 218 for 128"
    )
    typo.refresh_from_db()
    assert typo.systolic_mmhg == 218  # the original is never changed
    assert fixed.corrects == typo and fixed.taken_at == typo.taken_at
    assert fixed.correction_reason == "typed 218 for 128"
    standing = current_readings(session)
    assert typo not in standing and fixed in standing
    old_alerts = SessionAlert.objects.filter(reading=typo)
    assert old_alerts.exists() and all(not a.is_open for a in old_alerts)
    assert all("Reading corrected" in a.note for a in old_alerts)
    assert not SessionAlert.objects.filter(reading=fixed).exists()
    entry = AuditEntry.objects.get(action="treatments.session.vitals_corrected")
    assert entry.detail["reading"] == typo.pk and entry.detail["alerts_closed"]


def test_a_correction_to_a_bad_value_raises_its_own_alert(world: Any) -> None:
    session = _monitored(world)
    nurse = actor(world.nurse_a)
    reading = actions.do_record_vitals(nurse, session, DURING)
    fixed = do_correct_reading(nurse, session, reading.pk, DURING | {"spo2_pct": 86}, "misread")
    alert = SessionAlert.objects.get(reading=fixed)
    assert alert.is_open and alert.field == "spo2_pct"
    # Like any alert, it keeps the limits that raised it (the same rules as a new reading).
    assert alert.limits_used["spo2_min"] == 92


def test_bad_corrections_are_refused(world: Any) -> None:
    session = _monitored(world)
    nurse = actor(world.nurse_a)
    reading = actions.do_record_vitals(nurse, session, DURING)
    for rid, values, reason, field in (
        (reading.pk, DURING, "", "correction_reason"),
        (reading.pk, DURING | {"spo2_pct": 140}, "x", "spo2_pct"),
        (999999, DURING, "x", "reading"),
        ("abc", DURING, "x", "reading"),
    ):
        with pytest.raises(ActionError) as err:
            do_correct_reading(nurse, session, rid, values, reason)
        assert err.value.field == field
    do_correct_reading(nurse, session, reading.pk, DURING | {"heart_rate_bpm": 80}, "x")
    with pytest.raises(ActionError, match="already corrected"):
        do_correct_reading(nurse, session, reading.pk, DURING, "again")
    assert VitalReading.objects.filter(corrects__isnull=False).count() == 1


def test_the_page_shows_the_original_struck_through(world: Any, as_user: Any) -> None:
    session = _monitored(world)
    reading = actions.do_record_vitals(
        actor(world.nurse_a), session, DURING | {"systolic_mmhg": 218}
    )
    url = f"/patients/{session.patient_id}/sessions/{session.pk}/"
    nurse = as_user(world.nurse_a)
    page = nurse.get(url + f"?correct={reading.pk}").content.decode()
    assert 'data-testid="correct-form"' in page and 'value="218"' in page
    bad = nurse.post(url + "vitals/correct/", {"reading": reading.pk, "systolic_mmhg": "128"})
    assert bad.status_code == 400 and 'data-field="correction_reason"' in bad.content.decode()
    form = {k: str(v) for k, v in DURING.items()} | {
        "reading": reading.pk,
        "systolic_mmhg": "128",
        "correction_reason": "typed 218 for 128",
    }
    assert nurse.post(url + "vitals/correct/", form).status_code == 302
    page = nurse.get(url).content.decode()
    assert f'data-testid="struck-{reading.pk}"' in page
    assert "BP 218/78" in page and "typed 218 for 128" in page and "Nina Nurse" in page
    therapist = as_user(world.therapist_a)
    assert therapist.post(url + "vitals/correct/", form).status_code == 403


def test_before_the_dose_vitals_are_corrected_by_the_checks(world: Any) -> None:
    session = ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    session = actions.do_record_checks(actor(world.nurse_a), session, answers_for(session), NORMAL)
    pre = VitalReading.objects.get(session=session, phase="pre_dose")
    with pytest.raises(ActionError, match="recording the checks again") as err:
        do_correct_reading(actor(world.nurse_a), session, pre.pk, NORMAL, "typo")
    assert err.value.field == "reading"


def test_a_mistyped_baseline_is_corrected_after_the_dose(world: Any) -> None:
    """A wrong pre-dose BP would skew every 'rise from baseline' alert of the session."""
    session = _monitored(world)
    nurse = actor(world.nurse_a)
    pre = VitalReading.objects.get(session=session, phase="pre_dose")
    fixed = do_correct_reading(
        nurse, session, pre.pk, NORMAL | {"systolic_mmhg": 104}, "typed 140 for 104"
    )
    assert fixed.phase == "pre_dose" and fixed.corrects == pre
    assert picture(current_readings(session)).baseline == fixed
    assert not SessionAlert.objects.filter(reading=fixed).exists()  # a baseline raises none
    entry = AuditEntry.objects.get(action="treatments.session.vitals_corrected")
    assert entry.detail["phase"] == "pre_dose" and "checks' decision stands" in entry.detail["note"]
    # Later readings are judged against the corrected baseline.
    later = actions.do_record_vitals(nurse, session, DURING | {"systolic_mmhg": 150})
    rise = SessionAlert.objects.filter(reading=later, code__icontains="rise")
    assert rise.exists(), list(SessionAlert.objects.filter(reading=later).values("code"))


def test_a_closed_unsigned_session_can_be_corrected_until_it_is_locked(world: Any) -> None:
    session = _monitored(world)
    nurse = actor(world.nurse_a)
    reading = actions.do_record_vitals(nurse, session, DURING)
    session = actions.do_transfer_out(
        nurse, session, "Severe headache, BP rising: to the ED by ambulance.", given_mg="20"
    )
    fixed = do_correct_reading(nurse, session, reading.pk, DURING | {"spo2_pct": 88}, "misread")
    alert = SessionAlert.objects.get(reading=fixed)
    assert not alert.is_open and "after the session closed" in alert.note
    session.refresh_from_db()
    assert session.status == "transferred"
    entry = AuditEntry.objects.get(action="treatments.session.vitals_corrected")
    assert entry.detail["after_close"] is True
    TreatmentSession.objects.filter(pk=session.pk).update(locked_at=timezone.now())
    with pytest.raises(ActionError, match="signed and locked"):
        do_correct_reading(nurse, session, fixed.pk, DURING, "again")


def test_the_page_offers_pre_dose_readings_and_closed_sessions(world: Any, as_user: Any) -> None:
    session = _monitored(world)
    pre = VitalReading.objects.get(session=session, phase="pre_dose")
    url = f"/patients/{session.patient_id}/sessions/{session.pk}/"
    nurse = as_user(world.nurse_a)
    assert f'data-testid="correct-{pre.pk}"' in nurse.get(url).content.decode()
    actions.do_transfer_out(
        actor(world.nurse_a), session, "Chest pain: to the ED by ambulance.", given_mg="20"
    )
    assert f'data-testid="correct-{pre.pk}"' in nurse.get(url).content.decode()
