"""Review of the REMS Patient Monitoring Form (issue 6 item 9, clinical.md §6d): a typed blood
pressure stays as typed when the form is saved again."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from ketacare.treatments import rems_actions
from ketacare.treatments.models import RemsMonitoringForm
from tests.treatments.session_helpers import actor
from tests.treatments.test_rems_form import run_esketamine

pytestmark = pytest.mark.django_db


def test_saving_the_form_again_does_not_grow_the_typed_blood_pressure(
    world: Any, as_user: Any
) -> None:
    session = run_esketamine(world, bp_at_40=False)
    rems_actions.do_save_rems_entries(actor(world.nurse_a), session, {"bp_40": "144/90 at 10:41"})
    stored = RemsMonitoringForm.objects.get(session=session).entries["bp_40"]
    assert stored == "144/90 mmHg at 10:41"
    client = as_user(world.nurse_a)
    url = reverse("rems:form", args=[world.patient_a.pk, session.pk])
    for _ in range(2):  # the page shows the stored value; saving another field re-posts it
        form = client.get(url).context["entries_form"]
        data = {name: form[name].value() or "" for name in form.fields}
        data["serious_adverse_events"] = "None observed"
        response = client.post(reverse("rems:entries", args=[world.patient_a.pk, session.pk]), data)
        assert response.status_code == 302
    assert RemsMonitoringForm.objects.get(session=session).entries["bp_40"] == stored


def test_a_bp_typed_with_its_unit_is_stored_once_with_it(world: Any) -> None:
    session = run_esketamine(world, bp_at_40=False)
    rems_actions.do_save_rems_entries(actor(world.nurse_a), session, {"bp_40": "144/90mmHg"})
    assert RemsMonitoringForm.objects.get(session=session).entries["bp_40"] == "144/90 mmHg"
