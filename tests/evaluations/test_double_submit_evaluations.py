"""Pressing Save twice on an evaluation page saves once: recording consent, starting an
evaluation, adding a trial (two copies would count as two failed trials towards treatment
resistance), a medication or an addendum. The second press goes to what the first saved,
saying "Already saved"."""

from __future__ import annotations

import re
from typing import Any

from django.contrib.messages import get_messages

from ketacare.evaluations.models import Consent, Evaluation
from tests.evaluations.evaluation_helpers import evaluation_for, signed

TRIAL = {
    "drug": "sertraline",
    "dose_mg": "150",
    "weeks_at_dose": "8",
    "dose_adequate": "true",
    "in_current_episode": "on",
    "improvement_pct": "10",
    "response": "none",
    "reason_stopped": "ineffective",
}
CONSENT = {
    "route": "iv_racemic",
    "version": "IV-2026-01",
    "off_label_disclosed": "on",
    "risks_discussed": ["dissociation", "blood_pressure"],
    "patient_signature_name": "Ada Lovelace",
    "signed_on": "2026-01-05",
}


def _keys(page: Any) -> list[str]:
    return re.findall(r'name="submission_key" value="([^"]+)"', page.content.decode())


def _twice(client: Any, url: str, data: dict[str, Any]) -> Any:
    first = client.post(url, data)
    again = client.post(url, data)
    assert first.status_code == again.status_code == 302
    assert again["Location"] == first["Location"]
    assert any(str(m).startswith("Already saved") for m in get_messages(again.wsgi_request))
    return again


def test_consent_recorded_twice_is_stored_once(world: Any, as_user: Any) -> None:
    client = as_user(world.nurse_a)
    url = f"/patients/{world.patient_a.pk}/evaluation/consent/"
    (key,) = _keys(client.get(url))
    _twice(client, url, {**CONSENT, "submission_key": key})
    assert Consent.objects.filter(patient=world.patient_a).count() == 1


def test_starting_an_evaluation_twice_opens_the_one_started(world: Any, as_user: Any) -> None:
    client = as_user(world.prescriber_a)
    base = f"/patients/{world.patient_a.pk}/evaluation/"
    (key,) = _keys(client.get(base))
    again = _twice(
        client, base + "start/", {"route": "iv_racemic", "indication": "trd", "submission_key": key}
    )
    started = Evaluation.objects.get(patient=world.patient_a)
    assert again["Location"] == f"{base}{started.pk}/"


def test_trials_and_medications_sent_twice_are_added_once(world: Any, as_user: Any) -> None:
    evaluation = evaluation_for(world.prescriber_a, world.patient_a, indication="trd")
    client = as_user(world.prescriber_a)
    base = f"/patients/{world.patient_a.pk}/evaluation/{evaluation.pk}/"
    trial_key, medication_key = _keys(client.get(base))
    _twice(client, base + "trials/", {**TRIAL, "submission_key": trial_key})
    _twice(client, base + "medications/", {"name": "lorazepam", "submission_key": medication_key})
    assert evaluation.trials.count() == 1 and evaluation.medications.count() == 1
    assert "1 adequate failed antidepressant trial(s)" in client.get(base).content.decode()


def test_an_addendum_sent_twice_is_added_once(world: Any, as_user: Any) -> None:
    evaluation = signed(world.prescriber_a, world.patient_a)
    client = as_user(world.prescriber_a)
    base = f"/patients/{world.patient_a.pk}/evaluation/{evaluation.pk}/"
    (key,) = _keys(client.get(base + "decision/"))
    _twice(client, base + "addenda/", {"text": "BP recheck was normal.", "submission_key": key})
    assert evaluation.addenda.count() == 1
