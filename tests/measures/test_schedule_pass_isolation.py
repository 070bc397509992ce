"""One failing step of the schedule pass no longer ends the pass.

An exception from one clinic's due items (or a reminder, a review) used to end the whole run:
every other clinic's links, the appointment reminders, plan reviews and aftercare follow-ups
of the installation waited for a pass where nothing failed.
"""

from __future__ import annotations

import logging
from typing import Any

from ketacare.measures import tasks


def test_a_failing_clinic_step_is_logged_and_the_rest_still_runs(
    world: Any, monkeypatch: Any, caplog: Any
) -> None:
    real = tasks.generate_due_items
    ran: list[str] = []

    def generate(clinic: Any, today: Any) -> Any:
        if clinic == world.clinic_a:
            raise RuntimeError("a bad schedule rule")
        return real(clinic, today)

    def step(name: str) -> Any:
        def run(now: Any) -> dict[str, int]:
            ran.append(name)
            return {}

        return run

    monkeypatch.setattr(tasks, "generate_due_items", generate)
    monkeypatch.setattr("ketacare.scheduling.reminders.send_appointment_reminders", step("r"))
    monkeypatch.setattr("ketacare.plans.reviews.detect_plan_reviews", step("p"))
    monkeypatch.setattr("ketacare.aftercare.followup.detect_followup", step("f"))
    with caplog.at_level(logging.ERROR, logger="ketacare.schedule"):
        totals = tasks.schedule_pass()
    assert totals["failed_steps"] == 1
    assert ran == ["r", "p", "f"]
    assert f"due items of clinic {world.clinic_a.pk} failed" in caplog.text


def test_a_failing_later_step_does_not_stop_the_ones_after_it(db: Any, monkeypatch: Any) -> None:
    ran: list[str] = []

    def broken(now: Any) -> dict[str, int]:
        raise RuntimeError("reminder template missing")

    def reviews(now: Any) -> dict[str, int]:
        ran.append("reviews")
        return {"plan_reviews": 2}

    monkeypatch.setattr("ketacare.scheduling.reminders.send_appointment_reminders", broken)
    monkeypatch.setattr("ketacare.plans.reviews.detect_plan_reviews", reviews)
    totals = tasks.schedule_pass()
    assert ran == ["reviews"] and totals["plan_reviews"] == 2 and totals["failed_steps"] == 1
