"""Correcting a reading keeps the original (struck through, with who/when/why) and
re-evaluates the alerts on the corrected value."""

from __future__ import annotations

from typing import Any

import pytest

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import AuditEntry
from ketacare.treatments import actions
from ketacare.treatments.corrections import do_correct_reading
from ketacare.treatments.models import SessionAlert, VitalReading
from ketacare.treatments.state import current_readings
from tests.treatments.session_helpers import NORMAL, actor, dosed, ready_session

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
    pre = VitalReading.objects.get(session=session, phase="pre_dose")
    for rid, values, reason, field in (
        (reading.pk, DURING, "", "correction_reason"),
        (reading.pk, DURING | {"spo2_pct": 140}, "x", "spo2_pct"),
        (pre.pk, DURING, "x", "reading"),
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
