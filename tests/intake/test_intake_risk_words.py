"""A consultation request whose words suggest suicide or self-harm (clinical.risk_words): the
person sees the crisis lines first, the request goes to the top of the queue with a warning,
and its page says what was found and what to do. Nothing of what they wrote is in a link."""

from __future__ import annotations

from typing import Any

from django.test import Client

from ketacare.accounts.audit import AuditEntry
from ketacare.intake.actions import do_set_status
from tests.intake.intake_helpers import STAFF, make_request, submit

RISKY = "Nothing has worked. Some days I think about killing myself."


def test_the_person_sees_the_crisis_lines_first(world: Any) -> None:
    response = submit(Client(), world.clinic_a, message=RISKY)
    assert response.status_code == 302
    assert response["Location"].endswith("/thanks/?help=1")
    assert "killing" not in response["Location"]
    page = Client().get(response["Location"]).content.decode()
    assert 'data-testid="help-first"' in page
    assert page.index('data-testid="help-first"') < page.index('data-testid="crisis"')
    assert "Please read this first" in page and "988" in page


def test_an_ordinary_request_gets_the_ordinary_thank_you(world: Any) -> None:
    response = submit(Client(), world.clinic_a, message="Four medications have not helped.")
    assert response["Location"].endswith("/thanks/")
    page = Client().get(response["Location"]).content.decode()
    assert 'data-testid="help-first"' not in page and "we received your request" in page


def test_the_words_are_stored_and_the_submission_audited(world: Any) -> None:
    risky = make_request(world.clinic_a, message=RISKY, other_text="")
    calm = make_request(world.clinic_a, email="calm@example.com", message="Pain for years.")
    assert risky.risk_phrases == ["killing myself"] and calm.risk_phrases == []
    # The "other" box counts too.
    other = make_request(
        world.clinic_a,
        email="other@example.com",
        help_with=["other"],
        other_text="I want to die",
    )
    assert other.risk_phrases == ["want to die"]
    entry = AuditEntry.objects.get(action="intake.request.submitted", object_id=str(risky.pk))
    assert entry.detail["risk_words"] is True


def test_risky_open_requests_come_first_with_a_warning(world: Any, as_user: Any) -> None:
    make_request(world.clinic_a, given_name="Zelda", email="a@example.com")
    make_request(world.clinic_a, given_name="Quentin", email="b@example.com")
    risky = make_request(world.clinic_a, given_name="Worried", email="c@example.com", message=RISKY)
    body = as_user(world.intake_a).get("/intake/").content.decode()
    assert body.index("Worried") < body.index("Zelda") < body.index("Quentin")
    assert body.count('data-testid="risk-words"') == 1
    assert "Possible suicide or self-harm risk: contact today" in body
    # Once closed it is no longer put first or marked.
    do_set_status(STAFF, risky, "not_a_fit", "Referred to crisis team, not a fit for us")
    body = as_user(world.intake_a).get("/intake/?status=all").content.decode()
    assert 'data-testid="risk-words"' not in body


def test_the_request_page_names_the_words_and_what_to_do(world: Any, as_user: Any) -> None:
    risky = make_request(world.clinic_a, message=RISKY)
    page = as_user(world.intake_a).get(f"/intake/{risky.pk}/").content.decode()
    assert 'data-testid="risk-banner"' in page
    assert "“killing myself”" in page and "Contact them today" in page
    calm = make_request(world.clinic_a, email="calm@example.com", message="Pain for years.")
    page = as_user(world.intake_a).get(f"/intake/{calm.pk}/").content.decode()
    assert 'data-testid="risk-banner"' not in page


def test_another_clinics_risky_request_is_not_shown(world: Any, as_user: Any) -> None:
    risky = make_request(world.clinic_b, given_name="Elsewhere", message=RISKY)
    body = as_user(world.intake_a).get("/intake/").content.decode()
    assert "Elsewhere" not in body and 'data-testid="risk-words"' not in body
    assert as_user(world.intake_a).get(f"/intake/{risky.pk}/").status_code == 404
