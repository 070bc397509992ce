"""The clinic's REMS forms list keeps each date, its days left or late, and the "Open form"
button on one line on a tablet (at 768 px they wrapped to "Tue 2026-11-" / "24")."""

from __future__ import annotations

from typing import Any

import pytest

from tests.treatments.test_rems_form import run_esketamine

pytestmark = pytest.mark.django_db


def test_rems_list_dates_and_button_do_not_wrap(world: Any, as_user: Any) -> None:
    session = run_esketamine(world)
    body = as_user(world.nurse_a).get("/rems-forms/").content.decode()
    row = body[body.index(f'data-testid="rems-row-{session.pk}"') :]
    row = row[: row.index("</tr>")]
    assert row.count('class="nowrap"') == 3  # treatment date, due date, days left
    assert '<a class="button nowrap"' in row
