"""Staff pages speak in labels: a refusal does not start with an internal field name, every bad
value of a form is named in one answer, codes are shown by their names, and the risk banner
offers "Acknowledge" only to those who may (QA pass in a real browser)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.staticfiles import finders

from ketacare.evaluations.models import Evaluation
from ketacare.plans import actions as plan_actions
from ketacare.plans.models import TreatmentPlan
from ketacare.treatments import actions as session_actions
from ketacare.treatments.models import TreatmentSession, VitalReading
from tests.evaluations.evaluation_helpers import actor, consent, evaluation_for, signed
from tests.page_text import without_tokens
from tests.safety.crisis_helpers import high_flag
from tests.treatments.session_helpers import appointment, phq9_today

pytestmark = pytest.mark.django_db

FIELD_NAMES = (
    "systolic_mmhg:",
    "diastolic_mmhg:",
    "heart_rate_bpm:",
    "spo2_pct:",
    "audit_c_score:",
    "weight_kg:",
    "height_cm:",
    "weeks_at_dose:",
    "resp_rate_per_min:",
    "temperature_c:",
)


def iv_plan(world: Any) -> TreatmentPlan:
    """An active IV plan for depression, the patient evaluated for TRD."""
    signed(world.prescriber_a, world.patient_a, "iv_racemic", indication="trd")
    plan = plan_actions.do_create_plan(
        actor(world.prescriber_a), world.patient_a, "iv_ketamine_depression", {}
    )
    plan_actions.do_sign_plan(actor(world.prescriber_a), plan)
    plan.refresh_from_db()
    return plan


def ready_session(world: Any) -> TreatmentSession:
    """Eligible, consented, plan active, PHQ-9 today, checked in."""
    plan = iv_plan(world)
    consent(world.prescriber_a, world.patient_a, "iv_racemic")
    phq9_today(world.patient_a)
    appt = appointment(world.patient_a, plan)
    return session_actions.do_check_in(
        actor(world.nurse_a), world.clinic_a, world.patient_a, appt.pk
    )


def _eval_url(world: Any, evaluation: Evaluation, tail: str = "") -> str:
    return f"/patients/{world.patient_a.pk}/evaluation/{evaluation.pk}/{tail}"


def _errors(html: str) -> dict[str, list[str]]:
    """The messages shown under each field: {field name: [message, ...]}."""
    found: dict[str, list[str]] = {}
    for name, message in re.findall(
        r'<p class="error" role="alert" data-field="([^"]+)">([^<]*)</p>', html
    ):
        found.setdefault(name, []).append(message)
    return found


def _evaluation_form(**changes: Any) -> dict[str, Any]:
    return {
        "indication": "trd",
        "pregnant": "no",
        "breastfeeding": "no",
        "planning_pregnancy": "no",
        "systolic_mmhg": "120",
        "diastolic_mmhg": "80",
        "heart_rate_bpm": "72",
        "spo2_pct": "98",
        "audit_c_score": "2",
        "weight_kg": "70",
        "height_cm": "170",
        **changes,
    }


def test_every_bad_evaluation_value_is_named_at_once_by_its_label(world: Any, as_user: Any) -> None:
    evaluation = evaluation_for(world.prescriber_a, world.patient_a)
    response = as_user(world.nurse_a).post(
        _eval_url(world, evaluation, "edit/"),
        _evaluation_form(systolic_mmhg="400", spo2_pct="120", audit_c_score="15", weight_kg="-3"),
    )
    html = response.content.decode()
    assert response.status_code == 400
    errors = _errors(html)
    assert {"systolic_mmhg", "spo2_pct", "audit_c_score", "weight_kg"} <= set(errors)
    assert errors["weight_kg"] == [
        "-3 kg is outside 20–350 kg; check the unit (kilograms, not pounds)."
    ]
    body = without_tokens(html)
    for name in FIELD_NAMES:
        assert name not in body
    # What was typed is kept.
    for typed in ('value="400"', 'value="120"', 'value="15"', 'value="-3"'):
        assert typed in html
    evaluation.refresh_from_db()
    assert evaluation.systolic_mmhg == 120 and evaluation.weight_kg != -3


def test_the_evaluation_action_refuses_every_bad_value_in_one_answer(
    world: Any, as_user: Any
) -> None:
    """Values the form reads but the clinical checks refuse: all of them, each at its field."""
    evaluation = evaluation_for(world.prescriber_a, world.patient_a)
    response = as_user(world.nurse_a).post(
        _eval_url(world, evaluation, "edit/"),
        _evaluation_form(
            systolic_mmhg="100", diastolic_mmhg="110", weight_kg="500", height_cm="1.7"
        ),
    )
    assert response.status_code == 400
    errors = _errors(response.content.decode())
    assert errors["diastolic_mmhg"] == ["110 is not below the systolic 100 mmHg."]
    assert errors["weight_kg"][0].startswith("500 kg is outside 20–350 kg")
    assert errors["height_cm"][0].startswith("1.7 cm is outside 100–250 cm")
    assert "diastolic_mmhg:" not in without_tokens(response.content.decode())


def test_a_refused_trial_is_explained_without_the_field_name(world: Any, as_user: Any) -> None:
    evaluation = evaluation_for(world.prescriber_a, world.patient_a)
    response = as_user(world.prescriber_a).post(
        _eval_url(world, evaluation, "trials/"),
        {
            "drug": "sertraline",
            "dose_mg": "100",
            "weeks_at_dose": "-1",
            "in_current_episode": "on",
        },
    )
    html = response.content.decode()
    assert response.status_code == 400
    errors = _errors(html)
    assert errors["weeks_at_dose"] == ["expected a number of at least 0, got -1.0"]
    assert "weeks_at_dose:" not in without_tokens(html)


def test_the_eligibility_page_names_the_indication(world: Any, as_user: Any) -> None:
    evaluation = evaluation_for(world.prescriber_a, world.patient_a, indication="trd")
    html = as_user(world.prescriber_a).get(_eval_url(world, evaluation, "decision/"))
    body = without_tokens(html.content.decode())
    assert "indication: Treatment-resistant depression." in body
    assert "indication: trd" not in body


def test_the_consent_page_names_the_racemic_routes(world: Any, as_user: Any) -> None:
    html = as_user(world.prescriber_a).get(f"/patients/{world.patient_a.pk}/evaluation/consent/")
    sentence = re.search(r'data-testid="off-label-routes">([^<]*)<', html.content.decode())
    assert sentence is not None
    # Codes are long enough to be blanked by without_tokens: look at the sentence itself.
    assert "_racemic" not in sentence[1]
    assert "IV racemic ketamine; oral/sublingual racemic ketamine" in sentence[1]


def test_the_consent_refusal_is_shown_once_at_its_field(world: Any, as_user: Any) -> None:
    response = as_user(world.prescriber_a).post(
        f"/patients/{world.patient_a.pk}/evaluation/consent/",
        {
            "route": "iv_racemic",
            "version": "2026-01",
            "risks_discussed": ["dissociation"],
            "patient_signature_name": "Ada Lovelace",
            "signed_on": "2026-01-05",
        },
    )
    html = response.content.decode()
    assert response.status_code == 400
    errors = _errors(html)
    assert errors, html[-2000:]
    for messages in errors.values():
        assert len(messages) == len(set(messages))
        for message in messages:
            assert not re.match(r"[a-z_]+: ", message)


def _checks_post(session: Any, **vitals: str) -> dict[str, Any]:
    from ketacare.treatments.checks import manual_items
    from ketacare.treatments.state import session_protocol

    data: dict[str, Any] = {i.code: "yes" for i in manual_items(session_protocol(session))}
    data.update(
        {
            "systolic_mmhg": "122",
            "diastolic_mmhg": "78",
            "heart_rate_bpm": "72",
            "spo2_pct": "98",
            "resp_rate_per_min": "14",
            "moaas": "5",
            "cadss6": "0",
        }
    )
    data.update(vitals)
    return data


def test_every_bad_pre_dose_vital_is_named_in_one_answer_and_kept(world: Any, as_user: Any) -> None:
    session = ready_session(world)
    url = f"/patients/{world.patient_a.pk}/sessions/{session.pk}/checks/"
    response = as_user(world.nurse_a).post(
        url,
        _checks_post(
            session,
            systolic_mmhg="400",
            diastolic_mmhg="10",
            heart_rate_bpm="300",
            spo2_pct="120",
            resp_rate_per_min="90",
            temperature_c="50",
            moaas="9",
        ),
    )
    html = response.content.decode()
    assert response.status_code == 400
    errors = _errors(html)
    assert errors["systolic_mmhg"] == ["400 mmHg is outside the possible 50–300 mmHg"]
    assert errors["diastolic_mmhg"] == ["10 mmHg is outside the possible 20–200 mmHg"]
    assert errors["heart_rate_bpm"] == ["300 /min is outside the possible 20–250 /min"]
    assert errors["spo2_pct"] == ["120 % is outside the possible 50–100 %"]
    assert errors["resp_rate_per_min"] == ["90 /min is outside the possible 3–70 /min"]
    assert errors["temperature_c"] == ["50 °C is outside the possible 30–44 °C"]
    assert errors["moaas"] == ["9 is not possible: MOAA/S runs 0–5."]
    for typed in ("400", "300", "120", "90", "50"):
        assert f'value="{typed}"' in html
    assert not VitalReading.objects.filter(session=session).exists()


def test_unanswered_checks_and_missing_vitals_are_named_together(world: Any, as_user: Any) -> None:
    session = ready_session(world)
    url = f"/patients/{world.patient_a.pk}/sessions/{session.pk}/checks/"
    data = _checks_post(session, systolic_mmhg="", diastolic_mmhg="", spo2_pct="101")
    codes = [k for k, v in data.items() if v == "yes"]
    del data[codes[0]]
    response = as_user(world.nurse_a).post(url, data)
    assert response.status_code == 400
    errors = _errors(response.content.decode())
    assert errors[codes[0]] == ["Answer this check."]
    assert errors["systolic_mmhg"] == ["Needed before dosing."]
    assert errors["diastolic_mmhg"] == ["Needed before dosing."]
    assert errors["spo2_pct"] == ["101 % is outside the possible 50–100 %"]


def test_good_pre_dose_checks_are_still_recorded(world: Any, as_user: Any) -> None:
    session = ready_session(world)
    url = f"/patients/{world.patient_a.pk}/sessions/{session.pk}/checks/"
    response = as_user(world.nurse_a).post(url, _checks_post(session, temperature_c="36.6"))
    assert response.status_code == 302
    assert VitalReading.objects.filter(session=session, systolic_mmhg=122).exists()


def test_the_series_page_names_the_protocol_and_phase(world: Any, as_user: Any) -> None:
    plan = iv_plan(world)
    response = as_user(world.intake_a).get(
        f"/patients/{world.patient_a.pk}/appointments/series/{plan.pk}/"
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "plan IV racemic ketamine for depression (off-label) (active), phase Induction" in html
    # The code is long enough to be blanked by without_tokens: check the page itself.
    assert "iv_ketamine_depression" not in html
    assert "phase induction" not in without_tokens(html)


def test_the_banner_offers_acknowledge_only_to_who_may_acknowledge(
    world: Any, as_user: Any
) -> None:
    flag = high_flag(world.patient_a, world.nurse_a)
    flag_link = f'href="/safety/flags/{flag.pk}/"'
    for user, may in ((world.intake_a, False), (world.nurse_a, True)):
        for url in ("/patients/", "/safety/banner/"):
            response = as_user(user).get(url)
            # The banner's poll answers JSON carrying the same fragment.
            html = response.json()["html"] if url.endswith("banner/") else response.content.decode()
            assert 'data-testid="risk-banner"' in html
            assert ("Acknowledge</a>" in html) is may, (user, url)
            assert flag_link in html or f"/flags/{flag.pk}/" in html


def test_pages_link_an_icon_that_the_static_files_serve(world: Any, as_user: Any) -> None:
    html = as_user(world.nurse_a).get("/patients/").content.decode()
    assert 'rel="icon"' in html
    assert finders.find("ketacare/favicon.svg") is not None
