"""Crisis resources shown to patients: the one place the numbers live.

Pure data, no Django. Every patient-facing page that can record a risk answer (and the
"I need help now" page) shows these, plus the clinic's own phone number and hours.

Source: shared/reference/clinical.md §16d (S52): the 988 Suicide & Crisis Lifeline (call or
text 988, 24/7, live since 16 July 2022; veterans press 1, Veterans Crisis Line text 838255;
Spanish option) and 911 for imminent danger. The Crisis Text Line (text HOME to 741741) is
[PRACTICE; weak source] there, so it is listed as an extra, not as the first call to action.
US numbers only: a clinic elsewhere needs its own list before patients use self-report links.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote


@dataclass(frozen=True)
class CrisisLine:
    """One way to reach help now. `tel`/`sms` are what phone links dial or text."""

    name: str
    action: str
    tel: str = ""
    sms: str = ""
    note: str = ""
    source: str = ""
    sms_body: str = ""  # the text a line asks for ("HOME"), filled into the message

    @property
    def sms_href(self) -> str:
        """The sms: link; with a body in the "?&body=" form both iOS and Android read."""
        if not self.sms:
            return ""
        return f"sms:{self.sms}" + (f"?&body={quote(self.sms_body)}" if self.sms_body else "")


EMERGENCY = CrisisLine(
    name="Emergency services",
    action="Call 911 if you are in immediate danger or might act on thoughts of harming yourself.",
    tel="911",
    source="clinical.md §16d: imminent danger → 911",
)

LIFELINE = CrisisLine(
    name="988 Suicide & Crisis Lifeline",
    action="Call or text 988, any time, day or night.",
    tel="988",
    sms="988",
    note="Veterans: press 1 after dialling, or text 838255. Spanish is available.",
    source="clinical.md §16d (S52): call or text 988, 24/7; veterans press 1",
)

CRISIS_TEXT_LINE = CrisisLine(
    name="Crisis Text Line",
    action="Text HOME to 741741.",
    sms="741741",
    sms_body="HOME",
    source="clinical.md §16d: [PRACTICE; weak source]",
)

# In the order a patient should see them: immediate danger first, then the Lifeline.
CRISIS_LINES: tuple[CrisisLine, ...] = (EMERGENCY, LIFELINE, CRISIS_TEXT_LINE)

# Shown when the clinic has not entered its hours (Clinic has a phone field, no hours yet).
DEFAULT_CLINIC_HOURS = "during office hours"
