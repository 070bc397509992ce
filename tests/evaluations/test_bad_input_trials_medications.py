"""Adding a prior antidepressant trial or a current medication names every problem at once: a
negative dose or a 500 % improvement is reported alongside a missing drug name (the engine's
range checks ran only once the form had passed, and then only the first), each under its
field without the code's field name, with what was typed kept and nothing stored."""

from __future__ import annotations

import re
from typing import Any

from tests.evaluations.evaluation_helpers import evaluation_for


def _errors(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-field="([a-z_]+)">([^<]*)<', html))


def test_a_trial_shows_every_problem_at_once(world: Any, as_user: Any) -> None:
    evaluation = evaluation_for(world.prescriber_a, world.patient_a, indication="trd")
    url = f"/patients/{world.patient_a.pk}/evaluation/{evaluation.pk}/trials/"
    client = as_user(world.prescriber_a)
    bad = {"drug": "", "dose_mg": "-50", "weeks_at_dose": "-2", "improvement_pct": "500"}
    refused = client.post(url, bad)
    html = refused.content.decode()
    errors = _errors(html)
    assert refused.status_code == 400
    assert set(errors) == {"drug", "dose_mg", "weeks_at_dose", "improvement_pct"}, errors
    assert errors["drug"] == "This field is required."
    assert "at least 0" in errors["dose_mg"] and "-50" in errors["dose_mg"]
    assert "up to 100" in errors["improvement_pct"]
    assert "dose_mg:" not in html and "improvement_pct:" not in html
    assert 'value="-50"' in html and 'value="500"' in html
    # With the name given, the range problems are still all shown, not the first only.
    named = client.post(url, {**bad, "drug": "sertraline"})
    assert named.status_code == 400
    assert set(_errors(named.content.decode())) == {"dose_mg", "weeks_at_dose", "improvement_pct"}
    assert not evaluation.trials.exists()


def test_a_medication_shows_every_problem_at_once(world: Any, as_user: Any) -> None:
    evaluation = evaluation_for(world.prescriber_a, world.patient_a)
    url = f"/patients/{world.patient_a.pk}/evaluation/{evaluation.pk}/medications/"
    refused = as_user(world.prescriber_a).post(url, {"name": " ", "daily_dose_mg": "-2"})
    html = refused.content.decode()
    errors = _errors(html)
    assert refused.status_code == 400
    assert set(errors) == {"name", "daily_dose_mg"}, errors
    assert "negative" in errors["daily_dose_mg"] and "daily_dose_mg:" not in html
    assert 'value="-2"' in html
    assert not evaluation.medications.exists()
