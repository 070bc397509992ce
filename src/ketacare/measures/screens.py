"""Which C-SSRS screen answers a risk answer that asked for one (PHQ-9 item 9 or QIDS-SR16
item 12 above 0 -> a C-SSRS screen the same day, before any dose; clinical.md §16a).

Times given on the staff forms are to the minute (a `datetime-local` field), while a risk
answer's flag is raised at the second it was recorded. Compared as instants, a C-SSRS given in
the minute of the PHQ-9, right after it, read as given *before* it and did not count. So the
order is: the minute the screen was given, then, within one minute, the order the two were
recorded in (recorded-at time, then primary key). A screen recorded before the risk answer
never counts, whatever time was typed for it: it could not have been done because of it.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from django.db.models import Q

from ketacare.clinical.scales.cssrs import CODE as CSSRS_CODE
from ketacare.measures.models import Assessment, AssessmentStatus


def to_minute(when: datetime) -> datetime:
    return when.replace(second=0, microsecond=0)


def screen_after(
    patient_id: UUID | str, answer: Assessment | None, raised_at: datetime
) -> Assessment | None:
    """The latest complete C-SSRS screen (not entered in error) of the patient given at or
    after the risk answer (to the minute) and recorded after it; None when there is none.

    `answer` is the assessment whose answer asked for the screen (the flag's assessment);
    `raised_at` is when its flag was raised, used when there is no assessment (a flag raised
    from a message, or one whose assessment is gone)."""
    screens = Assessment.objects.filter(
        patient_id=patient_id, scale_code=CSSRS_CODE, complete=True
    ).exclude(status=AssessmentStatus.ENTERED_IN_ERROR)
    if answer is not None:
        screens = screens.filter(administered_at__gte=to_minute(answer.administered_at)).filter(
            Q(recorded_at__gt=answer.recorded_at)
            | Q(recorded_at=answer.recorded_at, pk__gt=answer.pk)
        )
    else:
        screens = screens.filter(
            administered_at__gte=to_minute(raised_at), recorded_at__gte=raised_at
        )
    return screens.order_by("-administered_at", "-recorded_at", "-pk").first()


def answer_minute(answer: Assessment | None, raised_at: datetime) -> datetime:
    """The minute the risk answer was given: what a screen's time is compared with."""
    return to_minute(answer.administered_at if answer is not None else raised_at)
