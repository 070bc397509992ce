"""Review of issue #7 item 4: a prescriber clears a dosing block with a *documented* reason —
a word such as "ok" is refused, naming the field, and the block stays."""

from __future__ import annotations

from typing import Any

import pytest

from ketacare.accounts.audit import AuditEntry
from ketacare.safety.crisis_models import DosingBlock
from tests.safety.crisis_helpers import high_flag

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("reason", ["ok", ".", "cleared", "fine now"])
def test_a_token_reason_does_not_clear_a_dosing_block(
    world: Any, as_user: Any, reason: str
) -> None:
    high_flag(world.patient_a, world.nurse_a)
    block = DosingBlock.objects.get()
    url = f"/patients/{world.patient_a.pk}/crisis/blocks/{block.pk}/clear/"
    response = as_user(world.prescriber_a).post(url, {"reason": reason})
    assert response.status_code == 400
    assert 'data-field="reason"' in response.content.decode()
    block.refresh_from_db()
    assert block.cleared_at is None and block.clear_reason == ""
    assert not AuditEntry.objects.filter(action="safety.dosing.cleared").exists()


def test_a_documented_reason_clears_it(world: Any, as_user: Any) -> None:
    high_flag(world.patient_a, world.nurse_a)
    block = DosingBlock.objects.get()
    url = f"/patients/{world.patient_a.pk}/crisis/blocks/{block.pk}/clear/"
    reason = "Seen today: C-SSRS low, safety plan in place."
    assert as_user(world.prescriber_a).post(url, {"reason": reason}).status_code == 302
    block.refresh_from_db()
    assert block.cleared_by == world.prescriber_a and block.clear_reason == reason
