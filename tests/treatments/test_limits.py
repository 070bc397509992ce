"""The clinic's vitals and alert limits: stored per clinic, validated with the field named,
shown with default and source, changed only by admin/director, audited, and used by sessions
(snapshotted so a later change never rewrites a past decision)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import AuditEntry
from ketacare.clinical.discharge import DischargeInputs, discharge_readiness
from ketacare.clinical.vitals import DEFAULT_LIMITS, VitalSigns
from ketacare.treatments import actions
from ketacare.treatments.limits import (
    DEFAULT_MONITORING,
    SPECS,
    clean,
    clinic_monitoring,
    defaults,
    do_set_limits,
)
from ketacare.treatments.models import SessionAlert
from tests.treatments.session_helpers import actor, checks_ok, ready_session

pytestmark = pytest.mark.django_db
URL = "/chairs/limits/"


def _form(**changes: Any) -> dict[str, Any]:
    data = {k: "" if v is None else str(v) for k, v in defaults().items()}
    return data | {k: str(v) for k, v in changes.items()}


def test_every_limit_field_has_a_spec_with_default_and_source() -> None:
    names = {s.name for s in SPECS}
    assert set(DEFAULT_LIMITS.__dataclass_fields__) <= names
    assert {"vitals_interval_min", "escalation_min"} <= names
    for spec in SPECS:
        assert spec.source and "§" in spec.source
        if spec.default is not None:
            assert spec.low <= spec.default <= spec.high
    assert DEFAULT_MONITORING.limits == DEFAULT_LIMITS


def test_clean_names_the_field_at_fault() -> None:
    with pytest.raises(ActionError) as err:
        clean(_form(spo2_min="ninety"))
    assert err.value.field == "spo2_min"
    with pytest.raises(ActionError) as err:
        clean(_form(heart_rate_max=400))
    assert err.value.field == "heart_rate_max" and "80–200" in err.value.message
    with pytest.raises(ActionError) as err:
        clean(_form(escalation_min=""))
    assert err.value.field == "escalation_min"
    # Cross-field: the warning threshold may not sit above the critical one.
    with pytest.raises(ActionError) as err:
        clean(_form(systolic_alert_at=210, systolic_critical_at=200))
    assert err.value.field == "systolic_alert_at"
    assert "Critical when SBP reaches" in err.value.message
    # Optional field: blank means "the protocol's".
    assert clean(_form(vitals_interval_min=""))["vitals_interval_min"] is None


def test_limits_are_per_clinic_and_every_change_audited(world: Any) -> None:
    changes = do_set_limits(
        actor(world.admin_a),
        world.clinic_a,
        _form(systolic_alert_at=170, escalation_min=3),
    )
    assert changes == {"systolic_alert_at": [180, 170], "escalation_min": [5, 3]}
    assert clinic_monitoring(world.clinic_a).limits.systolic_alert_at == 170
    assert clinic_monitoring(world.clinic_a).escalation_min == 3
    assert clinic_monitoring(world.clinic_b).limits.systolic_alert_at == 180
    entry = AuditEntry.objects.get(action="treatments.limits.changed")
    assert entry.clinic_id == world.clinic_a.pk
    assert entry.detail["changes"]["systolic_alert_at"] == [180, 170]
    # Saving the same values again changes nothing and audits nothing.
    assert do_set_limits(actor(world.admin_a), world.clinic_a, _form(
        systolic_alert_at=170, escalation_min=3
    )) == {}  # fmt: skip
    assert AuditEntry.objects.filter(action="treatments.limits.changed").count() == 1


def test_page_shows_defaults_sources_and_practice_variation(world: Any, as_user: Any) -> None:
    page = as_user(world.nurse_a).get(URL)
    assert page.status_code == 200
    html = page.content.decode()
    assert "practice variation" in html
    assert "clinical.md §9" in html and "Default: <strong>140</strong>" in html
    assert "disabled" in html  # a nurse reads, does not edit
    assert "Save limits" not in html


@pytest.mark.parametrize("who", ["admin_a", "director_a"])
def test_admin_and_director_save(world: Any, as_user: Any, who: str) -> None:
    response = as_user(getattr(world, who)).post(URL, _form(spo2_min=93))
    assert response.status_code == 302
    assert clinic_monitoring(world.clinic_a).limits.spo2_min == 93


@pytest.mark.parametrize("who", ["nurse_a", "prescriber_a", "therapist_a", "intake_a"])
def test_other_roles_may_not_save(world: Any, as_user: Any, who: str) -> None:
    response = as_user(getattr(world, who)).post(URL, _form(spo2_min=80))
    assert response.status_code == 403
    assert clinic_monitoring(world.clinic_a).limits.spo2_min == 92


def test_bad_input_rerenders_with_the_field_named_and_keeps_what_was_typed(
    world: Any, as_user: Any
) -> None:
    response = as_user(world.admin_a).post(URL, _form(heart_rate_min=5, spo2_min=95))
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-field="heart_rate_min"' in html
    assert 'value="95"' in html  # nothing typed is dropped
    assert clinic_monitoring(world.clinic_a) == DEFAULT_MONITORING


def test_clinic_b_edits_only_its_own_limits(world: Any, as_user: Any) -> None:
    response = as_user(world.clinician_b).post(URL, _form(spo2_min=90))
    assert response.status_code == 403  # a prescriber in B: no permission either
    do_set_limits(actor(world.admin_a), world.clinic_a, _form(spo2_min=94))
    page = as_user(world.clinician_b).get(URL).content.decode()
    assert 'name="spo2_min" value="92"' in page


def test_the_session_uses_the_clinic_limits_and_keeps_them(world: Any) -> None:
    do_set_limits(
        actor(world.admin_a),
        world.clinic_a,
        _form(pre_dose_systolic_max=130, systolic_alert_at=160),
    )
    session = ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    session = checks_ok(world.nurse_a, session, systolic_mmhg=135, diastolic_mmhg=80)
    assert session.on_hold and "130" in session.hold_reasons[0]
    assert session.limits_used["systolic_alert_at"] == 160
    # The admin relaxes the limits mid-session: this session keeps the ones it started with.
    do_set_limits(actor(world.admin_a), world.clinic_a, _form())
    session = actions.do_clear_hold(actor(world.prescriber_a), session, True, "Known hypertensive.")
    calc = actions.session_dose(session)
    session = actions.do_start_dose(
        actor(world.nurse_a),
        session,
        {"lot_number": "L1", "expiry": date(2099, 1, 1), "given_mg": calc.dose_mg},
    )
    actions.do_record_vitals(
        actor(world.nurse_a), session, {"systolic_mmhg": 165, "diastolic_mmhg": 85}
    )
    alert = SessionAlert.objects.get(session=session, code="bp_high")
    assert alert.limits_used["systolic_alert_at"] == 160


def test_dissociation_resolves_at_the_setting_or_back_to_baseline() -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 1, 1, 12, tzinfo=UTC)
    base = {
        "now": now,
        "observation_started_at": datetime(2026, 1, 1, 9, tzinfo=UTC),
        "min_observation_min": 120,
        "esketamine": True,
        "latest_vitals": VitalSigns(systolic_mmhg=120, diastolic_mmhg=80, spo2_pct=98),
        "baseline_vitals": VitalSigns(systolic_mmhg=120, diastolic_mmhg=80),
        "latest_moaas": 5,
        "baseline_moaas": 5,
        "open_alerts": 0,
        "escort_confirmed": True,
    }
    assert not discharge_readiness(DischargeInputs(**base, latest_cadss6=3)).allowed
    assert discharge_readiness(
        DischargeInputs(**base, latest_cadss6=3, dissociation_resolved_at_or_below=3)
    ).allowed
    assert discharge_readiness(DischargeInputs(**base, latest_cadss6=3, baseline_cadss6=3)).allowed
    refused = discharge_readiness(DischargeInputs(**base, latest_cadss6=4, baseline_cadss6=3))
    assert any("pre-dose 3" in m for m in refused.missing)
