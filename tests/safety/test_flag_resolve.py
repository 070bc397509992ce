"""Resolving a risk flag without a crisis record (moderate and low flags): from the flag's page,
once acknowledged, by the roles that acknowledge, with a note, after a C-SSRS when the flag asked
for one; one resolution when two clinicians try at once; audited, on the timeline, inactive over
FHIR; the C-SSRS-before-the-next-dose gate holds exactly as before."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from fhir.resources.R4B.flag import Flag

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import Actor, AuditEntry
from ketacare.accounts.models import User
from ketacare.fhir.clinical_common import instant
from ketacare.measures.actions import do_mark_entered_in_error, do_record_assessment
from ketacare.safety.crisis_models import CrisisRecord
from ketacare.safety.escalation import do_acknowledge, escalate_due
from ketacare.safety.escalation_models import EscalationEvent, EscalationState, FlagEscalation
from ketacare.safety.models import FlagStatus, RiskFlag
from ketacare.safety.resolve import do_resolve_flag
from ketacare.treatments import actions
from tests.fhir._clinical import ids, read, search
from tests.safety.crisis_helpers import actor, high_flag
from tests.safety.helpers import make_prescriber_of, on_call_all_week, raise_flag
from tests.treatments.session_helpers import checks_ok, ready_session

pytestmark = pytest.mark.django_db

NOTE = "C-SSRS negative; safety plan reviewed with her sister; follow-up call on Friday."
NEGATIVE_SCREEN = {"cssrs_recent-1": 0, "cssrs_recent-2": 0, "cssrs_recent-6": 0}
SCREENER = Actor(label="t")


def _acknowledged(flag: RiskFlag, user: User) -> RiskFlag:
    return do_acknowledge(actor(user), user, flag, "called_patient", "Spoke with her at 10:05.")


def _moderate(world: Any) -> RiskFlag:
    return _acknowledged(raise_flag(world.patient_a, level="moderate"), world.nurse_a)


def _item9_flag(patient: Any) -> RiskFlag:
    """PHQ-9 item 9 = 1: a moderate flag that asks for a C-SSRS before the next dose."""
    answers = {f"phq9-{i}": 1 for i in range(1, 9)} | {"phq9-9": 1}
    do_record_assessment(SCREENER, patient, "phq9", answers)
    flag = RiskFlag.objects.get(patient=patient, source="phq9_item9")
    assert flag.level == "moderate" and flag.requires_cssrs
    return flag


def _resolve_url(flag: RiskFlag) -> str:
    return f"/safety/flags/{flag.pk}/resolve/"


def _refused(user: User, flag: RiskFlag, note: str = NOTE) -> ActionError:
    with pytest.raises(ActionError) as refused:
        do_resolve_flag(actor(user), flag, note)
    assert RiskFlag.objects.get(pk=flag.pk).status != FlagStatus.RESOLVED
    return refused.value


# --- the page and the happy path --------------------------------------------------------------


def test_resolving_an_acknowledged_moderate_flag_from_its_page(world: Any, as_user: Any) -> None:
    flag = raise_flag(world.patient_a, level="moderate")
    client = as_user(world.prescriber_a)
    assert f"/safety/flags/{flag.pk}/" in client.get("/safety/").content.decode()
    _acknowledged(flag, world.nurse_a)
    page = client.get(f"/safety/flags/{flag.pk}/").content.decode()
    assert 'id="resolve"' in page and f'action="{_resolve_url(flag)}#resolve"' in page
    assert "Resolving closes this flag for good" in page  # what it does, before the button

    response = client.post(_resolve_url(flag), {"resolution_note": NOTE})

    assert response.status_code == 302 and response["Location"] == f"/safety/flags/{flag.pk}/"
    flag.refresh_from_db()
    assert flag.status == FlagStatus.RESOLVED
    assert flag.resolved_by == world.prescriber_a and flag.resolution_note == NOTE
    assert flag.resolved_at is not None
    assert timezone.now() - flag.resolved_at < timedelta(minutes=1)
    page = client.get(f"/safety/flags/{flag.pk}/").content.decode()
    assert 'data-testid="resolved"' in page and NOTE in page and "Paula Prescriber" in page
    assert "Flag resolved" in page and 'id="resolve"' not in page
    # Off the clinic's open-flag list and the banner, and closed on the chart.
    assert f"/safety/flags/{flag.pk}/" not in client.get("/safety/").content.decode()
    assert client.get("/safety/banner/").json()["count"] == 0
    chart = client.get(f"/patients/{world.patient_a.pk}/").content.decode()
    assert 'data-testid="risk-alert"' not in chart
    assert 'data-testid="flag-resolution"' in chart


def test_resolution_is_audited_in_the_same_transaction(world: Any) -> None:
    flag = _moderate(world)
    do_resolve_flag(actor(world.therapist_a), flag, NOTE)
    entry = AuditEntry.objects.get(action="safety.flag.resolved")
    assert entry.actor_id == world.therapist_a.pk and entry.object_type == "risk_flag"
    assert entry.object_id == str(flag.pk) and entry.patient_id == str(world.patient_a.pk)
    assert entry.clinic_id == world.clinic_a.pk
    assert entry.detail["via"] == "resolve" and entry.detail["level"] == "moderate"
    assert NOTE not in str(entry.detail)  # the clinical note stays on the chart


def test_the_resolution_is_on_the_risk_timeline(world: Any, as_user: Any) -> None:
    flag = _moderate(world)
    do_resolve_flag(actor(world.nurse_a), flag, NOTE)
    chart = as_user(world.prescriber_a).get(f"/patients/{world.patient_a.pk}/").content.decode()
    timeline = chart[chart.index('data-testid="risk-timeline"') :]
    assert "Moderate risk flag resolved by Nina Nurse" in timeline
    assert NOTE in timeline and 'class="tl-resolved"' in timeline


def test_a_get_on_the_resolve_address_goes_back_to_the_flag(world: Any, as_user: Any) -> None:
    flag = _moderate(world)
    response = as_user(world.nurse_a).get(_resolve_url(flag))
    assert response.status_code == 302
    assert response["Location"] == f"/safety/flags/{flag.pk}/#resolve"


# --- refusals ---------------------------------------------------------------------------------


def test_resolve_is_refused_before_acknowledgment(world: Any, as_user: Any) -> None:
    flag = raise_flag(world.patient_a, level="low")
    problem = _refused(world.prescriber_a, flag)
    assert problem.field == "flag" and "Acknowledge the flag" in problem.message
    client = as_user(world.prescriber_a)
    assert 'id="resolve"' not in client.get(f"/safety/flags/{flag.pk}/").content.decode()
    response = client.post(_resolve_url(flag), {"resolution_note": NOTE})
    assert response.status_code == 400
    assert "Acknowledge the flag with the action taken first" in response.content.decode()
    assert RiskFlag.objects.get(pk=flag.pk).status == FlagStatus.OPEN
    assert not AuditEntry.objects.filter(action="safety.flag.resolved").exists()


def test_a_flag_with_a_crisis_record_is_refused_saying_to_close_the_crisis(
    world: Any, as_user: Any
) -> None:
    flag = _acknowledged(high_flag(world.patient_a, world.nurse_a), world.prescriber_a)
    crisis = CrisisRecord.objects.get(flag=flag)
    problem = _refused(world.prescriber_a, flag)
    assert problem.field == "flag" and "Close the crisis instead" in problem.message
    client = as_user(world.prescriber_a)
    page = client.get(f"/safety/flags/{flag.pk}/").content.decode()
    assert 'id="resolve"' not in page and 'data-testid="resolve-by-crisis"' in page
    assert f"/patients/{world.patient_a.pk}/crisis/crisis/{crisis.pk}/" in page
    response = client.post(_resolve_url(flag), {"resolution_note": NOTE})
    assert response.status_code == 400 and "Close the crisis instead" in response.content.decode()
    assert RiskFlag.objects.get(pk=flag.pk).status == FlagStatus.ACKNOWLEDGED


def test_a_high_flag_is_refused_even_when_no_record_names_it(world: Any, as_user: Any) -> None:
    # A high flag counted into a record opened for another flag (or older than the crisis
    # workflow) is not that record's own flag; it still resolves only through a crisis record.
    flag = _acknowledged(high_flag(world.patient_a, world.nurse_a), world.prescriber_a)
    CrisisRecord.objects.filter(flag=flag).update(flag=None)
    problem = _refused(world.prescriber_a, flag)
    assert problem.field == "flag" and "Close the crisis instead" in problem.message
    page = as_user(world.prescriber_a).get(f"/safety/flags/{flag.pk}/").content.decode()
    assert 'id="resolve"' not in page and 'data-testid="resolve-by-crisis"' in page
    assert f"/patients/{world.patient_a.pk}/crisis/" in page


@pytest.mark.parametrize("note", ["", "   \n  ", "ok", "resolved."])
def test_resolve_is_refused_without_a_note_naming_the_field(
    world: Any, as_user: Any, note: str
) -> None:
    flag = _moderate(world)
    problem = _refused(world.nurse_a, flag, note)
    assert problem.field == "resolution_note" and problem.message.startswith("resolution_note:")
    response = as_user(world.nurse_a).post(_resolve_url(flag), {"resolution_note": note})
    assert response.status_code == 400
    body = response.content.decode()
    # Next to the field, and listed at the top of the form.
    assert '<p class="error" role="alert" data-field="resolution_note">write why' in body
    assert "resolution_note:" not in body  # the field's label, not the code's name
    assert 'href="#id_resolution_note"' in body
    assert RiskFlag.objects.get(pk=flag.pk).status == FlagStatus.ACKNOWLEDGED


def test_a_note_over_the_acknowledgment_limit_is_refused_naming_the_field(
    world: Any, as_user: Any
) -> None:
    # The acknowledgment's rule for its note (required, not blank, at most 2000 characters).
    flag = _moderate(world)
    problem = _refused(world.nurse_a, flag, "x" * 2001)
    assert problem.field == "resolution_note" and "2000 characters" in problem.message
    response = as_user(world.nurse_a).post(_resolve_url(flag), {"resolution_note": "x" * 2001})
    assert (
        response.status_code == 400 and 'data-field="resolution_note"' in response.content.decode()
    )
    do_resolve_flag(actor(world.nurse_a), flag, "Seen today, " + "x" * 1988)
    assert RiskFlag.objects.get(pk=flag.pk).status == FlagStatus.RESOLVED


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("prescriber_a", True),
        ("nurse_a", True),
        ("therapist_a", True),
        ("director_a", True),
        ("admin_a", False),
        ("intake_a", False),
    ],
)
def test_only_the_roles_that_acknowledge_may_resolve(
    world: Any, as_user: Any, role: str, allowed: bool
) -> None:
    user = getattr(world, role)
    flag = _moderate(world)
    client = as_user(user)
    page = client.get(f"/safety/flags/{flag.pk}/").content.decode()
    assert ('id="resolve"' in page) is allowed
    response = client.post(_resolve_url(flag), {"resolution_note": NOTE})
    assert response.status_code == (302 if allowed else 403)
    assert (RiskFlag.objects.get(pk=flag.pk).status == FlagStatus.RESOLVED) is allowed


def test_the_action_itself_refuses_a_role_that_may_not_acknowledge(world: Any) -> None:
    flag = _moderate(world)
    for user in (world.intake_a, world.admin_a):
        problem = _refused(user, flag)
        assert problem.field == "flag" and "Your role cannot resolve" in problem.message
    # A clinician of another clinic, whatever role they state.
    outsider = Actor(user_id=world.clinician_b.pk, label="b", role="prescriber")
    with pytest.raises(ActionError, match="Your role cannot resolve"):
        do_resolve_flag(outsider, flag, NOTE)


def test_another_clinic_gets_404_on_the_resolve_address(world: Any, as_user: Any) -> None:
    flag = _moderate(world)
    client = as_user(world.clinician_b)
    assert client.get(_resolve_url(flag)).status_code == 404
    assert client.post(_resolve_url(flag), {"resolution_note": NOTE}).status_code == 404
    assert RiskFlag.objects.get(pk=flag.pk).status == FlagStatus.ACKNOWLEDGED
    assert AuditEntry.objects.filter(action="safety.flag.access_refused").count() == 2


# --- a flag that asked for a C-SSRS screen ----------------------------------------------------


def test_a_flag_asking_for_a_cssrs_is_resolved_only_after_a_later_screen(
    world: Any, as_user: Any
) -> None:
    earlier = timezone.now() - timedelta(hours=2)
    do_record_assessment(
        SCREENER, world.patient_a, "cssrs_recent", NEGATIVE_SCREEN, administered_at=earlier
    )
    flag = _acknowledged(_item9_flag(world.patient_a), world.prescriber_a)
    # A screen before the flag does not count.
    problem = _refused(world.prescriber_a, flag)
    assert problem.field == "flag" and "C-SSRS" in problem.message
    client = as_user(world.prescriber_a)
    page = client.get(f"/safety/flags/{flag.pk}/").content.decode()
    assert 'data-testid="resolve-blocked"' in page and 'data-testid="resolve"' not in page
    response = client.post(_resolve_url(flag), {"resolution_note": NOTE})
    assert response.status_code == 400 and "complete the C-SSRS screen first" in (
        response.content.decode()
    )
    # A screen after it marked entered in error does not count either.
    wrong = do_record_assessment(SCREENER, world.patient_a, "cssrs_recent", NEGATIVE_SCREEN)
    do_mark_entered_in_error(actor(world.prescriber_a), wrong, "Wrong patient's answers.")
    _refused(world.prescriber_a, flag)

    assert 'data-testid="start-cssrs"' in page and 'data-testid="cssrs-done"' not in page

    do_record_assessment(SCREENER, world.patient_a, "cssrs_recent", NEGATIVE_SCREEN)

    page = client.get(f"/safety/flags/{flag.pk}/").content.decode()
    assert 'data-testid="resolve"' in page and 'data-testid="cssrs-done"' in page
    assert 'data-testid="start-cssrs"' not in page
    assert client.post(_resolve_url(flag), {"resolution_note": NOTE}).status_code == 302
    flag.refresh_from_db()
    assert flag.status == FlagStatus.RESOLVED and flag.requires_cssrs  # the flag keeps it


def test_a_screen_typed_in_the_minute_of_the_risk_answer_counts(world: Any) -> None:
    # The gate's reading (measures.screens): forms give minutes, the flag has seconds.
    flag = _acknowledged(_item9_flag(world.patient_a), world.prescriber_a)
    minute = flag.raised_at.replace(second=0, microsecond=0)
    do_record_assessment(
        SCREENER, world.patient_a, "cssrs_recent", NEGATIVE_SCREEN, administered_at=minute
    )
    assert do_resolve_flag(actor(world.prescriber_a), flag, NOTE).status == FlagStatus.RESOLVED


def _dose(world: Any, session: Any) -> Any:
    return actions.do_start_dose(actor(world.nurse_a), session, {"given_mg": 35})


def test_the_dosing_gate_still_refuses_a_dose_without_the_required_cssrs(world: Any) -> None:
    session = ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    flag = _acknowledged(_item9_flag(world.patient_a), world.nurse_a)
    _refused(world.prescriber_a, flag)  # no screen: the flag cannot be resolved
    session = checks_ok(world.nurse_a, session)
    assert session.checks.get(code="cssrs_after_risk_answer").result != "yes"
    with pytest.raises(ActionError) as refused:
        _dose(world, session)
    assert refused.value.field == "checks"


def test_a_resolved_flag_holds_dosing_again_when_its_screen_is_struck_out(world: Any) -> None:
    # Resolving changes the flag only: the gate reads every flag that asked for a screen,
    # whatever its status, so striking out the screen holds dosing as it did before.
    session = ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    flag = _acknowledged(_item9_flag(world.patient_a), world.nurse_a)
    screen = do_record_assessment(SCREENER, world.patient_a, "cssrs_recent", NEGATIVE_SCREEN)
    do_resolve_flag(actor(world.prescriber_a), flag, NOTE)
    session = checks_ok(world.nurse_a, session)
    assert session.checks_passed, session.check_problems
    assert RiskFlag.objects.get(pk=flag.pk).status == FlagStatus.RESOLVED

    do_mark_entered_in_error(actor(world.prescriber_a), screen, "Recorded on the wrong chart.")

    with pytest.raises(ActionError) as refused:  # the gate re-reads the chart
        _dose(world, session)
    assert refused.value.field == "checks" and "C-SSRS" in refused.value.message


# --- two at once, escalation ------------------------------------------------------------------


def test_a_second_resolution_is_refused_with_who_resolved_it(world: Any, as_user: Any) -> None:
    flag = _moderate(world)
    # Both clinicians opened the page while the flag was acknowledged.
    first, second = as_user(world.prescriber_a), as_user(world.nurse_a)
    for client in (first, second):
        assert 'id="resolve"' in client.get(f"/safety/flags/{flag.pk}/").content.decode()
    assert first.post(_resolve_url(flag), {"resolution_note": NOTE}).status_code == 302
    response = second.post(_resolve_url(flag), {"resolution_note": "Also spoke to her today."})
    assert response.status_code == 400
    assert "already resolved by Paula Prescriber" in response.content.decode()
    # The stale object a caller holds changes nothing either.
    stale = RiskFlag.objects.get(pk=flag.pk)
    stale.status = FlagStatus.ACKNOWLEDGED
    problem = _refused_after(world.therapist_a, stale)
    assert "already resolved by Paula Prescriber" in problem.message
    flag.refresh_from_db()
    assert flag.resolved_by == world.prescriber_a and flag.resolution_note == NOTE
    assert AuditEntry.objects.filter(action="safety.flag.resolved").count() == 1


def _refused_after(user: User, flag: RiskFlag) -> ActionError:
    with pytest.raises(ActionError) as refused:
        do_resolve_flag(actor(user), flag, "Late note.")
    return refused.value


def test_resolving_stops_an_escalation_still_running(world: Any) -> None:
    make_prescriber_of(world.patient_a, world.prescriber_a)
    on_call_all_week(world.clinic_a, world.nurse_a)
    flag = _moderate(world)
    escalation = FlagEscalation.objects.get(flag=flag)
    assert escalation.state == EscalationState.ACKNOWLEDGED  # acknowledging stopped it
    # A watch pass that read the flag while it was open can leave its escalation running.
    FlagEscalation.objects.filter(pk=escalation.pk).update(state=EscalationState.ACTIVE)

    do_resolve_flag(actor(world.nurse_a), flag, NOTE)

    escalation.refresh_from_db()
    assert escalation.state == EscalationState.ACKNOWLEDGED
    events = EscalationEvent.objects.filter(flag=flag).count()
    assert escalate_due(escalation.due_at + timedelta(days=2)) == 0
    assert EscalationEvent.objects.filter(flag=flag).count() == events
    entry = AuditEntry.objects.get(action="safety.flag.resolved")
    assert entry.detail["escalation_stopped"] is True


# --- FHIR -------------------------------------------------------------------------------------


@pytest.fixture
def fhir(world: Any, token_for: Any, api_client: Any) -> Client:
    client: Client = api_client(token_for(world.nurse_a))
    return client


def test_a_resolved_flag_is_inactive_over_fhir_with_its_end(world: Any, fhir: Client) -> None:
    flag = _moderate(world)
    pid = world.patient_a.pk
    assert ids(search(fhir, Flag, f"Flag?patient={pid}&status=active")) == [f"flag-{flag.pk}"]
    assert search(fhir, Flag, f"Flag?patient={pid}&status=inactive")["total"] == 0

    flag = do_resolve_flag(actor(world.prescriber_a), flag, NOTE)

    resource = read(fhir, Flag, f"Flag/flag-{flag.pk}")
    assert resource["status"] == "inactive"
    assert resource["period"]["end"] == instant(flag.resolved_at)
    assert resource["meta"]["lastUpdated"] == instant(flag.resolved_at)
    assert ids(search(fhir, Flag, f"Flag?patient={pid}&status=inactive")) == [f"flag-{flag.pk}"]
    assert search(fhir, Flag, f"Flag?patient={pid}&status=active")["total"] == 0
