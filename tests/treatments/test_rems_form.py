"""The REMS Patient Monitoring Form: generated from the record, typed where the record lacks a
field, submitted with date and person, listed while due or overdue (clinical.md §6d)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import AuditEntry
from ketacare.evaluations.models import CurrentMedication, Evaluation
from ketacare.measures.scheduling import clinic_today
from ketacare.treatments import actions, rems_actions
from ketacare.treatments.models import RemsMonitoringForm, TreatmentSession
from ketacare.treatments.rems_form import build_form, clinic_rows, form_status
from tests.treatments.session_helpers import NORMAL, actor, dosed, ready_session

pytestmark = pytest.mark.django_db

# Every field clinical.md §6d lists, by code.
SECTION_6D = {
    "patient_name",
    "birth_date",
    "sex",
    "first_treatment",
    "rems_enrolled",
    "med_benzodiazepine",
    "med_non_bzd_hypnotic",
    "med_psychostimulant",
    "med_maoi",
    "monitoring_hcp",
    "setting",
    "treatment_date",
    "dose",
    "lot_number",
    "total_minutes",
    "ready_minutes",
    "vitals_ok_pre",
    "vitals_ok_end",
    "bp_pre",
    "bp_40",
    "bp_discharge",
    "sedation_observed",
    "sedation_resolved",
    "dissociation_observed",
    "dissociation_resolved",
    "respiratory_observed",
    "respiratory_resolved",
    "pulse_oximetry",
    "serious_adverse_events",
}


def run_esketamine(world: Any, *, bp_at_40: bool = True) -> TreatmentSession:
    """A complete 56 mg esketamine session: devices 5 min apart, vitals, discharge at 125 min."""
    session = ready_session(
        world.prescriber_a, world.nurse_a, world.patient_a, route="esketamine_nasal"
    )
    session = dosed(world.nurse_a, session)
    start = timezone.now()
    nurse = actor(world.nurse_a)
    with time_machine.travel(start, tick=False):
        actions.do_record_device(nurse, session)
    with time_machine.travel(start + timedelta(minutes=5), tick=False):
        actions.do_record_device(nurse, session)
    if bp_at_40:
        with time_machine.travel(start + timedelta(minutes=41), tick=False):
            actions.do_record_vitals(
                nurse,
                session,
                {**NORMAL, "systolic_mmhg": 148, "diastolic_mmhg": 92, "moaas": 4, "cadss6": 6},
            )
    with time_machine.travel(start + timedelta(minutes=75), tick=False):
        actions.do_record_vitals(nurse, session, {**NORMAL, "systolic_mmhg": 134})
    with time_machine.travel(start + timedelta(minutes=125), tick=False):
        actions.do_record_vitals(nurse, session, NORMAL)
        actions.do_discharge(nurse, session, escort_confirmed=True)
    session.refresh_from_db()
    return session


def test_every_section_6d_field_is_on_the_form_read_from_the_record(world: Any) -> None:
    session = run_esketamine(world)
    form = build_form(session)
    fields = form.by_code()
    assert set(fields) == SECTION_6D
    assert fields["patient_name"].value == world.patient_a.display_name
    assert fields["birth_date"].value == "1985-04-12"
    assert fields["first_treatment"].value == "Yes"
    assert fields["rems_enrolled"].value == "Yes" and "REMS-1" in fields["rems_enrolled"].source
    assert fields["dose"].value == "56 mg"
    assert fields["lot_number"].value == "LOT-1"
    assert fields["total_minutes"].value == "125"
    # Clinically fit from the 75-minute reading: the REMS evaluation question.
    assert fields["ready_minutes"].value == "75"
    assert fields["vitals_ok_pre"].value == "Yes" and fields["vitals_ok_end"].value == "Yes"
    assert fields["bp_pre"].value.startswith("122/78")
    assert fields["bp_40"].value.startswith("148/92") and "41 min" in fields["bp_40"].value
    assert fields["bp_discharge"].value.startswith("122/78")
    assert fields["sedation_observed"].value == "Yes"
    assert fields["sedation_resolved"].value == "Yes"
    assert fields["dissociation_observed"].value == "Yes"
    assert fields["dissociation_resolved"].value == "Yes"
    assert fields["respiratory_observed"].value == "No"
    assert fields["respiratory_resolved"].value == "Not applicable"
    assert fields["pulse_oximetry"].value == "Yes"
    assert world.nurse_a.display_name in fields["monitoring_hcp"].value
    assert world.clinic_a.name in fields["setting"].value
    # Not in the record: shown as not recorded, editable.
    assert fields["serious_adverse_events"].value is None
    assert fields["serious_adverse_events"].editable


def test_the_monitoring_provider_carries_their_credentials_once(world: Any) -> None:
    world.nurse_a.credentials = "RN"
    world.nurse_a.save()
    session = run_esketamine(world)
    value = build_form(session).by_code()["monitoring_hcp"].value
    assert value == f"{world.nurse_a.full_name}, RN"  # was "…, RN, RN"


def test_medication_classes_come_from_the_signed_evaluation(world: Any) -> None:
    session = run_esketamine(world)
    evaluation = Evaluation.objects.filter(patient=world.patient_a).first()
    assert evaluation is not None
    CurrentMedication.objects.create(evaluation=evaluation, name="lorazepam 1 mg")
    CurrentMedication.objects.create(evaluation=evaluation, name="sertraline")
    fields = build_form(session).by_code()
    assert fields["med_benzodiazepine"].value == "Yes"
    assert "lorazepam" in fields["med_benzodiazepine"].source
    assert fields["med_maoi"].value == "No"
    assert fields["med_psychostimulant"].value == "No"


def test_a_missing_40_minute_bp_is_typed_on_the_form_and_stored(world: Any) -> None:
    session = run_esketamine(world, bp_at_40=False)
    assert build_form(session).by_code()["bp_40"].value is None
    with pytest.raises(ActionError) as err:
        rems_actions.do_save_rems_entries(actor(world.nurse_a), session, {"bp_40": "high"})
    assert err.value.field == "bp_40"
    with pytest.raises(ActionError) as err:
        rems_actions.do_save_rems_entries(actor(world.nurse_a), session, {"bp_40": "20/200"})
    assert err.value.field == "bp_40"
    with pytest.raises(ActionError) as err:
        rems_actions.do_save_rems_entries(actor(world.nurse_a), session, {"dose": "84 mg"})
    assert err.value.field == "dose" and "session record" in err.value.message
    rems_actions.do_save_rems_entries(
        actor(world.nurse_a),
        session,
        {"bp_40": "146/90 at 10:40 (paper chart)", "serious_adverse_events": "No"},
    )
    fields = build_form(session).by_code()
    assert fields["bp_40"].value == "146/90 mmHg at 10:40 (paper chart)"
    assert fields["bp_40"].entered and fields["bp_40"].editable
    assert fields["serious_adverse_events"].value == "No"
    assert AuditEntry.objects.filter(action="treatments.rems_form.saved").exists()


def test_submission_is_refused_while_a_field_is_not_recorded(world: Any) -> None:
    session = run_esketamine(world)
    today = clinic_today(world.clinic_a)
    with pytest.raises(ActionError) as err:
        rems_actions.do_submit_rems_form(
            actor(world.nurse_a), session, submitted_on=today, method="online"
        )
    assert "Serious adverse events" in err.value.message
    assert not RemsMonitoringForm.objects.filter(session=session, submitted_at__isnull=False)


def test_submitted_form_keeps_date_and_person_and_is_frozen(world: Any) -> None:
    session = run_esketamine(world)
    nurse = actor(world.nurse_a)
    rems_actions.do_save_rems_entries(nurse, session, {"serious_adverse_events": "No"})
    today = clinic_today(world.clinic_a)
    with pytest.raises(ActionError) as err:
        rems_actions.do_submit_rems_form(
            nurse, session, submitted_on=today + timedelta(days=1), method="fax"
        )
    assert err.value.field == "submitted_on"
    with pytest.raises(ActionError) as err:
        rems_actions.do_submit_rems_form(nurse, session, submitted_on=today, method="pigeon")
    assert err.value.field == "method"
    rems_actions.do_submit_rems_form(
        nurse, session, submitted_on=today, method="fax", confirmation="PMF-778"
    )
    row = RemsMonitoringForm.objects.get(session=session)
    assert row.submitted_on == today and row.submitted_by == world.nurse_a
    assert row.confirmation == "PMF-778"
    form = build_form(session)
    assert form.submitted and form_status(form, today) == "submitted"
    assert {f["code"] for f in row.submitted_fields} == SECTION_6D
    with pytest.raises(ActionError, match="submitted"):
        rems_actions.do_save_rems_entries(nurse, session, {"serious_adverse_events": "Yes"})
    assert AuditEntry.objects.filter(action="treatments.rems_form.submitted").exists()


def test_iv_sessions_have_no_form(world: Any) -> None:
    session = dosed(
        world.nurse_a, ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    )
    with pytest.raises(ActionError) as err:
        rems_actions.do_save_rems_entries(actor(world.nurse_a), session, {})
    assert err.value.field == "session"


def test_clinic_list_shows_due_and_overdue_until_submitted(world: Any) -> None:
    session = run_esketamine(world)
    rows = clinic_rows(world.clinic_a)
    assert [r.session.pk for r in rows] == [session.pk]
    assert rows[0].status == "due" and rows[0].days_left == 7
    assert clinic_rows(world.clinic_b) == []
    # Nine days later it is overdue (deadline: treatment date + 7 calendar days).
    with time_machine.travel(timezone.now() + timedelta(days=9), tick=False):
        late = clinic_rows(world.clinic_a)
        assert late[0].status == "overdue" and late[0].days_late == 2
    rems_actions.do_save_rems_entries(
        actor(world.nurse_a), session, {"serious_adverse_events": "No"}
    )
    rems_actions.do_submit_rems_form(
        actor(world.nurse_a),
        session,
        submitted_on=clinic_today(world.clinic_a),
        method="online",
    )
    assert clinic_rows(world.clinic_a) == []


# --- pages ----------------------------------------------------------------------------------


def _url(session: TreatmentSession, step: str = "") -> str:
    return f"/patients/{session.patient_id}/sessions/{session.pk}/rems/{step}"


def test_form_page_shows_not_recorded_and_takes_typed_fields(world: Any, as_user: Any) -> None:
    session = run_esketamine(world)
    nurse = as_user(world.nurse_a)
    body = nurse.get(f"/patients/{session.patient_id}/sessions/{session.pk}/").content.decode()
    assert 'data-testid="rems-link"' in body
    page = nurse.get(_url(session))
    assert page.status_code == 200
    body = page.content.decode()
    assert "not recorded" in body and 'data-testid="rems-entries"' in body
    assert "LOT-1" in body and "@media print" not in body  # print CSS is a static file
    assert AuditEntry.objects.filter(
        action="treatments.rems_form.viewed", patient_id=str(world.patient_a.pk)
    ).exists()
    bad = nurse.post(_url(session, "entries/"), {"serious_adverse_events": "x" * 600})
    assert bad.status_code == 400 and 'data-field="serious_adverse_events"' in bad.content.decode()
    ok = nurse.post(_url(session, "entries/"), {"serious_adverse_events": "None"})
    assert ok.status_code == 302
    refused = nurse.post(_url(session, "submit/"), {"submitted_on": "", "method": "online"})
    assert refused.status_code == 400 and 'data-field="submitted_on"' in refused.content.decode()
    done = nurse.post(
        _url(session, "submit/"),
        {"submitted_on": clinic_today(world.clinic_a).isoformat(), "method": "online"},
    )
    assert done.status_code == 302
    body = nurse.get(_url(session)).content.decode()
    assert "Submitted" in body and world.nurse_a.display_name in body
    assert 'data-testid="rems-submit"' not in body


def test_clinic_list_page_and_permissions(world: Any, as_user: Any) -> None:
    session = run_esketamine(world)
    therapist = as_user(world.therapist_a)
    page = therapist.get("/rems-forms/")
    assert page.status_code == 200
    assert f'data-testid="rems-row-{session.pk}"' in page.content.decode()
    assert AuditEntry.objects.filter(action="treatments.rems_forms.listed").exists()
    # Therapists read the form but do not fill it in.
    assert therapist.get(_url(session)).status_code == 200
    denied = therapist.post(_url(session, "entries/"), {"serious_adverse_events": "No"})
    assert denied.status_code == 403
    other = as_user(world.clinician_b)
    assert other.get(_url(session)).status_code == 404
    listed = other.get("/rems-forms/").content.decode()
    assert f'data-testid="rems-row-{session.pk}"' not in listed


def test_iv_session_form_url_is_not_found(world: Any, as_user: Any) -> None:
    session = dosed(
        world.nurse_a, ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    )
    assert as_user(world.nurse_a).get(_url(session)).status_code == 404


def test_treatment_date_is_the_clinic_day_of_the_first_device(world: Any) -> None:
    session = run_esketamine(world)
    form = build_form(session)
    assert isinstance(form.treatment_date, date)
    assert form.due_on - form.treatment_date == timedelta(days=7)


def test_dissociation_is_judged_by_the_clinics_threshold_as_discharge_was(world: Any) -> None:
    """A clinic that counts CADSS-6 ≤ 3 as resolved discharges at 3; the form must then say
    resolved, and give the minutes until the patient was ready, not leave them blank."""
    from ketacare.treatments.limits import defaults, do_set_limits

    values = defaults() | {"dissociation_resolved_at_or_below": 3, "vitals_interval_min": ""}
    do_set_limits(actor(world.prescriber_a), world.clinic_a, values)
    nurse = world.nurse_a
    session = ready_session(world.prescriber_a, nurse, world.patient_a, route="esketamine_nasal")
    session = dosed(nurse, session)
    start = timezone.now() - timedelta(minutes=130)
    with time_machine.travel(start, tick=False):
        actions.do_record_device(actor(nurse), session)
    with time_machine.travel(start + timedelta(minutes=5), tick=False):
        actions.do_record_device(actor(nurse), session)
    session.refresh_from_db()
    actions.do_record_vitals(actor(nurse), session, NORMAL | {"cadss6": 3})
    session.refresh_from_db()
    session = actions.do_discharge(actor(nurse), session, escort_confirmed=True)

    fields = build_form(session).by_code()
    assert fields["dissociation_observed"].value == "Yes"
    assert fields["dissociation_resolved"].value == "Yes"
    assert "≤ 3" in fields["dissociation_observed"].source
    assert fields["ready_minutes"].value not in (None, "")


def test_a_medication_class_is_corrected_on_the_form_keeping_what_the_list_said(
    world: Any,
) -> None:
    """The evaluation's list may be out of date: today's answer is typed and replaces it."""
    session = run_esketamine(world)
    assert build_form(session).by_code()["med_benzodiazepine"].value == "No"
    rems_actions.do_save_rems_entries(actor(world.nurse_a), session, {"med_benzodiazepine": "Yes"})
    field = build_form(session).by_code()["med_benzodiazepine"]
    assert (field.value, field.entered) == ("Yes", True)
    assert "said No" in field.source and "Entered on this form" in field.source
    # Blank returns to the list's answer.
    rems_actions.do_save_rems_entries(actor(world.nurse_a), session, {"med_benzodiazepine": ""})
    assert build_form(session).by_code()["med_benzodiazepine"].value == "No"
    # Fields read from the session record itself stay refused.
    with pytest.raises(ActionError) as refused:
        rems_actions.do_save_rems_entries(actor(world.nurse_a), session, {"dose": "84 mg"})
    assert refused.value.field == "dose"


def test_a_medication_change_noted_at_the_pre_dose_review_must_be_confirmed(
    world: Any,
) -> None:
    session = run_esketamine(world)
    session.checks.filter(code="medication_changes").update(note="Started alprazolam last week")
    fields = build_form(session).by_code()
    for code in ("med_benzodiazepine", "med_maoi", "med_psychostimulant"):
        assert fields[code].value is None
        assert "alprazolam" in fields[code].source
    assert "med_benzodiazepine" in {f.code for f in build_form(session).missing}
