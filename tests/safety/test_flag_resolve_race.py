"""Two clinicians resolve the same flag at the same moment: one resolution, and the other is
told who resolved it (PostgreSQL only: real concurrent transactions).

The interleaving is forced: a third connection holds the flag row while both resolutions
queue behind it, then lets go.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import AuditEntry
from ketacare.safety.escalation import do_acknowledge
from ketacare.safety.models import FlagStatus, RiskFlag
from ketacare.safety.resolve import do_resolve_flag
from tests.safety.crisis_helpers import actor
from tests.safety.helpers import raise_flag
from tests.treatments.test_race_alert_watchers import holding_row, in_thread

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real concurrent writers"),
]


def test_two_clinicians_resolving_at_once_make_one_resolution(world: Any) -> None:
    flag = raise_flag(world.patient_a, level="moderate")
    do_acknowledge(actor(world.nurse_a), world.nurse_a, flag, "called_patient", "Spoke at 9.")
    # Both read the flag as acknowledged (their pages were open) before either resolves.
    seen = [RiskFlag.objects.get(pk=flag.pk), RiskFlag.objects.get(pk=flag.pk)]
    errors: list[BaseException] = []
    with holding_row(RiskFlag, flag.pk) as queued:
        first = in_thread(
            lambda: do_resolve_flag(actor(world.prescriber_a), seen[0], "Screened: no risk."),
            errors,
        )
        queued(1)
        second = in_thread(
            lambda: do_resolve_flag(actor(world.therapist_a), seen[1], "Seen in session."),
            errors,
        )
        queued(2)
    first.join()
    second.join()
    assert len(errors) == 1 and isinstance(errors[0], ActionError), errors
    assert errors[0].field == "flag" and "already resolved by" in errors[0].message
    flag.refresh_from_db()
    assert flag.status == FlagStatus.RESOLVED
    winner = {world.prescriber_a.pk: "Screened: no risk.", world.therapist_a.pk: "Seen in session."}
    assert flag.resolution_note == winner[flag.resolved_by_id]
    assert flag.resolved_by is not None and flag.resolved_by.display_name in errors[0].message
    assert AuditEntry.objects.filter(action="safety.flag.resolved").count() == 1
