"""A refused entry re-renders the patient's session page (or REMS form): that read is audited
like any other view of it."""

from __future__ import annotations

from typing import Any

import pytest

from ketacare.accounts.audit import AuditEntry
from tests.treatments.session_helpers import dosed, ready_session
from tests.treatments.test_rems_form import run_esketamine

pytestmark = pytest.mark.django_db


def _views(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).order_by("seq"))


def test_refused_vitals_re_render_is_audited(world: Any, as_user: Any) -> None:
    session = dosed(
        world.nurse_a, ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    )
    url = f"/patients/{world.patient_a.pk}/sessions/{session.pk}/vitals/"
    response = as_user(world.nurse_a).post(url, {"spo2_pct": "140"})
    assert response.status_code == 400
    [entry] = _views("treatments.session.viewed")
    assert entry.patient_id == str(world.patient_a.pk) and entry.detail["status"] == 400


def test_refused_rems_entry_re_render_is_audited(world: Any, as_user: Any) -> None:
    session = run_esketamine(world, bp_at_40=False)
    url = f"/patients/{world.patient_a.pk}/sessions/{session.pk}/rems/entries/"
    response = as_user(world.nurse_a).post(url, {"bp_40": "not a bp"})
    assert response.status_code == 400, response.status_code
    [entry] = _views("treatments.rems_form.viewed")
    assert entry.detail["shown_after"] == "refused input"
