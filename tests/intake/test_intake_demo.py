"""The demo clinic's intake queue: a dozen open requests in different states."""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

from ketacare.intake.demo import load_requests
from ketacare.intake.models import NewsletterSubscriber


def test_demo_loads_a_dozen_open_requests_in_different_states(world: Any, as_user: Any) -> None:
    load_requests(world.clinic_a, random.Random(20261122))
    requests = world.clinic_a.consultation_requests.all()
    states = Counter(r.status for r in requests)
    assert states["new"] + states["contacted"] + states["evaluation_booked"] == 12
    assert min(states["new"], states["contacted"], states["evaluation_booked"]) >= 3
    assert states["not_a_fit"] == states["no_response"] == 1
    for request in requests.exclude(status="new"):
        assert request.attempts.exists() and request.status_changes.exists()
    assert NewsletterSubscriber.objects.filter(clinic=world.clinic_a).count() == 5
    body = as_user(world.intake_a).get("/intake/").content.decode()
    assert body.count('data-testid="request-link"') == 12
