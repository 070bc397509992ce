"""Error pages a patient may meet mid-crisis: a stale form (CSRF) and a server error.

Django's own pages say "CSRF verification failed" or "Server Error (500)" and nothing else; a
patient whose help press met one did not know the care team was not told, nor whom to call.
"""

from __future__ import annotations

from typing import Any

from django.test import Client, RequestFactory

from ketacare import urls
from ketacare.core import views
from ketacare.safety.models import RiskFlag


def test_a_stale_help_press_on_the_portal_says_nobody_was_told_with_the_lines(
    portal: Any,
) -> None:
    c = portal.client(portal.a)
    c.handler.enforce_csrf_checks = True  # the page's token went stale (signed in elsewhere)
    refused = c.post("/portal/help/now/?page=/portal/")
    body = refused.content.decode()
    assert refused.status_code == 403
    assert "out of date, so nothing was sent" in body
    assert "they have not been told" in body
    assert 'data-testid="crisis"' in body and 'href="tel:988"' in body
    assert not RiskFlag.objects.exists()


def test_a_stale_staff_form_says_so_in_words_without_patient_lines(db: Any) -> None:
    c = Client(enforce_csrf_checks=True)
    refused = c.post("/accounts/login/", {"username": "x@example.test", "password": "y"})
    body = refused.content.decode()
    assert refused.status_code == 403
    assert "out of date, so nothing was sent" in body and "reload the page" in body
    assert 'data-testid="crisis"' not in body


def test_the_500_page_has_the_crisis_lines_and_reads_no_context(db: Any) -> None:
    assert urls.handler500 == "ketacare.core.views.server_error"
    page = views.server_error(RequestFactory().get("/r/some-token/help/"))
    body = page.content.decode()
    assert page.status_code == 500
    assert "may not have been told" in body
    assert 'href="tel:988"' in body and 'href="tel:911"' in body


def test_the_500_page_without_a_database_names_only_the_local_emergency_number(
    db: Any, monkeypatch: Any
) -> None:
    def broken() -> Any:
        raise RuntimeError("database unavailable")

    monkeypatch.setattr("ketacare.safety.resources.deployment_resources", broken)
    body = views.server_error(RequestFactory().get("/portal/")).content.decode()
    assert "local emergency number" in body
    assert "tel:988" not in body  # never a guess at a country's numbers
