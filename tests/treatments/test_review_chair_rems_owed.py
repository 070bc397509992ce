"""Review of the REMS Patient Monitoring Form (issue 6 item 9, clinical.md §6d): which sessions
owe a form."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from ketacare.treatments import actions
from ketacare.treatments.models import SessionStatus
from ketacare.treatments.rems_form import build_form, clinic_rows, is_rems_session
from tests.treatments.session_helpers import actor, dosed, ready_session
from tests.treatments.test_rems_form import run_esketamine

pytestmark = pytest.mark.django_db


def test_an_esketamine_session_stopped_before_the_first_device_owes_no_form(
    world: Any, as_user: Any
) -> None:
    session = ready_session(
        world.prescriber_a, world.nurse_a, world.patient_a, route="esketamine_nasal"
    )
    session = dosed(world.nurse_a, session)
    session = actions.do_stop_session(actor(world.nurse_a), session, "Patient declined the spray")
    assert session.status == SessionStatus.ABORTED
    # No device was taken: no SPRAVATO was given, so there is no monitoring to report and no
    # form that could ever be submitted (it would sit "due" then "overdue" for ever).
    assert not is_rems_session(session)
    page = as_user(world.nurse_a).get(reverse("rems:form", args=[world.patient_a.pk, session.pk]))
    assert page.status_code == 404
    assert not any(r.session.pk == session.pk for r in clinic_rows(world.clinic_a))


def test_a_session_with_one_device_then_stopped_still_owes_its_form(world: Any) -> None:
    session = ready_session(
        world.prescriber_a, world.nurse_a, world.patient_a, route="esketamine_nasal"
    )
    session = dosed(world.nurse_a, session)
    actions.do_record_device(actor(world.nurse_a), session)
    session.refresh_from_db()
    assert is_rems_session(session)


def test_a_session_stopped_before_any_device_does_not_make_the_next_one_a_repeat(
    world: Any,
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from ketacare.treatments.models import TreatmentSession
    from tests.treatments.session_helpers import appointment

    session = run_esketamine(world)
    # An earlier visit of the same course: the dose was set, no device was taken.
    appt = appointment(world.patient_a, session.plan, "Chair 5")
    earlier = actions.do_check_in(actor(world.nurse_a), world.clinic_a, world.patient_a, appt.pk)
    earlier = dosed(world.nurse_a, earlier)
    actions.do_stop_session(actor(world.nurse_a), earlier, "Patient declined the spray")
    TreatmentSession.objects.filter(pk=earlier.pk).update(
        dosing_started_at=session.dosing_started_at - timedelta(days=3),
        checked_in_at=timezone.now() - timedelta(days=3),
    )
    assert build_form(session).by_code()["first_treatment"].value == "Yes"


def test_a_session_after_one_with_devices_is_not_the_first_treatment(world: Any) -> None:
    from tests.treatments.session_helpers import appointment

    first = run_esketamine(world)
    appt = appointment(world.patient_a, first.plan, "Chair 5")
    session = actions.do_check_in(actor(world.nurse_a), world.clinic_a, world.patient_a, appt.pk)
    session = dosed(world.nurse_a, session)
    actions.do_record_device(actor(world.nurse_a), session)
    session.refresh_from_db()
    assert build_form(session).by_code()["first_treatment"].value == "No"
