"""Audit every sign-in, sign-out and failed sign-in."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from ketacare.accounts.audit import Actor, Outcome, client_ip, record


@receiver(user_logged_in)
def audit_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    ip = client_ip(request) if request is not None else ""
    record(Actor(user_id=user.pk, label=user.email, ip=ip), "accounts.login.succeeded")


@receiver(user_logged_out)
def audit_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is None:
        return
    ip = client_ip(request) if request is not None else ""
    record(Actor(user_id=user.pk, label=user.email, ip=ip), "accounts.logout")


@receiver(user_login_failed)
def audit_login_failed(
    sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
) -> None:
    ip = client_ip(request) if request is not None else ""
    # The attempted name is recorded (to spot guessing); the password never is.
    attempted = str(credentials.get("username", ""))[:254]
    record(Actor(label=attempted, ip=ip), "accounts.login.failed", outcome=Outcome.FAILURE)
