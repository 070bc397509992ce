"""Per-clinic scoring thresholds (PCL-5 and GAD-7 cut-offs, MADRS and pain NRS bands, PHQ-9
item 9 / QIDS-SR16 item 12 flag levels): the library defaults until the clinic's admin or
director changes them (with a reason, audited), applied to new scores of that clinic's patients
only; stored assessments keep what they were scored with; the risk-flag floor holds."""

from __future__ import annotations

from typing import Any

import pytest

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import Actor, AuditEntry
from ketacare.clinical.thresholds import DEFAULTS
from ketacare.measures.actions import do_record_assessment, risk_rules_for
from ketacare.measures.models import Assessment, ClinicScoringThresholds
from ketacare.measures.selfreport_actions import risk_decision
from ketacare.measures.thresholds_settings import (
    do_set_scoring_thresholds,
    scoring_thresholds_for,
)
from ketacare.safety.models import RiskFlag

PAGE = "/measures/scoring-thresholds/"
SETUP = Actor(label="test-setup")
DEFAULT_FORM = {
    "pcl5_cutoff": "33",
    "gad7_cutoff": "10",
    "madrs_mild_from": "7",
    "madrs_moderate_from": "20",
    "madrs_severe_from": "35",
    "pain_nrs_bands": "hl7eu",
    "phq9_item9__1": "moderate",
    "phq9_item9__2": "high",
    "qids_item12__1": "moderate",
    "qids_item12__2": "high",
}


def pcl5_32() -> dict[str, int]:
    return {f"pcl5-{n}": 2 if n <= 12 else 1 for n in range(1, 21)}  # 24 + 8


def gad7_8() -> dict[str, int]:
    return {f"gad7-{n}": v for n, v in zip(range(1, 8), (2, 2, 2, 1, 1, 0, 0), strict=True)}


def madrs_32() -> dict[str, int]:
    return {f"madrs-{n}": 4 if n <= 8 else 0 for n in range(1, 11)}


def phq9_item9(value: int) -> dict[str, int]:
    return {**{f"phq9-{n}": 0 for n in range(1, 9)}, "phq9-9": value}


def qids_item12(value: int) -> dict[str, int]:
    return {**{f"qids_sr16-{n}": 0 for n in range(1, 17)}, "qids_sr16-12": value}


def record(patient: Any, code: str, answers: dict[str, int]) -> Assessment:
    return do_record_assessment(SETUP, patient, code, answers)


def flag_level(assessment: Assessment) -> str | None:
    flag = RiskFlag.objects.filter(assessment=assessment).first()
    return flag.level if flag else None


def results(patient: Any) -> dict[str, Any]:
    """What each configurable threshold decides for one new assessment of `patient`."""
    pcl5 = record(patient, "pcl5", pcl5_32())
    gad7 = record(patient, "gad7", gad7_8())
    return {
        "pcl5_cutoff": "provisional_ptsd_cutoff" in pcl5.flags,
        "probable_gad": "probable_gad" in gad7.flags,
        "madrs": record(patient, "madrs", madrs_32()).band,
        "pain": record(patient, "pain_nrs", {"pain_nrs-1": 4}).band,
        "phq9_item9_1": flag_level(record(patient, "phq9", phq9_item9(1))),
        "qids_item12_1": flag_level(record(patient, "qids_sr16", qids_item12(1))),
    }


LIBRARY = {
    "pcl5_cutoff": False,
    "probable_gad": False,
    "madrs": "moderate",
    "pain": "moderate",
    "phq9_item9_1": "moderate",
    "qids_item12_1": "moderate",
}


def shown(body: str) -> dict[str, str]:
    found = {}
    for chunk in body.split('data-testid="threshold-setting"')[1:]:
        key = chunk.split('data-key="', 1)[1].split('"', 1)[0]
        found[key] = chunk.split('data-value="', 1)[1].split('"', 1)[0]
    return found


def test_defaults_score_exactly_as_the_library_and_the_page_cites_them(
    world: Any, as_user: Any
) -> None:
    assert results(world.patient_a) == LIBRARY
    assert scoring_thresholds_for(world.clinic_a) is DEFAULTS
    body = as_user(world.admin_a).get(PAGE).content.decode()
    assert shown(body) == {k.replace("__", "."): v for k, v in DEFAULT_FORM.items()}
    assert body.count("practice variation") >= len(DEFAULT_FORM)
    for source in ("instruments.md §4", "§6", "§11", "clinical.md §12", "§16a"):
        assert source in body
    assert "Changes apply to new scores only" in body and "Never changed" in body
    assert 'data-testid="risk-floor"' in body
    assert 'data-key="phq9_item9.3" data-value="high"' in body  # the floor, not settable


def test_admin_change_applies_to_new_scores_of_this_clinic_only(world: Any, as_user: Any) -> None:
    before = record(world.patient_a, "madrs", madrs_32())
    data = {
        **DEFAULT_FORM,
        "pcl5_cutoff": "31",
        "gad7_cutoff": "8",
        "madrs_severe_from": "31",
        "pain_nrs_bands": "eppoc",
        "phq9_item9__1": "high",
        "qids_item12__1": "high",
        "reason": "Veterans programme, signed off by the medical director",
    }
    response = as_user(world.admin_a).post(PAGE, data)
    assert response.status_code == 302
    assert results(world.patient_a) == {
        "pcl5_cutoff": True,
        "probable_gad": True,
        "madrs": "severe",
        "pain": "none to mild",
        "phq9_item9_1": "high",
        "qids_item12_1": "high",
    }
    assert results(world.patient_b) == LIBRARY  # clinic B keeps the library's
    before.refresh_from_db()
    assert before.band == "moderate"  # stored scores are not rescored
    row = ClinicScoringThresholds.objects.get(clinic=world.clinic_a)
    assert row.madrs_mild_from is None and row.madrs_severe_from == 31  # only what differs
    assert row.risk_levels == {"phq9_item9.1": "high", "qids_item12.1": "high"}
    entry = AuditEntry.objects.get(action="measures.scoring_thresholds.changed")
    assert entry.clinic_id == world.clinic_a.pk and entry.actor_id == world.admin_a.pk
    assert entry.detail["changes"] == {
        "pcl5_cutoff": [33, 31],
        "gad7_cutoff": [10, 8],
        "madrs_severe_from": [35, 31],
        "pain_nrs_bands": ["hl7eu", "eppoc"],
        "phq9_item9.1": ["moderate", "high"],
        "qids_item12.1": ["moderate", "high"],
    }
    assert entry.detail["reason"].startswith("Veterans programme")
    page = as_user(world.director_a).get(PAGE).content.decode()
    assert shown(page)["pcl5_cutoff"] == "31" and "changed; default 33" in page
    assert page.count('data-testid="threshold-change"') == 1
    assert "madrs_severe_from 35 → 31" in page


def test_the_explanation_stored_with_a_score_names_the_value_used(world: Any) -> None:
    director = Actor(user_id=world.director_a.pk, label="director")
    do_set_scoring_thresholds(director, world.clinic_a, {"pcl5_cutoff": 31}, "population")
    pcl5 = record(world.patient_a, "pcl5", pcl5_32())
    assert any("32 ≥ 31" in line for line in pcl5.explanation)
    do_set_scoring_thresholds(director, world.clinic_a, {"pcl5_cutoff": 33}, "back")
    pcl5.refresh_from_db()
    assert "provisional_ptsd_cutoff" in pcl5.flags  # kept as scored
    assert ClinicScoringThresholds.objects.get().pcl5_cutoff is None  # default again


def test_a_clinic_may_lower_item9_answer_1_to_low_within_the_floor(world: Any) -> None:
    director = Actor(user_id=world.director_a.pk, label="director")
    do_set_scoring_thresholds(
        director, world.clinic_a, {"phq9_item9.1": "low"}, "low flags go to the rota"
    )
    assert flag_level(record(world.patient_a, "phq9", phq9_item9(1))) == "low"
    assert flag_level(record(world.patient_a, "phq9", phq9_item9(3))) == "high"
    # Self-report drafts use the same levels.
    decision = risk_decision("phq9", {"phq9-9": 1}, risk_rules_for(world.patient_a))
    assert decision is not None and decision.level == "low" and decision.requires_cssrs


def test_the_live_preview_and_trajectories_use_the_clinic_values(world: Any, as_user: Any) -> None:
    record(world.patient_a, "madrs", madrs_32())
    client = as_user(world.prescriber_a)
    trajectories = f"/patients/{world.patient_a.pk}/assessments/trajectories/"
    assert "severe (35–60)" in client.get(trajectories).content.decode()
    as_user(world.admin_a).post(
        PAGE, {**DEFAULT_FORM, "madrs_severe_from": "31", "reason": "Müller 2003"}
    )
    assert "severe (31–60)" in client.get(trajectories).content.decode()
    preview = f"/patients/{world.patient_a.pk}/assessments/new/madrs/preview/"
    data = client.post(preview, {k: str(v) for k, v in madrs_32().items()}).json()
    assert data["band"] == "severe"


def test_bad_input_is_refused_all_at_once_keeping_what_was_typed(world: Any, as_user: Any) -> None:
    data = {
        **DEFAULT_FORM,
        "pcl5_cutoff": "40",
        "gad7_cutoff": "ten",
        "madrs_mild_from": "25",
        "phq9_item9__1": "none",
        "qids_item12__1": "high",
        "qids_item12__2": "moderate",
        "reason": "",
    }
    response = as_user(world.admin_a).post(PAGE, data)
    body = response.content.decode()
    assert response.status_code == 400
    for field in (
        "pcl5_cutoff",
        "gad7_cutoff",
        "madrs_moderate_from",
        "phq9_item9__1",
        "qids_item12__2",
        "reason",
    ):
        assert f'data-field="{field}"' in body, field
    assert "PCL-5: probable PTSD at a total of at least: must be between 31 and 33" in body
    assert "GAD-7: probable GAD at a total of at least: give a whole number" in body
    assert "MADRS bands: mild (25) must start below moderate (20)" in body
    assert "cannot be a lower level (moderate) than answered 1 (high)" in body
    assert 'value="40"' in body and 'value="ten"' in body  # what was typed is kept
    assert "Nothing was saved yet" in body
    assert not ClinicScoringThresholds.objects.exists()
    assert not AuditEntry.objects.filter(action="measures.scoring_thresholds.changed").exists()


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"phq9_item9.3": "moderate"}, "phq9_item9.3"),
        ({"qids_item12.3": "low"}, "qids_item12.3"),
        ({"phq9_item9.1": "none"}, "phq9_item9.1"),
        ({"phq9_item9.2": ""}, "phq9_item9.2"),
        ({"phq9_item9.1": "high", "phq9_item9.2": "low"}, "phq9_item9.2"),
        ({"gad7_cutoff": 4}, "gad7_cutoff"),
        ({"pain_nrs_bands": "mine"}, "pain_nrs_bands"),
        ({"cssrs_flag_levels": "high"}, "cssrs_flag_levels"),
    ],
)
def test_the_action_refuses_values_under_the_floor_or_out_of_range(
    world: Any, values: dict[str, Any], field: str
) -> None:
    admin = Actor(user_id=world.admin_a.pk, label="admin")
    with pytest.raises(ActionError) as refused:
        do_set_scoring_thresholds(admin, world.clinic_a, values, "try")
    assert refused.value.field == field
    assert not ClinicScoringThresholds.objects.exists()


def test_only_the_admin_and_director_change_thresholds(world: Any, as_user: Any) -> None:
    data = {**DEFAULT_FORM, "pcl5_cutoff": "31", "reason": "x"}
    for user in (world.nurse_a, world.prescriber_a, world.therapist_a, world.intake_a):
        page = as_user(user).get(PAGE)
        assert page.status_code == 200  # every clinician may read what scores their patients
        assert "Only the clinic’s admin or director" in page.content.decode()
        assert "<form" not in page.content.decode().split("<h2>Change</h2>", 1)[1]
        assert as_user(user).post(PAGE, data).status_code == 403
    nurse = Actor(user_id=world.nurse_a.pk, label="nurse")
    with pytest.raises(ActionError):
        do_set_scoring_thresholds(nurse, world.clinic_a, {"pcl5_cutoff": 31}, "x")
    # Clinic B's clinician neither changes A's values nor sees A's history.
    b = Actor(user_id=world.clinician_b.pk, label="b")
    with pytest.raises(ActionError):
        do_set_scoring_thresholds(b, world.clinic_a, {"pcl5_cutoff": 31}, "x")
    assert not ClinicScoringThresholds.objects.exists()
    assert as_user(world.director_a).post(PAGE, data).status_code == 302
    other = as_user(world.clinician_b).get(PAGE).content.decode()
    assert shown(other)["pcl5_cutoff"] == "33" and "Never changed" in other
