"""The chair's two timing rules that no source fixes are clinic settings, not constants
(clinical.md §9 "make every number a clinic setting"): how soon an out-of-range reading is
repeated ("repeat_after_min", default 5) and how early an infusion may end and still count as
the whole dose ("infusion_early_end_pct" / "infusion_early_end_min", default 10 % and 3 min)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from ketacare.accounts.actions import ActionError
from ketacare.clinical.infusion import early_end_allowance, judge_infusion_end
from ketacare.treatments import actions
from ketacare.treatments.limits import SPEC_BY_NAME, clean, defaults, do_set_limits
from ketacare.treatments.models import (
    ClinicMonitoringSettings,
    SessionAlert,
    SessionStatus,
    TreatmentSession,
)
from tests.treatments.session_helpers import actor, dosed, infused, ready_session

pytestmark = pytest.mark.django_db


def _form(**changes: Any) -> dict[str, Any]:
    data = {k: "" if v is None else str(v) for k, v in defaults().items()}
    return data | {k: str(v) for k, v in changes.items()}


def _set(world: Any, **changes: Any) -> None:
    do_set_limits(actor(world.admin_a), world.clinic_a, _form(**changes))


def _iv_dosing(world: Any) -> TreatmentSession:
    """An IV infusion planned over 40 min, started now (limits snapshotted at its checks)."""
    return dosed(world.nurse_a, ready_session(world.prescriber_a, world.nurse_a, world.patient_a))


def _at(session: TreatmentSession, minutes: float) -> Any:
    return time_machine.travel(session.dose.started_at + timedelta(minutes=minutes), tick=False)


# --- the rules themselves --------------------------------------------------------------------


def test_the_allowance_is_the_larger_of_the_percentage_and_the_minutes() -> None:
    assert early_end_allowance(40) == 4.0  # defaults: 10 % of 40 min
    assert early_end_allowance(20) == 3.0  # 10 % is 2 min: at least 3
    assert early_end_allowance(40, pct=20, min_minutes=3) == 8.0
    assert early_end_allowance(40, pct=0, min_minutes=0) == 0.0


def test_a_stricter_allowance_refuses_what_the_default_accepts() -> None:
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    now = start + timedelta(minutes=37)
    assert judge_infusion_end(started_at=start, now=now, planned_min=40).complete
    strict = judge_infusion_end(
        started_at=start, now=now, planned_min=40, early_end_pct=0, early_end_min=1
    )
    assert not strict.complete
    assert "complete from 39 min" in strict.reasons[0]


# --- the settings ----------------------------------------------------------------------------


def test_the_new_settings_are_practice_variation_with_sane_ranges() -> None:
    for name, default in (
        ("repeat_after_min", 5),
        ("infusion_early_end_pct", 10),
        ("infusion_early_end_min", 3),
    ):
        spec = SPEC_BY_NAME[name]
        assert spec.default == default and spec.practice_variation and "§" in spec.source
    for name, bad in (
        ("repeat_after_min", 0),
        ("repeat_after_min", 31),
        ("infusion_early_end_pct", 31),
        ("infusion_early_end_min", -1),
        ("infusion_early_end_min", "three"),
    ):
        with pytest.raises(ActionError) as err:
            clean(_form(**{name: bad}))
        assert err.value.field == name


def test_the_settings_page_shows_them_marked_as_practice_variation(
    world: Any, as_user: Any
) -> None:
    html = as_user(world.admin_a).get("/chairs/limits/").content.decode()
    for name in ("repeat_after_min", "infusion_early_end_pct", "infusion_early_end_min"):
        assert f'name="{name}"' in html
    assert "Repeat an out-of-range reading after" in html
    response = as_user(world.admin_a).post("/chairs/limits/", _form(repeat_after_min=45))
    assert response.status_code == 400
    assert "Repeat an out-of-range reading after: 45 is outside" in response.content.decode()


# --- used at the chair -----------------------------------------------------------------------


def test_the_clinics_repeat_time_sets_the_next_vitals_after_a_repeat(
    world: Any, as_user: Any
) -> None:
    _set(world, repeat_after_min=10)
    session = actions.do_end_infusion(actor(world.nurse_a), infused(_iv_dosing(world)))
    high_at = session.observation_started_at + timedelta(minutes=2)
    with time_machine.travel(high_at, tick=False):
        actions.do_record_vitals(
            actor(world.nurse_a), session, {"systolic_mmhg": 186, "diastolic_mmhg": 112}
        )
        page = as_user(world.nurse_a).get(f"/patients/{session.patient_id}/sessions/{session.pk}/")
        for alert in SessionAlert.objects.filter(session=session):
            actions.do_acknowledge_alert(
                actor(world.nurse_a), session, alert.pk, "repeat_5min", "Patient calm, repeating."
            )
    # The acknowledgement offers the clinic's time, not a fixed five minutes.
    assert "Repeat the reading in 10 minutes" in page.content.decode()
    assert "in 5 minutes" not in page.content.decode()
    repeat = timezone.localtime(high_at + timedelta(minutes=10))
    with time_machine.travel(high_at + timedelta(minutes=1), tick=False):
        board = as_user(world.nurse_a).get("/chairs/live/").content.decode()
    assert f'next vitals <span class="">{repeat:%H:%M}' in board


def test_the_clinics_allowance_decides_when_infusion_stopped_now_is_accepted(
    world: Any,
) -> None:
    _set(world, infusion_early_end_pct=20)
    session = _iv_dosing(world)
    with _at(session, 31), pytest.raises(ActionError, match="complete from 32 min"):
        actions.do_end_infusion(actor(world.nurse_a), session)
    with _at(session, 33):  # the default (last 10 %) would refuse this until 36 min
        assert actions.do_end_infusion(actor(world.nurse_a), session).status == (
            SessionStatus.MONITORING
        )


def test_a_session_keeps_the_allowance_in_force_at_its_checks(world: Any) -> None:
    session = _iv_dosing(world)  # checked under the default: complete from 36 min
    _set(world, infusion_early_end_pct=30)  # a later change does not apply to it
    with _at(session, 30), pytest.raises(ActionError, match="complete from 36 min"):
        actions.do_end_infusion(actor(world.nurse_a), session)


def test_the_limits_form_names_every_field_at_fault_at_once(world: Any, as_user: Any) -> None:
    """Bad input gets every problem shown together; nothing is saved and what was typed stays."""
    with pytest.raises(ActionError) as err:
        clean(_form(spo2_min="ninety", heart_rate_max=400, repeat_after_min=""))
    assert [field for field, _ in err.value.problems] == [  # type: ignore[attr-defined]
        "heart_rate_max",
        "spo2_min",
        "repeat_after_min",
    ]
    response = as_user(world.admin_a).post(
        "/chairs/limits/", _form(spo2_min="ninety", heart_rate_max=400, repeat_after_min="")
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Nothing was saved: 3 fields need a change." in html
    assert "Alert when SpO₂ is below: enter a whole number." in html
    assert "Alert when HR is above: 400 is outside the sane range 80–200 /min." in html
    assert "Repeat an out-of-range reading after: enter a value (default 5)." in html
    assert html.count('aria-invalid="true"') == 3
    assert 'value="ninety"' in html and 'value="400"' in html
    assert not ClinicMonitoringSettings.objects.filter(clinic=world.clinic_a).exists()
