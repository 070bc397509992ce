"""What was added to or corrected in a session's record after a moment: a reading or a
correction, a side effect, a controlled-substance log entry, an alert raised or acknowledged.

Used where a decision was taken on the record as a page showed it: a signature (`signing`),
a prescriber's decision on a pre-dose hold and a discharge override (`actions`). When the
record changed after the page was opened, the decision is asked again on what stands now.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from ketacare.treatments.models import TreatmentSession
from ketacare.treatments.models_chair import SideEffect
from ketacare.treatments.models_substances import SubstanceEntry


def changes_since(session: TreatmentSession, moment: datetime) -> list[str]:
    """What was added to or corrected in the session's record after `moment`."""
    found = []
    if session.readings.filter(recorded_at__gt=moment).exists():
        found.append("a vital-sign reading or a correction")
    if SideEffect.objects.filter(
        Q(recorded_at__gt=moment) | Q(entered_in_error_at__gt=moment), session=session
    ).exists():
        found.append("a side effect")
    if SubstanceEntry.objects.filter(session=session, recorded_at__gt=moment).exists():
        found.append("a controlled-substance log entry")
    if session.alerts.filter(Q(raised_at__gt=moment) | Q(acknowledged_at__gt=moment)).exists():
        found.append("an alert or its acknowledgement")
    return found


# A page is decided on within hours of being shown; a `seen_at` outside this window was not
# written by our page (and a year-1 or year-9999 time cannot even be compared in UTC).
SEEN_WINDOW = timedelta(days=2)


def parse_seen(text: object) -> datetime | None:
    """The moment a page was shown (its hidden `seen_at`), or None when the form carries none.
    A value that is not a recent time with its zone is refused: our page did not write it."""
    if text in (None, ""):
        return None
    now = timezone.now()
    try:
        moment: datetime | None = datetime.fromisoformat(str(text)[:40])
        if moment is not None and (
            moment.tzinfo is None or abs(moment.astimezone(UTC) - now) > SEEN_WINDOW
        ):
            moment = None
    except (ValueError, OverflowError):
        moment = None
    if moment is None:
        from ketacare.accounts.actions import ActionError

        raise ActionError("seen_at", "This form is out of date: reload the page and try again.")
    return moment
