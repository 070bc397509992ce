"""Pressing Save twice on an evaluation page saves once: recording consent, starting an
evaluation, adding a trial (two copies would count as two failed trials towards treatment
resistance), a medication or an addendum. The second press goes to what the first saved,
saying "Already saved"."""

from __future__ import annotations

from typing import Any

from ketacare.evaluations.models import Consent, Evaluation
from tests.evaluations.evaluation_helpers import evaluation_for, signed
from tests.submission_helpers import form_keys, post_twice

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


def test_consent_recorded_twice_is_stored_once(world: Any, as_user: Any) -> None:
    client = as_user(world.nurse_a)
    url = f"/patients/{world.patient_a.pk}/evaluation/consent/"
    (key,) = form_keys(client.get(url))
    post_twice(client, url, {**CONSENT, "submission_key": key})
    assert Consent.objects.filter(patient=world.patient_a).count() == 1


def test_starting_an_evaluation_twice_opens_the_one_started(world: Any, as_user: Any) -> None:
    client = as_user(world.prescriber_a)
    base = f"/patients/{world.patient_a.pk}/evaluation/"
    (key,) = form_keys(client.get(base))
    again = post_twice(
        client, base + "start/", {"route": "iv_racemic", "indication": "trd", "submission_key": key}
    )
    started = Evaluation.objects.get(patient=world.patient_a)
    assert again["Location"] == f"{base}{started.pk}/"


def test_trials_and_medications_sent_twice_are_added_once(world: Any, as_user: Any) -> None:
    evaluation = evaluation_for(world.prescriber_a, world.patient_a, indication="trd")
    client = as_user(world.prescriber_a)
    base = f"/patients/{world.patient_a.pk}/evaluation/{evaluation.pk}/"
    trial_key, medication_key = form_keys(client.get(base))
    post_twice(client, base + "trials/", {**TRIAL, "submission_key": trial_key})
    post_twice(
        client, base + "medications/", {"name": "lorazepam", "submission_key": medication_key}
    )
    assert evaluation.trials.count() == 1 and evaluation.medications.count() == 1
    assert "1 adequate failed antidepressant trial(s)" in client.get(base).content.decode()


def test_an_addendum_sent_twice_is_added_once(world: Any, as_user: Any) -> None:
    evaluation = signed(world.prescriber_a, world.patient_a)
    client = as_user(world.prescriber_a)
    base = f"/patients/{world.patient_a.pk}/evaluation/{evaluation.pk}/"
    (key,) = form_keys(client.get(base + "decision/"))
    post_twice(client, base + "addenda/", {"text": "BP recheck was normal.", "submission_key": key})
    assert evaluation.addenda.count() == 1
