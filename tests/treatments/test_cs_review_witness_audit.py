"""Review of the controlled-substance log (issue 6 item 3): a witness's email and password
that do not confirm leave an audit trace (denied), though the entry itself is refused and its
transaction rolled back; a colleague's password cannot be tried here unseen."""

from __future__ import annotations

from typing import Any

import pytest

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import AuditEntry
from ketacare.treatments import substance_actions as sa
from ketacare.treatments.models_substances import SubstanceEntry
from tests.conftest import PASSWORD
from tests.treatments.session_helpers import actor, dosed, ready_session
from tests.treatments.substance_helpers import vial_lot

pytestmark = pytest.mark.django_db


def _refused() -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action="treatments.substances.witness_refused"))


def test_a_wrong_witness_password_is_refused_and_audited(world: Any, as_user: Any) -> None:
    lot = vial_lot(world.nurse_a, world.clinic_a)
    session = dosed(
        world.nurse_a, ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    )
    use = {"lot": lot.pk, "drawn_mg": "50", "given_mg": "35", "wasted_mg": "15"}
    with pytest.raises(ActionError) as err:
        sa.do_record_use(
            actor(world.nurse_a),
            session,
            use | {"witness_email": "prescriber@a.test", "witness_password": "guess-1"},
        )
    assert err.value.field == "witness_password"
    assert not SubstanceEntry.objects.exists()
    (entry,) = _refused()
    assert entry.outcome == "denied" and entry.actor_id == world.nurse_a.pk
    assert entry.patient_id == str(world.patient_a.pk)
    assert entry.detail["witness_email"] == "prescriber@a.test"
    # Through the stock page too (waste outside a session).
    page = as_user(world.nurse_a).post(
        "/chairs/substances/waste/",
        {
            "lot": lot.pk,
            "drawn_mg": "10",
            "note": "dropped",
            "witness_email": "prescriber@a.test",
            "witness_password": "guess-2",
        },
    )
    assert page.status_code == 400 and len(_refused()) == 2
    # A confirmed witness leaves no "refused" trace.
    sa.do_record_use(
        actor(world.nurse_a),
        session,
        use | {"witness_email": "prescriber@a.test", "witness_password": PASSWORD},
    )
    assert len(_refused()) == 2
