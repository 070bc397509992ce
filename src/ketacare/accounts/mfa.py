"""Two-factor sign-in with TOTP authenticator apps (django-otp)."""

from __future__ import annotations

from typing import Any

import segno
from django_otp.plugins.otp_totp.models import TOTPDevice


def has_confirmed_device(user: Any) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def mfa_required_for(user: Any) -> bool:
    """Any clinic the user works in may make two-factor sign-in mandatory."""
    return user.memberships.filter(is_active=True, clinic__mfa_required=True).exists()


def pending_device(user: Any) -> TOTPDevice:
    """The unconfirmed device being set up, created on first visit to the setup page."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    return device


def qr_svg(device: TOTPDevice) -> str:
    return segno.make(device.config_url, error="m").svg_inline(scale=5)
