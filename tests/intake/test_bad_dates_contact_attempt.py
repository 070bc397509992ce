"""A contact attempt dated before the request arrived (1900) or in the future is refused under
"When" in words, with what was typed kept and nothing stored. Days are the clinic's: a call at
23:00 on the clinic's evening before the request arrived is refused even where UTC calls it
the same day."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import time_machine

from tests.intake.intake_helpers import make_request

NOW = datetime(2026, 12, 2, 11, 0, tzinfo=UTC)  # 3 Dec 01:00 at a UTC+14 clinic


def _attempt(client: Any, consultation: Any, at: str) -> Any:
    return client.post(
        f"/intake/{consultation.pk}/attempts/",
        {"at": at, "channel": "phone", "outcome": "no_answer", "note": "left <b>voicemail</b>"},
    )


def test_an_attempt_before_the_request_or_in_the_future_is_refused(
    world: Any, as_user: Any
) -> None:
    world.clinic_a.time_zone = "Pacific/Kiritimati"
    world.clinic_a.save()
    client = as_user(world.intake_a)
    with time_machine.travel(NOW, tick=False):
        consultation = make_request(world.clinic_a)
        for typed, words in (
            ("1900-01-01T10:00", "cannot be before the request arrived (03 Dec 2026)"),
            ("2026-12-02T23:00", "cannot be before the request arrived (03 Dec 2026)"),
            ("2026-12-04T09:00", "A contact attempt cannot be in the future."),
        ):
            refused = _attempt(client, consultation, typed)
            html = refused.content.decode()
            assert refused.status_code == 400, typed
            assert words in html and 'data-field="at"' in html
            assert f'value="{typed}"' in html and "left &lt;b&gt;voicemail&lt;/b&gt;" in html
        assert not consultation.attempts.exists()
        assert _attempt(client, consultation, "2026-12-03T00:30").status_code == 302
    assert consultation.attempts.count() == 1
