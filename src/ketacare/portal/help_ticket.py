"""A help press that outlives the portal session.

Every portal page's "I need help now" form carries a signed ticket naming the patient's portal
account (`ticket_for`). A patient who left a page open past the idle sign-out (15 minutes) and
then presses the button is signed out by that very request; the press still raises the flag
from the ticket (`account_for_ticket`) instead of ending on the sign-in page, where a person in
crisis may give up. The ticket can do nothing else: it reads no record and shows no name.
"""

from __future__ import annotations

from datetime import timedelta

from django.core import signing

from ketacare.portal.models import PortalAccount

SALT = "ketacare.portal.help-ticket"
# A page left open overnight still reaches the care team; after that the patient signs in.
VALID_FOR = timedelta(hours=24)


def ticket_for(account: PortalAccount) -> str:
    return signing.dumps(account.pk, salt=SALT)


def account_for_ticket(value: str) -> PortalAccount | None:
    """The active portal account the ticket was made for, or None (unknown, forged, too old,
    or the account closed since)."""
    if not value or len(value) > 200:
        return None
    try:
        account_id = signing.loads(value, salt=SALT, max_age=VALID_FOR)
    except signing.BadSignature:  # SignatureExpired is one too
        return None
    return (
        PortalAccount.objects.select_related("patient", "patient__clinic", "user")
        .filter(pk=account_id, is_active=True, user__is_active=True)
        .first()
    )
