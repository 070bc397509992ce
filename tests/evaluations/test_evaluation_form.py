"""Filling in the evaluation: sections, checklist, trials (TRD summary) and medications
(interaction flags); bad input is refused naming the field, and nothing is saved."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from ketacare.accounts.actions import ActionError
from ketacare.evaluations import actions
from ketacare.evaluations.models import Evaluation
from tests.evaluations.evaluation_helpers import actor, evaluation_for

pytestmark = pytest.mark.django_db


def url(world: Any, evaluation: Evaluation, tail: str = "") -> str:
    return f"/patients/{world.patient_a.pk}/evaluation/{evaluation.pk}/{tail}"


def form_data(**changes: Any) -> dict[str, Any]:
    data = {
        "indication": "trd",
        "pregnant": "no",
        "breastfeeding": "no",
        "planning_pregnancy": "no",
        "systolic_mmhg": "120",
        "diastolic_mmhg": "80",
        "heart_rate_bpm": "72",
        "spo2_pct": "98",
        "weight_kg": "70",
        "height_cm": "170",
        "medical_history": ["psychosis_history"],
        "goals": "To get out of bed and enjoy music again.",
    }
    data.update(changes)
    return data


def test_nurse_starts_an_evaluation_and_saves_sections(world: Any, as_user: Any) -> None:
    client = as_user(world.nurse_a)
    base = f"/patients/{world.patient_a.pk}/evaluation/"
    assert "Start evaluation" in client.get(base).content.decode()
    response = client.post(f"{base}start/", {"route": "iv_racemic", "indication": "trd"})
    assert response.status_code == 302
    evaluation = Evaluation.objects.get(patient=world.patient_a)
    assert evaluation.weight_kg == 70 and evaluation.height_cm == 170  # copied from the chart
    response = client.post(url(world, evaluation, "edit/"), form_data())
    assert response.status_code == 302
    evaluation.refresh_from_db()
    assert evaluation.medical_history == ["psychosis_history"]
    assert evaluation.last_edited_by == world.nurse_a
    page = client.get(base).content.decode()
    assert "BMI" in page and "24.2" in page
    assert "Vascular and neurological" in page  # checklist grouped by section


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"medical_history": ["psychosis_history", "werewolf"]}, "medical_history", "werewolf"),
        ({"systolic_mmhg": "80", "diastolic_mmhg": "95"}, "diastolic_mmhg", "not below"),
        ({"spo2_pct": "101"}, "spo2_pct", "outside"),
        ({"weight_kg": "700"}, "weight_kg", "kilograms"),
    ],
)
def test_bad_input_is_refused_naming_the_field(
    world: Any, as_user: Any, changes: dict[str, Any], field: str, words: str
) -> None:
    evaluation = evaluation_for(world.prescriber_a, world.patient_a)
    before = Evaluation.objects.get(pk=evaluation.pk)
    response = as_user(world.nurse_a).post(url(world, evaluation, "edit/"), form_data(**changes))
    assert response.status_code == 400
    body = response.content.decode()
    assert f'data-field="{field}"' in body
    assert words in body
    after = Evaluation.objects.get(pk=evaluation.pk)
    assert (after.medical_history, after.spo2_pct) == (before.medical_history, before.spo2_pct)


def test_future_episode_start_is_refused_naming_the_field(world: Any, as_user: Any) -> None:
    evaluation = evaluation_for(world.prescriber_a, world.patient_a)
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    response = as_user(world.nurse_a).post(
        url(world, evaluation, "edit/"), form_data(current_episode_started_on=tomorrow)
    )
    assert response.status_code == 400
    assert 'data-field="current_episode_started_on"' in response.content.decode()


def test_unknown_checklist_key_is_refused_by_the_action(world: Any) -> None:
    evaluation = evaluation_for(world.prescriber_a, world.patient_a)
    with pytest.raises(ActionError) as refused:
        actions.do_update_evaluation(
            actor(world.nurse_a), evaluation, {"medical_history": ["broken_leg"]}
        )
    assert refused.value.field == "medical_history"


def test_trials_give_a_treatment_resistance_summary(world: Any, as_user: Any) -> None:
    evaluation = evaluation_for(world.prescriber_a, world.patient_a, indication="trd")
    client = as_user(world.prescriber_a)
    trial = {
        "drug": "sertraline",
        "dose_mg": "150",
        "weeks_at_dose": "8",
        "dose_adequate": "true",
        "in_current_episode": "on",
        "improvement_pct": "10",
        "response": "none",
        "reason_stopped": "ineffective",
    }
    assert client.post(url(world, evaluation, "trials/"), trial).status_code == 302
    page = client.get(url(world, evaluation)).content.decode()
    assert "1 adequate failed antidepressant trial(s)" in page
    short = {**trial, "drug": "venlafaxine", "weeks_at_dose": "2"}
    client.post(url(world, evaluation, "trials/"), short)
    page = client.get(url(world, evaluation)).content.decode()
    assert "1 adequate failed antidepressant trial(s)" in page
    assert "under the 4 weeks of an adequate trial" in page
    client.post(url(world, evaluation, "trials/"), {**trial, "drug": "bupropion"})
    page = client.get(url(world, evaluation)).content.decode()
    assert "2 adequate failed antidepressant trial(s)" in page


def test_a_bad_trial_is_refused_naming_the_field(world: Any, as_user: Any) -> None:
    evaluation = evaluation_for(world.prescriber_a, world.patient_a)
    response = as_user(world.prescriber_a).post(
        url(world, evaluation, "trials/"),
        {"drug": "sertraline", "improvement_pct": "140", "response": "none"},
    )
    assert response.status_code == 400
    assert 'data-field="improvement_pct"' in response.content.decode()
    assert not evaluation.trials.exists()


def test_medications_show_interaction_flags(world: Any, as_user: Any) -> None:
    evaluation = evaluation_for(world.prescriber_a, world.patient_a)
    client = as_user(world.nurse_a)
    client.post(url(world, evaluation, "medications/"), {"name": "lorazepam", "daily_dose_mg": "2"})
    client.post(url(world, evaluation, "medications/"), {"name": "Adderall"})
    client.post(url(world, evaluation, "medications/"), {"name": "unobtainium"})
    page = client.get(url(world, evaluation)).content.decode()
    assert "Benzodiazepine: added sedation" in page
    assert "Psychostimulant: blood pressure" in page
    assert "Not recognised: unobtainium" in page
    assert "clinical.md §4" in page
    assert "20 mg/day" in page  # lorazepam 2 mg = diazepam 20 mg (equivalents unconfirmed)
    medication = evaluation.medications.get(name="unobtainium")
    client.post(url(world, evaluation, f"medications/{medication.pk}/remove/"))
    assert "unobtainium" not in client.get(url(world, evaluation)).content.decode()


def test_therapist_cannot_edit_an_evaluation(world: Any, as_user: Any) -> None:
    evaluation = evaluation_for(world.prescriber_a, world.patient_a)
    client = as_user(world.therapist_a)
    assert client.get(url(world, evaluation)).status_code == 200
    assert client.post(url(world, evaluation, "edit/"), form_data()).status_code == 403
