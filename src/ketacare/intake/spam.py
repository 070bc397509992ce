"""Spam protection for the public form, with no third-party service.

- A honeypot field (`HONEYPOT_FIELD`) that people never see (hidden by a CSS class, and
  marked `aria-hidden`/`tabindex=-1`/`autocomplete=off`) but form-filling robots do fill.
- Per-address rate limits in the cache: `KETACARE_CONSULTATION_RATE_LIMIT` accepted
  submissions per hour, and `ATTEMPT_FACTOR` times that many posts of any kind (so a robot
  cannot hammer the validator either).
- The dedupe key (actions.py): the same contact on the same day is stored once.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from ketacare.accounts.audit import client_ip

HONEYPOT_FIELD = "website"
WINDOW_SECONDS = 60 * 60
# Posts of any kind (including ones with mistakes) allowed per accepted submission.
ATTEMPT_FACTOR = 6
# Unusable newsletter tokens per address per window before every token answers 429.
TOKEN_GUESS_LIMIT = 30


def coarse_network(ip: str) -> str:
    """The /24 (IPv4) or /48 (IPv6) an address belongs to; '' when it is not an address."""
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return ""
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def submit_limit() -> int:
    return max(1, int(getattr(settings, "KETACARE_CONSULTATION_RATE_LIMIT", 5)))


def _key(kind: str, request: HttpRequest) -> str:
    return f"intake:{kind}:{client_ip(request) or 'unknown'}"


def _count(kind: str, request: HttpRequest) -> int:
    return int(cache.get(_key(kind, request), 0))


def _bump(kind: str, request: HttpRequest) -> None:
    key = _key(kind, request)
    if not cache.add(key, 1, WINDOW_SECONDS):
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, WINDOW_SECONDS)


def over_attempt_limit(request: HttpRequest) -> bool:
    return _count("attempts", request) >= submit_limit() * ATTEMPT_FACTOR


def over_submit_limit(request: HttpRequest) -> bool:
    return _count("submissions", request) >= submit_limit()


def count_attempt(request: HttpRequest) -> None:
    _bump("attempts", request)


def count_submission(request: HttpRequest) -> None:
    _bump("submissions", request)


def over_token_guess_limit(request: HttpRequest) -> bool:
    return _count("token-guesses", request) >= TOKEN_GUESS_LIMIT


def count_token_guess(request: HttpRequest) -> None:
    _bump("token-guesses", request)
