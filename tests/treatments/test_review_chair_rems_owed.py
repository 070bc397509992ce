"""Review of the REMS Patient Monitoring Form (issue 6 item 9, clinical.md §6d): which sessions
owe a form."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from ketacare.treatments import actions
from ketacare.treatments.models import SessionStatus
from ketacare.treatments.rems_form import clinic_rows, is_rems_session
from tests.treatments.session_helpers import actor, dosed, ready_session

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
