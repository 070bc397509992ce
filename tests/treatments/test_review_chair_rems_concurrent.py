"""Review of the REMS Patient Monitoring Form (issue 6 item 9, clinical.md §6d): two people
typing on the same form."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from ketacare.treatments import rems_actions
from ketacare.treatments.models import RemsMonitoringForm
from ketacare.treatments.rems_form import build_form
from tests.treatments.session_helpers import actor
from tests.treatments.test_rems_form import run_esketamine

pytestmark = pytest.mark.django_db


def test_a_second_nurse_saving_an_older_copy_of_the_form_keeps_the_first_nurses_entry(
    world: Any, as_user: Any
) -> None:
    session = run_esketamine(world, bp_at_40=False)
    url = reverse("rems:entries", args=[world.patient_a.pk, session.pk])
    form_url = reverse("rems:form", args=[world.patient_a.pk, session.pk])
    first, second = as_user(world.nurse_a), as_user(world.prescriber_a)
    # Both open the form: both fields blank.
    page = second.get(form_url)
    assert page.status_code == 200
    seen = {name: "" for name in page.context["entries_form"].fields if not name.endswith("__seen")}
    seen_hidden = {
        name: page.context["entries_form"][name].value() or ""
        for name in page.context["entries_form"].fields
        if name.endswith("__seen")
    }
    # The first types the serious adverse events and saves.
    assert first.get(form_url).status_code == 200
    saved = first.post(url, {"serious_adverse_events": "None observed"})
    assert saved.status_code == 302
    # The second, on the copy opened before, types only the 40-minute BP and saves.
    response = second.post(url, {**seen, **seen_hidden, "bp_40": "144/90 at 10:41"})
    assert response.status_code == 302
    record = RemsMonitoringForm.objects.get(session=session)
    assert record.entries.get("bp_40", "").startswith("144/90")
    assert record.entries.get("serious_adverse_events") == "None observed"


def test_both_changing_the_same_field_is_refused_naming_it(world: Any, as_user: Any) -> None:
    session = run_esketamine(world, bp_at_40=False)
    url = reverse("rems:entries", args=[world.patient_a.pk, session.pk])
    form_url = reverse("rems:form", args=[world.patient_a.pk, session.pk])
    first, second = as_user(world.nurse_a), as_user(world.prescriber_a)
    page = second.get(form_url)
    hidden = {
        name: page.context["entries_form"][name].value() or ""
        for name in page.context["entries_form"].fields
        if name.endswith("__seen")
    }
    assert first.post(url, {"serious_adverse_events": "None observed"}).status_code == 302
    response = second.post(url, {**hidden, "serious_adverse_events": "Vomited once"})
    assert response.status_code == 400
    assert "serious_adverse_events" in response.context["entries_form"].errors
    record = RemsMonitoringForm.objects.get(session=session)
    assert record.entries.get("serious_adverse_events") == "None observed"
    # The refusal shows what is stored now; saving that page again is the second's decision.
    form = response.context["entries_form"]
    again = {name: form[name].value() or "" for name in form.fields}
    assert again["serious_adverse_events__seen"] == "None observed"
    assert second.post(url, again).status_code == 302
    record.refresh_from_db()
    assert record.entries.get("serious_adverse_events") == "Vomited once"


def test_clearing_an_entry_on_a_current_copy_still_works(world: Any, as_user: Any) -> None:
    session = run_esketamine(world, bp_at_40=False)
    rems_actions.do_save_rems_entries(
        actor(world.nurse_a), session, {"serious_adverse_events": "None observed"}
    )
    client = as_user(world.nurse_a)
    page = client.get(reverse("rems:form", args=[world.patient_a.pk, session.pk]))
    form = page.context["entries_form"]
    data = {name: form[name].value() or "" for name in form.fields}
    data["serious_adverse_events"] = ""
    response = client.post(reverse("rems:entries", args=[world.patient_a.pk, session.pk]), data)
    assert response.status_code == 302
    assert build_form(session).by_code()["serious_adverse_events"].value is None
