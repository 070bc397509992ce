"""Clearing a dosing block while its crisis record holds no clinician evaluation is allowed
(the issue asks for a documented reason), but the prescriber is told before they clear it,
on the crisis record and on the overview, and the audit entry of the clearing says whether
the record held an evaluation."""

from __future__ import annotations

from typing import Any

import pytest

from ketacare.accounts.audit import AuditEntry
from ketacare.safety.crisis_actions import do_clear_dosing_block, do_record_step
from ketacare.safety.crisis_models import CrisisRecord, DosingBlock
from ketacare.safety.dosing_block import unevaluated_block_ids
from tests.safety.crisis_helpers import actor, high_flag, steps_done_data

pytestmark = pytest.mark.django_db

WARNING = 'data-testid="block-unevaluated"'


def _pages(world: Any, as_user: Any, crisis: CrisisRecord) -> tuple[str, str]:
    client = as_user(world.prescriber_a)
    base = f"/patients/{world.patient_a.pk}/crisis/"
    overview = client.get(base).content.decode()
    record = client.get(f"{base}crisis/{crisis.pk}/").content.decode()
    return overview, record


def test_the_prescriber_is_told_no_evaluation_is_recorded(world: Any, as_user: Any) -> None:
    crisis = CrisisRecord.objects.get(flag=high_flag(world.patient_a))
    block = DosingBlock.objects.get()

    assert unevaluated_block_ids([block]) == {block.pk}
    overview, record = _pages(world, as_user, crisis)
    assert WARNING in overview and WARNING in record
    assert "No clinician evaluation is recorded in this crisis record yet." in record


def test_the_warning_goes_once_the_evaluation_is_recorded(world: Any, as_user: Any) -> None:
    crisis = CrisisRecord.objects.get(flag=high_flag(world.patient_a))
    block = DosingBlock.objects.get()

    evaluation = steps_done_data()["evaluation"]
    do_record_step(actor(world.prescriber_a), crisis, "evaluation", evaluation)

    assert unevaluated_block_ids([block]) == set()
    overview, record = _pages(world, as_user, crisis)
    assert WARNING not in overview and WARNING not in record


def test_the_audit_entry_of_the_clearing_says_whether_it_was_evaluated(world: Any) -> None:
    high_flag(world.patient_a)
    block = DosingBlock.objects.get()

    do_clear_dosing_block(actor(world.prescriber_a), block, "Seen in person, safe to dose.")

    entry = AuditEntry.objects.filter(action="safety.dosing.cleared").get()
    assert entry.detail["crisis_evaluated"] is False


def test_after_an_evaluation_the_entry_says_so(world: Any) -> None:
    crisis = CrisisRecord.objects.get(flag=high_flag(world.patient_a))
    do_record_step(actor(world.prescriber_a), crisis, "evaluation", steps_done_data()["evaluation"])

    do_clear_dosing_block(
        actor(world.prescriber_a), DosingBlock.objects.get(), "Evaluated, safe to dose now."
    )

    entry = AuditEntry.objects.filter(action="safety.dosing.cleared").get()
    assert entry.detail["crisis_evaluated"] is True


def test_a_cleared_block_shows_no_warning(world: Any, as_user: Any) -> None:
    crisis = CrisisRecord.objects.get(flag=high_flag(world.patient_a))
    do_clear_dosing_block(
        actor(world.prescriber_a), DosingBlock.objects.get(), "Seen in person, safe to dose."
    )

    overview, record = _pages(world, as_user, crisis)
    assert WARNING not in overview and WARNING not in record
