"""The patient's appointment page /a/<token>/ is a patient-facing page like /r/ and /sp/: it has
"I need help now" (a high flag for the token's patient, then crisis lines; an expired link still
reaches the care team, an unknown token never flags anyone), and risk words in a cancellation
reason raise a flag with the cancellation and open the next page with the crisis lines."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client

from ketacare.accounts.actions import ActionError
from ketacare.accounts.models import AuditEntry
from ketacare.safety.models import FlagSource, RiskFlag
from ketacare.scheduling import link_risk
from ketacare.scheduling.reminders import hash_token
from tests.reminders.reminder_helpers import START, appointment, plan_for

pytestmark = pytest.mark.django_db

TOKEN = "T" * 43
PAGE = f"/a/{TOKEN}/"
HELP = f"/a/{TOKEN}/help/"
BEFORE = START - timedelta(hours=30)
RISKY = "I want to kill myself, no point coming"


@pytest.fixture
def visit(world: Any) -> Any:
    world.clinic_a.phone = "555-010-9999"
    world.clinic_a.save()
    plan = plan_for(
        world.patient_a, world.prescriber_a, "esketamine_trd_us", "esketamine_nasal", "induction"
    )
    return appointment(world.patient_a, plan=plan, link_token_hash=hash_token(TOKEN))


@pytest.fixture(autouse=True)
def _before_the_visit() -> Any:
    with time_machine.travel(BEFORE, tick=False):
        yield


def _flags(world: Any) -> list[RiskFlag]:
    return list(RiskFlag.objects.filter(patient=world.patient_a).order_by("pk"))


# --- "I need help now" ------------------------------------------------------------------------


def test_the_page_has_the_help_button_posting_to_its_own_help_address(
    visit: Any, client: Client
) -> None:
    page = client.get(PAGE).content.decode()
    assert 'data-testid="help-now"' in page and 'data-testid="help-now-top"' in page
    assert f'action="{HELP}"' in page
    assert 'data-testid="crisis-clinic"' in page and "555-010-9999" in page


def test_pressing_help_flags_the_tokens_patient_and_shows_crisis_lines(
    visit: Any, world: Any
) -> None:
    strict = Client(enforce_csrf_checks=True)  # the token is the credential, as on /r/ and /sp/
    response = strict.post(HELP)
    assert response.status_code == 200
    text = response.content.decode()
    assert 'data-testid="help-page"' in text and 'href="tel:988"' in text
    assert 'data-testid="crisis-clinic"' in text and f'href="{PAGE}"' in text
    assert "Lovelace" not in text  # no patient name on a link page
    assert response["Cache-Control"] == "no-store"
    [flag] = _flags(world)
    assert flag.level == "high" and flag.source == FlagSource.PATIENT_REQUEST
    assert "appointment link" in flag.reason
    assert not RiskFlag.objects.exclude(patient=world.patient_a).exists()
    entry = AuditEntry.objects.get(action="safety.patient.help_requested")
    assert entry.patient_id == str(world.patient_a.pk) and entry.actor_id is None
    assert entry.actor_label == "patient (appointment link)"
    assert entry.detail["appointment"] == str(visit.pk) and entry.detail["raised"] is True


def test_a_second_press_joins_the_open_flag_and_a_get_raises_nothing(
    visit: Any, world: Any, client: Client
) -> None:
    client.post(HELP)
    with time_machine.travel(BEFORE + timedelta(minutes=2), tick=False):
        assert client.post(HELP).status_code == 200
    assert len(_flags(world)) == 1
    assert AuditEntry.objects.filter(action="safety.patient.help_requested").count() == 2
    reopened = client.get(HELP)
    assert reopened.status_code == 302 and reopened["Location"] == PAGE
    assert len(_flags(world)) == 1


def test_an_expired_link_still_reaches_the_care_team(
    visit: Any, world: Any, client: Client
) -> None:
    with time_machine.travel(START + timedelta(hours=1), tick=False):
        page = client.get(PAGE)
        assert page.status_code == 404
        assert 'data-testid="unavailable"' in page.content.decode()
        assert f'action="{HELP}"' in page.content.decode()  # the button is on that page too
        response = client.post(HELP)
    assert response.status_code == 200
    text = response.content.decode()
    assert 'data-testid="help-page"' in text and f'href="{PAGE}"' not in text  # no way back
    assert [f.level for f in _flags(world)] == ["high"]


def test_an_unknown_or_huge_token_flags_nobody_and_says_so(visit: Any, client: Client) -> None:
    for token in ("X" * 43, "nope", "Z" * 5000):
        response = client.post(f"/a/{token}/help/")
        assert response.status_code == 404
        text = response.content.decode()
        assert 'data-testid="help-not-sent"' in text and "988" in text
        assert 'data-testid="help-now"' not in text  # pressed: no second button
    assert not RiskFlag.objects.exists()


def test_a_busy_address_still_flags_a_real_token_and_answers_alike(
    visit: Any, world: Any, client: Client
) -> None:
    for n in range(30):
        client.get(f"/a/guess{n}/")
    guess = client.post("/a/" + "X" * 43 + "/help/")
    real = client.post(HELP)
    assert guess.status_code == real.status_code == 429
    assert 'data-testid="help-maybe-sent"' in real.content.decode()
    assert guess.content.decode().count("help-maybe-sent") == 1
    assert [f.patient_id for f in RiskFlag.objects.all()] == [world.patient_a.pk]
    # Risk words typed behind a busy address are read too (nothing is cancelled).
    assert client.post(PAGE, {"action": "cancel", "reason": RISKY}).status_code == 429
    assert "kill myself" in _flags(world)[-1].reason and len(_flags(world)) == 2
    visit.refresh_from_db()
    assert visit.status == "booked"


# --- the cancellation reason ------------------------------------------------------------------


def test_risk_words_in_the_reason_cancel_flag_and_show_crisis_lines(
    visit: Any, world: Any, client: Client
) -> None:
    response = client.post(PAGE, {"action": "cancel", "reason": RISKY})
    assert response.status_code == 302 and response["Location"] == PAGE
    visit.refresh_from_db()
    assert visit.status == "cancelled" and RISKY in visit.status_reason  # the cancel still holds
    [flag] = _flags(world)
    assert flag.level == "high" and flag.source == FlagSource.PATIENT_REQUEST
    assert "kill myself" in flag.reason and RISKY in flag.reason  # staff read the words
    entry = AuditEntry.objects.get(action="scheduling.appointment_link.risk_words")
    assert entry.detail == {"flag": flag.pk, "raised": True, "cancelled": True}
    assert RISKY not in str(entry.detail)  # the words are on the flag, not in the log
    page = client.get(PAGE).content.decode()
    assert 'data-testid="risk-told"' in page and 'data-testid="state-cancelled"' in page
    assert page.index('data-testid="crisis"') < page.index('data-testid="state-cancelled"')
    assert 'href="tel:988"' in page
    # Shown once; the crisis lines stay on the page as always.
    later = client.get(PAGE).content.decode()
    assert 'data-testid="risk-told"' not in later and 'data-testid="crisis"' in later


def test_posting_the_same_reason_twice_raises_one_flag(
    visit: Any, world: Any, client: Client
) -> None:
    client.post(PAGE, {"action": "cancel", "reason": RISKY})
    with time_machine.travel(BEFORE + timedelta(seconds=5), tick=False):
        assert client.post(PAGE, {"action": "cancel", "reason": RISKY}).status_code == 302
    assert len(_flags(world)) == 1
    # Different words on the cancelled appointment (a second tab) are not dropped.
    client.post(PAGE, {"action": "cancel", "reason": "I will overdose tonight"})
    assert len(_flags(world)) == 2 and "overdose tonight" in _flags(world)[1].reason


def test_a_reason_without_risk_words_or_no_reason_raises_nothing(
    visit: Any, client: Client
) -> None:
    assert (
        client.post(PAGE, {"action": "cancel", "reason": "Killer traffic, sorry"}).status_code
        == 302
    )
    visit.refresh_from_db()
    assert visit.status == "cancelled"
    assert 'data-testid="risk-told"' not in client.get(PAGE).content.decode()
    assert client.post(PAGE, {"action": "cancel", "reason": ""}).status_code == 302
    assert client.post(PAGE, {"action": "cancel"}).status_code == 302
    assert not RiskFlag.objects.exists()
    assert not AuditEntry.objects.filter(action="scheduling.appointment_link.risk_words").exists()


def test_a_too_long_reason_is_kept_to_shorten_and_its_risk_words_still_flag(
    visit: Any, world: Any, client: Client
) -> None:
    long = RISKY + " " + "x" * 600
    response = client.post(PAGE, {"action": "cancel", "reason": long})
    assert response.status_code == 400
    text = response.content.decode()
    assert "x" * 600 in text  # nothing typed is dropped
    assert 'data-testid="risk-told"' in text and 'href="tel:988"' in text
    visit.refresh_from_db()
    assert visit.status == "booked"  # refused: not cancelled
    [flag] = _flags(world)
    assert "kill myself" in flag.reason
    detail = AuditEntry.objects.get(action="scheduling.appointment_link.risk_words").detail
    assert detail["cancelled"] is False


def test_a_reason_with_a_nul_character_is_refused_without_an_error(
    visit: Any, world: Any, client: Client
) -> None:
    response = client.post(PAGE, {"action": "cancel", "reason": "kill myself\x00now"})
    assert response.status_code == 400
    visit.refresh_from_db()
    assert visit.status == "booked"
    assert "\x00" not in _flags(world)[0].reason


def test_risk_words_posted_to_an_expired_link_flag_the_patient_but_cancel_nothing(
    visit: Any, world: Any, client: Client
) -> None:
    with time_machine.travel(START + timedelta(minutes=5), tick=False):
        response = client.post(PAGE, {"action": "cancel", "reason": RISKY})
    assert response.status_code == 404  # the same page as for any refused token
    text = response.content.decode()
    assert 'data-testid="unavailable"' in text and "988" in text
    visit.refresh_from_db()
    assert visit.status == "booked"
    [flag] = _flags(world)
    assert "kill myself" in flag.reason


def test_risk_words_posted_to_an_unknown_token_flag_nobody(visit: Any, client: Client) -> None:
    response = client.post("/a/" + "X" * 43 + "/", {"action": "cancel", "reason": RISKY})
    assert response.status_code == 404
    assert not RiskFlag.objects.exists()


def test_the_flag_stands_when_the_cancellation_is_refused(visit: Any, world: Any) -> None:
    # The visit started between the page's check and the cancellation.
    later = time_machine.travel(START + timedelta(minutes=1), tick=False)
    with later, pytest.raises(ActionError) as refused:
        link_risk.do_cancel_by_link_scanned(visit, "203.0.113.9", RISKY)
    assert refused.value.field == "link"
    visit.refresh_from_db()
    assert visit.status == "booked"
    assert len(_flags(world)) == 1
