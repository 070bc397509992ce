"""Addenda and the REMS form check the person's membership in the action itself (the pages
check too): a therapist of the clinic, or staff of another clinic, is refused."""

from __future__ import annotations

from typing import Any

import pytest

from ketacare.accounts.actions import ActionError
from ketacare.treatments import rems_actions, signing
from ketacare.treatments.models import RemsMonitoringForm, SessionAddendum
from tests.treatments.session_helpers import actor
from tests.treatments.test_rems_form import run_esketamine

pytestmark = pytest.mark.django_db


def test_addenda_are_written_only_by_the_clinics_nurses_and_prescribers(world: Any) -> None:
    session = run_esketamine(world)
    for outsider in (world.therapist_a, world.clinician_b):
        with pytest.raises(ActionError) as err:
            signing.do_add_addendum(actor(outsider), session, "Called at 18:00: home, well.")
        assert err.value.field == "text"
    assert not SessionAddendum.objects.exists()
    signing.do_add_addendum(actor(world.nurse_a), session, "Called at 18:00: home, well.")
    assert SessionAddendum.objects.count() == 1


def test_the_rems_form_is_completed_only_by_the_clinics_chair_staff(world: Any) -> None:
    session = run_esketamine(world, bp_at_40=False)
    for outsider in (world.therapist_a, world.clinician_b):
        with pytest.raises(ActionError) as err:
            rems_actions.do_save_rems_entries(actor(outsider), session, {"bp_40": "140/90"})
        assert err.value.field == "entries"
        with pytest.raises(ActionError) as err:
            rems_actions.do_submit_rems_form(
                actor(outsider), session, submitted_on=None, method="online"
            )
        assert err.value.field == "submitted_on"
    assert not RemsMonitoringForm.objects.filter(session=session, submitted_at__isnull=False)
    saved = rems_actions.do_save_rems_entries(actor(world.nurse_a), session, {"bp_40": "140/90"})
    assert saved.entries.get("bp_40") == "140/90 mmHg"
