"""Crisis resources per clinic and country: what a patient sees the moment they record a risk
answer or ask for help (issue #7 item 2).

US clinics get the built-in lines of `crisis.py` (988 call/text, 911; clinical.md §16d, S52)
followed by the clinic's own extra lines; a clinic elsewhere shows only the lines it entered
(the US numbers would be wrong there), after a generic "local emergency number" line. The
clinic's own crisis number (else its main number) and hours come last.

Every patient-facing surface takes them from here: `crisis_context` for pages (the /r/ link
pages, the portal's bar, panel and help page, the safety plan on /sp/, in the portal and in
print) and `crisis_text` for messages (the questionnaire-link email).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ketacare.accounts.models import Clinic
from ketacare.safety.crisis import CRISIS_LINES, DEFAULT_CLINIC_HOURS, EMERGENCY, CrisisLine

LOCAL_EMERGENCY = CrisisLine(
    name="Emergency services",
    action="Call your local emergency number if you are in immediate danger.",
)


@dataclass(frozen=True)
class CrisisResources:
    lines: tuple[CrisisLine, ...]
    clinic_name: str
    clinic_phone: str
    clinic_tel: str
    hours: str
    # The line for immediate danger: 911 in the US, "your local emergency number" elsewhere.
    emergency: CrisisLine = EMERGENCY


def tel(phone: str) -> str:
    return re.sub(r"[^0-9+]", "", phone)


_TEXT_ONLY = re.compile(r"\s*text\b", re.IGNORECASE)  # "Text SHOUT to 85258"
_CALL_OR_TEXT = re.compile(r"\b(call or text|text or call)\b", re.IGNORECASE)
_TEXT_BODY = re.compile(r"^\s*text\s+([A-Za-z0-9]+)\s+to\b", re.IGNORECASE)


def _extra_line(name: str, phone: str, said: str) -> CrisisLine:
    """The buttons follow the clinic's own words: "Text …" is a text-only line (a Call button
    would fail: UK's Shout), "Call or text …" gets both, anything else is called."""
    both = bool(_CALL_OR_TEXT.search(said))
    text_only = bool(_TEXT_ONLY.match(said)) and not both and "call" not in said.lower()
    body = _TEXT_BODY.match(said) if text_only else None
    return CrisisLine(
        name=name[:100],
        action=said[:200] or f"Call {phone}.",
        tel="" if text_only else tel(phone),
        sms=tel(phone) if text_only or both else "",
        sms_body=body.group(1) if body else "",
        source="clinic setting",
    )


def parse_extra_lines(text: str) -> list[CrisisLine]:
    """'name | number | what to say' per line. ValueError names the line at fault."""
    lines = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        parts = [p.strip() for p in raw.split("|")]
        if len(parts) < 2 or not parts[0] or not tel(parts[1]):
            raise ValueError(
                f"Line {number}: write it as 'name | phone number | what to say (optional)'."
            )
        lines.append(_extra_line(parts[0], parts[1], parts[2] if len(parts) > 2 else ""))
    return lines


def resources_for(clinic: Clinic | None) -> CrisisResources:
    if clinic is None:
        return deployment_resources()
    from ketacare.safety.rota import settings_for

    saved = settings_for(clinic)
    try:
        extra = tuple(parse_extra_lines(saved.extra_lines))
    except ValueError:  # the settings form refuses this; never hide the built-in lines
        extra = ()
    us = saved.country.upper() == "US"
    lines = CRISIS_LINES + extra if us else (LOCAL_EMERGENCY, *extra)
    phone = saved.crisis_phone or clinic.phone
    return CrisisResources(
        lines=lines,
        clinic_name=clinic.name,
        clinic_phone=phone,
        clinic_tel=tel(phone),
        hours=saved.hours or DEFAULT_CLINIC_HOURS,
        emergency=EMERGENCY if us else LOCAL_EMERGENCY,
    )


def crisis_context(clinic: Clinic | None) -> dict[str, Any]:
    """Template context for `safety/_crisis_resources.html` (self-report pages, the portal)."""
    found = resources_for(clinic)
    return {
        "crisis_lines": found.lines,
        "clinic_phone": found.clinic_phone,
        "clinic_tel": found.clinic_tel,
        "clinic_hours": found.hours,
        "crisis_emergency": found.emergency,
        # Ends "If you are in danger, …": "call 911" in the US.
        "crisis_emergency_words": (
            f"call {found.emergency.tel}"
            if found.emergency.tel
            else "call your local emergency number"
        ),
    }


def country_context(clinic: Clinic | None) -> dict[str, Any]:
    """The crisis lines of the clinic's country without the clinic's own name or number, for a
    page that must not confirm whose link it was (a revoked link)."""
    return {**crisis_context(clinic), "clinic_phone": "", "clinic_tel": ""}


def crisis_text(clinic: Clinic | None) -> list[str]:
    """The same resources as plain-text lines, for emails."""
    found = resources_for(clinic)
    lines = []
    for line in found.lines:
        text = f"- {line.name}: {line.action}"
        if line.tel and line.tel not in tel(line.action):  # "Call any time" needs the number
            text += f" ({line.tel})"
        lines.append(f"{text} {line.note}" if line.note else text)
    if found.clinic_phone:
        lines.append(f"- {found.clinic_name}, your care team: {found.clinic_phone} ({found.hours})")
    return lines


def crisis_sms(clinic: Clinic | None) -> str:
    """One short sentence for a text message: the country's crisis and emergency numbers (US:
    988 and 911), or elsewhere the clinic's first extra line and the local emergency number."""
    found = resources_for(clinic)
    if found.emergency.tel:  # the US lines
        return "Crisis: call or text 988; emergency 911."
    others = [line for line in found.lines if line.tel and line != found.emergency]
    first = f"{others[0].name} {others[0].tel}; " if others else ""
    return f"Crisis: {first}emergency: your local emergency number."


def deployment_resources() -> CrisisResources:
    """The lines for a page that knows no clinic (the portal's sign-in, an unknown link): what
    is right for every clinic of this installation, never another country's numbers.

    - every clinic in the US (or no clinic yet): the US lines;
    - every clinic in one other country: "local emergency number" and the extra lines that
      all of them list (a national line such as Samaritans);
    - clinics in several countries: "local emergency number" only.
    No clinic's own number: the page does not know whose patient is reading."""
    from ketacare.safety.escalation_models import SafetySettings

    clinics = Clinic.objects.count()
    saved = list(SafetySettings.objects.values_list("country", "extra_lines"))
    countries = {country.upper() for country, _ in saved}
    if len(saved) < clinics:  # a clinic without saved settings is on the US default
        countries.add("US")
    if countries <= {"US"}:
        return CrisisResources(CRISIS_LINES, "", "", "", DEFAULT_CLINIC_HOURS)
    shared: tuple[CrisisLine, ...] = ()
    if len(countries) == 1:
        per_clinic = []
        for _, text in saved:
            try:
                per_clinic.append({(line.name, line.tel): line for line in parse_extra_lines(text)})
            except ValueError:  # the settings form refuses this; such a clinic shares nothing
                per_clinic.append({})
        common = set.intersection(*(set(lines) for lines in per_clinic))
        shared = tuple(line for key, line in per_clinic[0].items() if key in common)
    return CrisisResources(
        lines=(LOCAL_EMERGENCY, *shared),
        clinic_name="",
        clinic_phone="",
        clinic_tel="",
        hours=DEFAULT_CLINIC_HOURS,
        emergency=LOCAL_EMERGENCY,
    )
