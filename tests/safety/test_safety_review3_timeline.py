"""Review 3 of the risk timeline: entries at the same instant in the order they happened, and
the chart saying when it shows only the newest entries, with the whole timeline a click away."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine

from ketacare.accounts.audit import AuditEntry
from ketacare.safety.templatetags import safety_timeline_tags
from ketacare.safety.timeline import risk_timeline
from tests.safety.helpers import make_prescriber_of, raise_flag, utc

pytestmark = pytest.mark.django_db

T0 = utc("2026-03-03 19:00:00+00:00")


@time_machine.travel(T0, tick=False)
def test_a_flag_and_what_it_set_off_at_the_same_instant_read_in_order(world: Any) -> None:
    make_prescriber_of(world.patient_a, world.prescriber_a)
    raise_flag(world.patient_a)  # high: opens a crisis record and blocks dosing, all at T0
    kinds = [e.kind for e in risk_timeline(world.patient_a)]  # newest first
    assert kinds == ["notified", "dosing", "crisis", "flag"]


def test_the_chart_says_when_it_shows_only_the_newest_entries(
    world: Any, as_user: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(safety_timeline_tags, "SHOWN_ON_CHART", 2)
    with time_machine.travel(T0, tick=False):
        raise_flag(world.patient_a, level="moderate", source="manual")
    with time_machine.travel(utc("2026-03-04 19:00:00+00:00"), tick=False):
        raise_flag(world.patient_a, level="low", source="manual")
    total = len(risk_timeline(world.patient_a))
    assert total > 2
    client = as_user(world.nurse_a)
    chart = client.get(f"/patients/{world.patient_a.pk}/").content.decode()
    assert 'data-testid="timeline-more"' in chart
    assert f"Showing the 2 most recent of {total} entries" in chart
    url = f"/patients/{world.patient_a.pk}/crisis/timeline/"
    assert url in chart
    page = client.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert body.count('class="tl-') == total and "Moderate risk flag raised" in body
    assert AuditEntry.objects.filter(action="safety.timeline.viewed").exists()


def test_the_whole_timeline_is_clinic_scoped(world: Any, as_user: Any) -> None:
    raise_flag(world.patient_a, level="moderate")
    r = as_user(world.clinician_b).get(f"/patients/{world.patient_a.pk}/crisis/timeline/")
    assert r.status_code == 404


# --- the clinic-wide list -----------------------------------------------------------------------


def test_acknowledged_but_unresolved_flags_stay_on_the_clinic_list(
    world: Any, as_user: Any
) -> None:
    """A director sees flags that left the banner but are not over: a high flag's crisis
    record still open, a moderate flag waiting for its C-SSRS screen."""
    from ketacare.safety.actions import do_raise_flag
    from ketacare.safety.crisis_models import CrisisRecord
    from tests.safety.helpers import SYSTEM

    high = raise_flag(world.patient_a, level="high")
    moderate = do_raise_flag(
        SYSTEM,
        world.patient_a,
        level="moderate",
        source="phq9_item9",
        reason="item 9 = 1",
        requires_cssrs=True,
    )
    prescriber = as_user(world.prescriber_a)
    for flag in (high, moderate):
        r = prescriber.post(
            f"/safety/flags/{flag.pk}/", {"action": "called_patient", "note": "Called, safe now."}
        )
        assert r.status_code == 302
    body = as_user(world.director_a).get("/safety/").content.decode()
    assert 'data-testid="no-open-flags"' in body  # nothing on the banner list
    table = body[body.index('data-testid="acknowledged-flags"') :]
    assert table.index("tag-high") < table.index("tag-moderate")
    crisis = CrisisRecord.objects.get(flag=high)
    assert f"/crisis/crisis/{crisis.pk}/" in table and "Close the crisis record" in table
    assert "C-SSRS screen needed" in table and "by Paula Prescriber" in table
    only_moderate = as_user(world.director_a).get("/safety/?level=moderate").content.decode()
    assert "tag-high" not in only_moderate[only_moderate.index("Acknowledged, not yet") :]
    # Clinic B sees none of it.
    other = as_user(world.clinician_b).get("/safety/").content.decode()
    assert 'data-testid="no-acknowledged-flags"' in other


def test_the_open_list_gives_the_next_escalations_date_not_only_its_hour(
    world: Any, as_user: Any
) -> None:
    """A low flag of Friday evening escalates on Monday at 09:00: "next 09:00" read as today."""
    friday_evening = utc("2026-03-06 22:00:00+00:00")  # Friday 17:00 in New York
    with time_machine.travel(friday_evening, tick=False):
        raise_flag(world.patient_a, level="low")
        body = as_user(world.nurse_a).get("/safety/").content.decode()
    assert "next Mon 2026-03-09 09:00" in body
