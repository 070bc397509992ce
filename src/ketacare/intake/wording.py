"""The exact consent wording a visitor agreed to, by version. Pure data.

A stored request or consent event keeps only the version; the text lives here so staff (and
an auditor) can read what a version said. Never edit a published version's text: add a new
version, point CURRENT_* at it, and keep the old one.
"""

from __future__ import annotations

CONTACT_CONSENT: dict[str, str] = {
    "contact-2026-01": (
        "I agree that {clinic} may contact me about this request by the phone number or "
        "email address I gave, using the method I chose."
    ),
}
CURRENT_CONTACT_CONSENT = "contact-2026-01"

NEWSLETTER_CONSENT: dict[str, str] = {
    "newsletter-2026-01": (
        "Also send me the {clinic} newsletter by email. I will get an email to confirm first, "
        "and every newsletter has a one-click unsubscribe link."
    ),
}
CURRENT_NEWSLETTER_CONSENT = "newsletter-2026-01"


def contact_consent_text(clinic_name: str, version: str = CURRENT_CONTACT_CONSENT) -> str:
    return CONTACT_CONSENT.get(version, "").format(clinic=clinic_name)


def newsletter_consent_text(clinic_name: str, version: str = CURRENT_NEWSLETTER_CONSENT) -> str:
    return NEWSLETTER_CONSENT.get(version, "").format(clinic=clinic_name)
