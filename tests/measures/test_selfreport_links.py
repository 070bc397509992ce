"""The patient's self-report page: a one-time link, for one patient and its scales only,
answers kept as they go, scored on the server, and one friendly page for every bad token."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from ketacare.accounts.audit import Actor, AuditEntry
from ketacare.measures.models import Assessment, SelfReportLink
from ketacare.measures.selfreport_actions import IssuedLink, do_issue_link, do_revoke_link
from ketacare.measures.selfreport_views import GUESS_LIMIT
from tests.page_text import without_tokens

STAFF = Actor(label="nurse@a.test")
PHQ9_MILD = {f"phq9-{i}": v for i, v in enumerate([1, 1, 1, 1, 1, 0, 0, 0, 0], start=1)}
GAD7 = {f"gad7-{i}": 1 for i in range(1, 8)}


def issue(patient: Any, scales: list[str], **kwargs: Any) -> IssuedLink:
    kwargs.setdefault("context", "follow_up")
    kwargs.setdefault("channel", "in_clinic")
    return do_issue_link(STAFF, patient, scales, **kwargs)


def path_of(issued: IssuedLink) -> str:
    return f"/r/{issued.token}/"


def submit(client: Client, issued: IssuedLink, scale: str, answers: dict[str, int]) -> Any:
    data = {"scale": scale, "action": "next", **{k: str(v) for k, v in answers.items()}}
    return client.post(path_of(issued), data)


def test_link_opens_without_sign_in_shows_first_name_only_and_is_audited(
    world: Any, client: Client
) -> None:
    issued = issue(world.patient_a, ["phq9"])
    response = client.get(path_of(issued))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Hello Ada," in body and "Lovelace" not in body and world.patient_a.mrn not in body
    assert response["Referrer-Policy"] == "no-referrer"
    assert "noindex" in response["X-Robots-Tag"]
    assert response["Cache-Control"] == "no-store"
    assert 'name="phq9-1"' in body and "I need help now" in body
    entry = AuditEntry.objects.get(action="measures.selfreport.opened")
    assert entry.actor_label == "patient-self-report" and entry.actor_id is None
    assert entry.patient_id == str(world.patient_a.pk)
    assert SelfReportLink.objects.get().opened_at is not None
    # The token is never stored, only its hash.
    assert issued.token not in str(SelfReportLink.objects.values().get())


def test_link_works_once_for_that_patient_and_those_scales_only(world: Any, client: Client) -> None:
    issued = issue(world.patient_a, ["phq9", "gad7"])
    assert submit(client, issued, "phq9", PHQ9_MILD).status_code == 302
    page = client.get(path_of(issued)).content.decode()
    assert "GAD-7" in page and "Questionnaire 2 of 2" in page
    # A scale that is not on the link is not accepted, whatever is posted.
    off_link = {"scale": "pcl5", "action": "next", "pcl5-1": "1"}
    assert client.post(path_of(issued), off_link).status_code == 302
    assert not Assessment.objects.filter(scale_code="pcl5").exists()
    done = submit(client, issued, "gad7", GAD7)
    assert done.status_code == 302 and done["Location"] == "/r/thanks/"
    assert "Your answers have been sent" in client.get("/r/thanks/").content.decode()
    # Used up: the same link now opens the friendly "cannot be used" page.
    again = client.get(path_of(issued))
    assert again.status_code == 404 and 'data-testid="unavailable"' in again.content.decode()
    # Posting again at once is a double tap: thanked again, nothing stored twice.
    assert submit(client, issued, "gad7", GAD7)["Location"] == "/r/thanks/"
    assessments = Assessment.objects.all()
    assert sorted(a.scale_code for a in assessments) == ["gad7", "phq9"]
    assert {a.patient_id for a in assessments} == {world.patient_a.pk}
    assert {a.source for a in assessments} == {"self_report"}
    assert SelfReportLink.objects.get().completed_at is not None
    assert AuditEntry.objects.filter(action="measures.selfreport.submitted").count() == 2


def test_link_expires_after_the_configured_hours(world: Any, client: Client, settings: Any) -> None:
    settings.KETACARE_SELF_REPORT_HOURS = 24
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        issued = issue(world.patient_a, ["phq9"])
        traveller.shift(timedelta(hours=23, minutes=59))
        # Not opened here: a link opened in time has FINISHING_GRACE more (test_patient_review_
        # expiry), so the patient half-way through is not cut off.
        assert SelfReportLink.objects.get().is_usable
        traveller.shift(timedelta(minutes=2))
        expired = client.get(path_of(issued))
        assert expired.status_code == 404
        assert 'data-testid="unavailable"' in expired.content.decode()
        assert submit(client, issued, "phq9", PHQ9_MILD).status_code == 404
    assert not Assessment.objects.exists()


def _without_csrf(body: bytes) -> str:
    return re.sub(r'value="[A-Za-z0-9]{32,}"', "", body.decode())


def test_wrong_expired_used_and_revoked_tokens_get_the_identical_page(world: Any) -> None:
    used = issue(world.patient_a, ["phq2"])
    submit(Client(), used, "phq2", {"phq2-1": 0, "phq2-2": 0})
    revoked = issue(world.patient_a, ["phq9"])
    do_revoke_link(STAFF, revoked.link)
    expired = issue(world.patient_a, ["phq9"], now=timezone.now() - timedelta(days=10))
    wrong = "x" * 43
    pages = []
    for token in (wrong, used.token, revoked.token, expired.token):
        response = Client().get(f"/r/{token}/")
        assert response.status_code == 404
        pages.append(without_tokens(_without_csrf(response.content)))
    assert len(set(pages)) == 1  # the same but for the token in the help button's address
    assert "988" in pages[0] and "911" in pages[0]
    assert "Lovelace" not in pages[0] and "Ada" not in without_tokens(pages[0])


def test_token_guesses_are_rate_limited_per_client_address(world: Any) -> None:
    issued = issue(world.patient_a, ["phq9"])
    guesser = Client(REMOTE_ADDR="203.0.113.9")
    for n in range(GUESS_LIMIT):
        assert guesser.get(f"/r/guess{n:040d}/").status_code == 404
    # Now even a real token answers "unavailable" from that address, and says nothing more.
    limited = guesser.get(path_of(issued))
    assert limited.status_code == 429
    assert 'data-testid="unavailable"' in limited.content.decode()
    assert Client(REMOTE_ADDR="198.51.100.7").get(path_of(issued)).status_code == 200


def test_answers_are_saved_when_the_patient_leaves_half_way_and_resume_later(
    world: Any,
) -> None:
    issued = issue(world.patient_a, ["phq9"])
    first_visit = Client()
    half = {"scale": "phq9", "action": "save", "phq9-1": "2", "phq9-2": "3", "phq9-3": "1"}
    saved = first_visit.post(path_of(issued), half)
    assert saved.status_code == 200 and "Your answers are saved" in saved.content.decode()
    assert SelfReportLink.objects.get().draft["phq9"] == {"phq9-1": 2, "phq9-2": 3, "phq9-3": 1}
    # Later, on another phone: the answers are there, and the rest completes the form.
    later = Client()
    page = later.get(path_of(issued)).content.decode()
    assert re.search(r'name="phq9-2" value="3" checked', page)
    rest = {f"phq9-{i}": 0 for i in range(4, 10)}
    assert submit(later, issued, "phq9", rest).status_code == 302
    assessment = Assessment.objects.get()
    assert assessment.answers == {"phq9-1": 2, "phq9-2": 3, "phq9-3": 1, **rest}
    assert assessment.total == 6


def test_each_answer_is_autosaved_as_it_is_given(world: Any, client: Client) -> None:
    issued = issue(world.patient_a, ["gad7"])
    response = client.post(f"{path_of(issued)}draft/", {"scale": "gad7", "gad7-3": "2"})
    assert response.status_code == 200
    assert response.json() == {"saved": True, "crisis": False, "errors": {}}
    assert response["Referrer-Policy"] == "no-referrer"
    assert SelfReportLink.objects.get().draft["gad7"] == {"gad7-3": 2}
    refused = client.post(f"{path_of(issued)}draft/", {"scale": "gad7", "gad7-3": "9"})
    assert refused.json()["errors"] == {"gad7-3": ["Choose one of the answers shown."]}
    assert SelfReportLink.objects.get().draft["gad7"] == {"gad7-3": 2}
    assert client.post("/r/not-a-real-token/draft/", {"scale": "gad7"}).status_code == 404


def test_submitted_answers_are_scored_on_the_server(world: Any, client: Client) -> None:
    issued = issue(world.patient_a, ["phq9"])
    answers = {f"phq9-{i}": 3 for i in range(1, 9)} | {"phq9-9": 0}
    # Anything the page might post besides answers (a "total", a band) is ignored.
    client.post(path_of(issued), {"scale": "phq9", "action": "next", "total": "0", **answers})
    assessment = Assessment.objects.get()
    assert (assessment.total, assessment.band, assessment.complete) == (24, "severe", True)
    assert assessment.explanation and assessment.source == "self_report"
    assert assessment.context == "follow_up" and assessment.administered_by is None


def test_bad_and_missing_answers_are_named_and_the_others_kept(world: Any, client: Client) -> None:
    issued = issue(world.patient_a, ["phq9"])
    answers = {f"phq9-{i}": "1" for i in (1, 2, 3, 5, 6, 7, 8)} | {"phq9-9": "7"}
    response = client.post(path_of(issued), {"scale": "phq9", "action": "next", **answers})
    body = response.content.decode()
    assert response.status_code == 400
    assert 'data-field="phq9-9"' in body and "Choose one of the answers shown." in body
    assert 'data-field="phq9-4"' in body and "Please answer this question." in body
    assert 'href="#q-phq9-4">Question 4</a>' in body
    assert re.search(r'name="phq9-5" value="1" checked', body)
    assert not Assessment.objects.exists()
    draft = SelfReportLink.objects.get().draft["phq9"]
    assert draft == {f"phq9-{i}": 1 for i in (1, 2, 3, 5, 6, 7, 8)}


def test_cssrs_follow_up_questions_skipped_by_their_gate_are_dropped(
    world: Any, client: Client
) -> None:
    issued = issue(world.patient_a, ["cssrs_recent"])
    answers = {"cssrs_recent-1": 0, "cssrs_recent-2": 0, "cssrs_recent-3": 1, "cssrs_recent-6": 0}
    assert submit(client, issued, "cssrs_recent", answers).status_code == 302
    assessment = Assessment.objects.get()
    assert "cssrs_recent-3" not in assessment.answers
    assert assessment.risk_level == "none" and assessment.complete


def test_a_stale_page_for_another_scale_goes_back_to_the_open_one(
    world: Any, client: Client
) -> None:
    issued = issue(world.patient_a, ["phq2", "gad7"])
    submit(client, issued, "phq2", {"phq2-1": 0, "phq2-2": 0})
    twice = submit(client, issued, "phq2", {"phq2-1": 3, "phq2-2": 3})
    assert twice.status_code == 302 and twice["Location"] == path_of(issued)
    assert Assessment.objects.count() == 1


@pytest.mark.parametrize("origin", ["null", None])
def test_forms_work_from_a_no_referrer_page_with_or_without_a_csrf_token(
    world: Any, origin: str | None
) -> None:
    """The token in the address is the credential (`token_credential`): a stale or missing
    CSRF token must not lose the patient's answers."""
    issued = issue(world.patient_a, ["phq2"])
    client = Client(enforce_csrf_checks=True)
    page = client.get(path_of(issued)).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token is not None
    extra = {"HTTP_ORIGIN": origin} if origin else {}
    data = {"scale": "phq2", "action": "save", "phq2-1": "1"}
    assert client.post(path_of(issued), data, **extra).status_code == 200
    data["csrfmiddlewaretoken"] = token.group(1)
    assert client.post(path_of(issued), data, **extra).status_code == 200
    assert SelfReportLink.objects.get().draft["phq2"] == {"phq2-1": 1}


def test_a_refused_submission_keeps_the_answers_in_the_same_transaction(world: Any) -> None:
    """One transaction per submission: a refusal rolls back only the submission's savepoint."""
    from ketacare.measures.selfreport_actions import MissingAnswers, do_submit_scale

    issued = issue(world.patient_a, ["phq9"])
    link = SelfReportLink.objects.get()
    partial = {f"phq9-{i}": 1 for i in range(1, 8)}
    with pytest.raises(MissingAnswers) as refused:
        do_submit_scale(link, "phq9", partial, "127.0.0.1")
    assert set(refused.value.items) == {"phq9-8", "phq9-9"}
    assert SelfReportLink.objects.get().draft["phq9"] == partial
    assert not Assessment.objects.exists()
    done = do_submit_scale(link, "phq9", {"phq9-8": 0, "phq9-9": 0}, "127.0.0.1")
    assert done.completed and done.assessment.answers == partial | {"phq9-8": 0, "phq9-9": 0}
    assert issued.token
