"""The day view by chair: 12 chairs, 60 appointments that day, in a clinic with 30,000.

Run: .venv/bin/python bench/schedule_day_view.py [--db sqlite|postgres] [--requests N]
Target (issue 5): p95 < 50 ms.

Uses the data of `scheduling_series.py` (same database, created or topped up the same way):
one day with exactly 60 appointments on 12 chairs. Each sample is `GET /schedule/day/<day>/`
through Django's full request stack in-process (middleware, session, the audit entry the
page writes), signed in as the bench nurse; the response is checked (200 and 60 blocks), so
a redirect to the login page cannot pass for a fast page. The query count is printed too:
it does not depend on the number of appointments (tests/scheduling/test_schedule_pages.py).
"""

from __future__ import annotations

import argparse
import time

import scheduling_series as data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    data.configure(args.db)
    data.prepare()
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from ketacare.accounts.models import User

    data.seed()
    day = data.day_view_day()
    url = f"/schedule/day/{day.isoformat()}/"
    client = Client()
    client.force_login(User.objects.get(email="nurse@bench.demo"))
    for _ in range(10):
        client.get(url)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(url)
    blocks = page.content.decode().count('data-testid="appointment-block"')
    assert page.status_code == 200 and blocks == 60, (page.status_code, blocks)
    print(
        f"== {args.db}: day view {day}, 12 chairs, {blocks} appointments, {len(queries)} queries =="
    )
    timings = []
    for _ in range(args.requests):
        began = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200
    data.report("day view (12 chairs, 60 appointments)", timings, 50)


if __name__ == "__main__":
    main()
