"""Review of the REMS Patient Monitoring Form (issue 6 item 9, clinical.md §6d): a minutes field
typed with odd digits."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from ketacare.accounts.actions import ActionError
from ketacare.treatments import actions, rems_actions
from ketacare.treatments.rems_form import build_form
from tests.treatments.session_helpers import actor, dosed, ready_session
from tests.treatments.test_rems_form import run_esketamine

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("typed", ["²", "1e3", "-5", "12.5"])
def test_odd_digits_in_a_minutes_field_are_refused_naming_the_field(world: Any, typed: str) -> None:
    session = run_esketamine(world)
    with pytest.raises(ActionError) as err:
        rems_actions.do_save_rems_entries(actor(world.nurse_a), session, {"ready_minutes": typed})
    assert err.value.field == "ready_minutes"


def test_superscript_minutes_posted_on_the_page_is_a_400_not_a_500(
    world: Any, as_user: Any
) -> None:
    session = ready_session(
        world.prescriber_a, world.nurse_a, world.patient_a, route="esketamine_nasal"
    )
    session = dosed(world.nurse_a, session)
    actions.do_record_device(actor(world.nurse_a), session)
    # Still running: the total minutes are not in the record yet, so the field is typed.
    assert build_form(session).by_code()["total_minutes"].editable
    client = as_user(world.nurse_a)
    url = reverse("rems:entries", args=[world.patient_a.pk, session.pk])
    response = client.post(url, {"total_minutes": "²"})
    assert response.status_code == 400
    assert "total_minutes" in response.context["entries_form"].errors
