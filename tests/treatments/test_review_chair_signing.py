"""Review of sign and lock (issue 6 item 8): the role a person signs as is theirs in the
session's clinic, read by the action, not taken from the caller."""

from __future__ import annotations

from typing import Any

import pytest

from ketacare.accounts.actions import ActionError
from ketacare.accounts.models import Role
from ketacare.treatments import signing
from ketacare.treatments.models_chair import SessionSignature
from tests.conftest import make_staff
from tests.treatments.session_helpers import actor
from tests.treatments.test_signing import _discharged

pytestmark = pytest.mark.django_db


def test_a_nurse_cannot_sign_as_the_prescriber(world: Any) -> None:
    session = _discharged(world)
    other_nurse = make_staff(world.clinic_a, Role.NURSE, "nurse2@a.test", "Nora Nurse")
    signing.do_sign(actor(other_nurse), session, "nurse")
    with pytest.raises(ActionError) as err:
        signing.do_sign(actor(world.nurse_a), session, "prescriber")
    assert err.value.field == "sign"
    session.refresh_from_db()
    assert session.locked_at is None
    assert not SessionSignature.objects.filter(session=session, role="prescriber").exists()


def test_a_prescriber_of_another_clinic_cannot_sign(world: Any) -> None:
    session = _discharged(world)
    signing.do_sign(actor(world.nurse_a), session, "nurse")
    with pytest.raises(ActionError):
        signing.do_sign(actor(world.clinician_b), session, "prescriber")
    session.refresh_from_db()
    assert session.locked_at is None


def test_the_clinic_s_nurse_and_prescriber_sign_and_lock(world: Any) -> None:
    session = _discharged(world)
    signing.do_sign(actor(world.nurse_a), session, "nurse")
    signing.do_sign(actor(world.prescriber_a), session, "prescriber")
    session.refresh_from_db()
    assert session.locked_at is not None
