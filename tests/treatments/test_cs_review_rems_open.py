"""Review of the REMS clinic list (issue 6 item 9, clinical.md §6d): a form is owed from the
first device; a session left open (never discharged) must not drop off the list of forms due
and overdue, since its 7 calendar days run all the same."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from ketacare.treatments import actions
from ketacare.treatments.models import SessionStatus
from ketacare.treatments.rems_form import clinic_rows
from tests.treatments.session_helpers import actor, dosed, ready_session

pytestmark = pytest.mark.django_db


def test_a_session_never_discharged_shows_due_then_overdue(world: Any, as_user: Any) -> None:
    session = dosed(
        world.nurse_a,
        ready_session(world.prescriber_a, world.nurse_a, world.patient_a, route="esketamine_nasal"),
    )
    actions.do_record_device(actor(world.nurse_a), session)
    session.refresh_from_db()
    assert session.status not in (SessionStatus.DISCHARGED, SessionStatus.TRANSFERRED)
    rows = clinic_rows(world.clinic_a)
    assert [(r.session.pk, r.status, r.closed) for r in rows] == [(session.pk, "due", False)]
    with time_machine.travel(timezone.now() + timedelta(days=10), tick=False):
        late = clinic_rows(world.clinic_a)
        assert [(r.session.pk, r.status) for r in late] == [(session.pk, "overdue")]
        body = as_user(world.nurse_a).get(reverse("rems_clinic:list")).content.decode()
    assert f'data-testid="rems-open-{session.pk}"' in body and "session not closed" in body
    assert clinic_rows(world.clinic_b) == []
