"""Headers and logging that protect patient data in the browser and on the wire."""

from __future__ import annotations

import logging
from typing import Any


def test_pages_carry_a_strict_content_security_policy(world: Any, as_user: Any) -> None:
    response = as_user(world.nurse_a).get(f"/patients/{world.patient_a.pk}/")
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cache-Control"] == "no-store"


def test_session_and_csrf_cookies_are_http_only_and_same_site(world: Any, client: Any) -> None:
    from tests.conftest import PASSWORD

    response = client.post("/accounts/login/", {"username": "nurse@a.test", "password": PASSWORD})
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"


def test_https_mode_sets_secure_cookies_and_hsts(settings: Any) -> None:
    import importlib
    import os

    import ketacare.settings as module

    os.environ["KETACARE_HTTPS"] = "true"
    try:
        reloaded = importlib.reload(module)
        assert reloaded.SESSION_COOKIE_SECURE and reloaded.CSRF_COOKIE_SECURE
        assert reloaded.SECURE_HSTS_SECONDS >= 31536000 and reloaded.SECURE_SSL_REDIRECT
    finally:
        del os.environ["KETACARE_HTTPS"]
        importlib.reload(module)


def test_error_logs_name_the_path_but_never_the_query(
    world: Any, as_user: Any, caplog: Any
) -> None:
    with caplog.at_level(logging.WARNING, logger="django.request"):
        as_user(world.clinician_b).get(f"/patients/{world.patient_a.pk}/?name=Lovelace")
    assert "Lovelace" not in caplog.text


def test_health_check_answers_without_sign_in(db: Any, client: Any) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
