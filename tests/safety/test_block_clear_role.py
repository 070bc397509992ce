"""Clearing a crisis dosing block: the role comes from the membership, not the caller."""

from __future__ import annotations

from typing import Any

import pytest

from ketacare.accounts.actions import ActionError
from ketacare.safety.crisis_models import CrisisRecord
from tests.safety.crisis_helpers import actor, high_flag

pytestmark = pytest.mark.django_db


def _crisis(world: Any) -> CrisisRecord:
    return CrisisRecord.objects.get(flag=high_flag(world.patient_a, world.nurse_a))


def test_a_block_is_cleared_only_by_a_prescriber_of_the_patients_clinic(world: Any) -> None:
    """The role is read from the membership: a nurse claiming to be a prescriber, or a prescriber
    of another clinic, is refused and the block stands."""
    from ketacare.accounts.audit import Actor
    from ketacare.safety.crisis_actions import do_clear_dosing_block
    from ketacare.safety.crisis_models import DosingBlock

    _crisis(world)
    block = DosingBlock.objects.get(patient=world.patient_a)
    reason = "Evaluated today; risk now low, plan in place"
    pretending = Actor(user_id=world.nurse_a.pk, label="n", role="prescriber")
    other_clinic = Actor(user_id=world.clinician_b.pk, label="b", role="prescriber")
    for who in (pretending, other_clinic):
        with pytest.raises(ActionError) as err:
            do_clear_dosing_block(who, block, reason)
        assert err.value.field == "reason"
    block.refresh_from_db()
    assert block.cleared_at is None
    cleared = do_clear_dosing_block(actor(world.prescriber_a), block, reason)
    assert cleared.cleared_at is not None
