"""The director's review of a controlled-substance discrepancy: an open discrepancy is signed
off (outcome, note, report number) by the director or admin, moves to "Reviewed", is audited
and cannot be reviewed twice; a problem whose text the ledger changes later is open again."""

from __future__ import annotations

import re
import threading
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import AuditEntry
from ketacare.accounts.models import Role
from ketacare.treatments import substance_actions as sa
from ketacare.treatments.models_substances import DiscrepancyReview, DrugLot, SubstanceEntry
from ketacare.treatments.substance_ledger import discrepancies, discrepancy_list
from ketacare.treatments.substance_review import do_review_discrepancy
from tests.conftest import make_staff
from tests.treatments.session_helpers import actor
from tests.treatments.substance_helpers import vial_lot

pytestmark = pytest.mark.django_db

NOTE = "Recounted with a second nurse: matches the log."
PAGE = "/chairs/substances/"


def _short_count(world: Any, lot: DrugLot, counted: str = "2400") -> SubstanceEntry:
    """A count of the lot (2500 mg by the log) that differs: one discrepancy."""
    return sa.do_record_count(
        actor(world.nurse_a), world.clinic_a, {"lot": lot.pk, "counted_mg": counted}
    )


def _open_count(world: Any) -> tuple[SubstanceEntry, str]:
    entry = _short_count(world, vial_lot(world.nurse_a, world.clinic_a))
    (d,) = discrepancies(world.clinic_a)
    assert d.entry.pk == entry.pk
    assert d.problem == "Count 2400 mg differs from the log's 2500 mg by -100 mg."
    return entry, d.problem


def _review(entry: SubstanceEntry, problem: str, **extra: Any) -> dict[str, Any]:
    return {
        "entry": entry.pk,
        "problem": problem,
        "outcome": "explained",
        "note": NOTE,
        "reference": "",
    } | extra


def _url(entry: SubstanceEntry) -> str:
    return f"/chairs/substances/entries/{entry.pk}/review/"


def _row_form(body: str, entry: SubstanceEntry) -> str:
    """The review form of the entry's open row, as rendered."""
    found = re.search(rf'data-testid="review-form-{entry.pk}">(.*?)</form>', body, re.S)
    assert found is not None, f"no review form for entry {entry.pk}"
    return found.group(1)


def test_the_director_reviews_a_discrepancy_and_it_moves_to_reviewed(
    world: Any, as_user: Any
) -> None:
    entry, problem = _open_count(world)
    director = as_user(world.director_a)
    before = director.get(PAGE).content.decode()
    assert 'data-testid="discrepancy-count">1<' in before
    assert "None reviewed yet." in before
    form = _row_form(before, entry)
    assert 'name="outcome"' in form and 'name="note"' in form and 'name="reference"' in form
    done = director.post(
        _url(entry),
        {"problem": problem, "outcome": "dea_form_106", "note": NOTE, "reference": "DEA-106-77"},
    )
    assert done.status_code == 302 and done["Location"] == "/chairs/substances/#discrepancies"
    review = DiscrepancyReview.objects.get()
    assert (review.clinic, review.entry, review.problem) == (world.clinic_a, entry, problem)
    assert (review.outcome, review.note, review.reference) == ("dea_form_106", NOTE, "DEA-106-77")
    assert review.reviewed_by == world.director_a
    assert discrepancies(world.clinic_a) == []
    listing = discrepancy_list(world.clinic_a)
    assert listing.open == [] and [(r.review, r.current) for r in listing.reviewed] == [
        (review, True)
    ]
    after = director.get(PAGE).content.decode()
    assert 'data-testid="discrepancy-count">0<' in after and "No open discrepancies." in after
    reviewed = after[after.index('data-testid="reviewed"') :]
    for shown in (
        "differs from the log&#x27;s 2500 mg",
        "Loss confirmed — reported to the DEA (Form 106)",
        NOTE,
        "DEA-106-77",
        "Dora Director",
    ):
        assert shown in reviewed, shown
    assert "log changed since" not in reviewed
    # The lots table counts open problems only.
    assert "1 problem<" not in after


def test_the_review_is_audited_in_its_transaction(world: Any) -> None:
    entry, problem = _open_count(world)
    review = do_review_discrepancy(
        actor(world.director_a), world.clinic_a, _review(entry, problem, reference="R-1")
    )
    (audit,) = AuditEntry.objects.filter(action="treatments.substances.discrepancy_reviewed")
    assert audit.object_type == "discrepancyreview" and audit.object_id == str(review.pk)
    assert audit.actor_id == world.director_a.pk and audit.clinic_id == world.clinic_a.pk
    assert audit.detail["entry"] == entry.pk and audit.detail["problem"] == problem
    assert audit.detail["outcome"] == "explained" and audit.detail["reference"] == "R-1"


def test_the_admin_may_review_too(world: Any) -> None:
    entry, problem = _open_count(world)
    review = do_review_discrepancy(actor(world.admin_a), world.clinic_a, _review(entry, problem))
    assert review.reviewed_by == world.admin_a


@pytest.mark.parametrize(
    ("extra", "field", "says"),
    [
        ({"outcome": ""}, "outcome", "required"),
        ({"outcome": "lost_it"}, "outcome", "valid choice"),
        ({"note": ""}, "note", "required"),
        ({"note": "ok"}, "note", "at least 2 words and 10 characters"),
        ({"note": "checked"}, "note", "at least 2 words"),
        ({"reference": "R" * 121}, "reference", "at most 120"),
    ],
)
def test_bad_review_input_is_refused_on_its_row_keeping_what_was_typed(
    world: Any, as_user: Any, extra: dict[str, str], field: str, says: str
) -> None:
    entry, problem = _open_count(world)
    other = _short_count(world, vial_lot(world.nurse_a, world.clinic_a, "KV-200"), "2000")
    data = {"problem": problem, "outcome": "other", "note": NOTE, "reference": "R-9"} | extra
    page = as_user(world.director_a).post(_url(entry), data)
    assert page.status_code == 400
    body = page.content.decode()
    row = _row_form(body, entry)
    error = re.search(rf'<p class="error" role="alert" data-field="{field}">([^<]*)</p>', row)
    assert error is not None and says in error.group(1), row
    # What was typed is kept; the other row's form is untouched.
    if field != "note":
        assert f'value="{data["note"]}"' in row
    if field != "reference":
        assert 'value="R-9"' in row
    assert 'data-field="' not in _row_form(body, other)
    assert "<details open>" in body
    assert not DiscrepancyReview.objects.exists()
    assert not AuditEntry.objects.filter(action="treatments.substances.discrepancy_reviewed")


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"outcome": ""}, "outcome"),
        ({"outcome": "lost_it"}, "outcome"),
        ({"note": "ok"}, "note"),
        ({"note": "   "}, "note"),
        ({"reference": "R" * 121}, "reference"),
        ({"problem": ""}, "problem"),
        ({"entry": "seven"}, "entry"),
    ],
)
def test_the_action_names_the_field_it_refuses(
    world: Any, extra: dict[str, str], field: str
) -> None:
    entry, problem = _open_count(world)
    with pytest.raises(ActionError) as err:
        do_review_discrepancy(
            actor(world.director_a), world.clinic_a, _review(entry, problem) | extra
        )
    assert err.value.field == field
    assert not DiscrepancyReview.objects.exists()


def test_a_problem_no_longer_given_by_the_log_is_refused(world: Any, as_user: Any) -> None:
    entry, problem = _open_count(world)
    stale = problem.replace("-100", "-99")
    with pytest.raises(ActionError) as err:
        do_review_discrepancy(actor(world.director_a), world.clinic_a, _review(entry, stale))
    assert err.value.field == "problem" and "no longer gives this problem" in err.value.message
    # On the page: the refusal above the table (the row typed against is gone).
    page = as_user(world.director_a).post(
        _url(entry), {"problem": stale, "outcome": "other", "note": NOTE}
    )
    assert page.status_code == 400
    box = page.content.decode().split('data-testid="review-error"')[1].split("</div>")[0]
    assert 'data-field="problem"' in box and "no longer gives this problem" in box
    assert not DiscrepancyReview.objects.exists()


def test_a_discrepancy_is_reviewed_once(world: Any, as_user: Any) -> None:
    entry, problem = _open_count(world)
    do_review_discrepancy(actor(world.director_a), world.clinic_a, _review(entry, problem))
    with pytest.raises(ActionError) as err:
        do_review_discrepancy(actor(world.admin_a), world.clinic_a, _review(entry, problem))
    assert err.value.field == "problem"
    assert err.value.message.startswith("Already reviewed by Dora Director at 20")
    page = as_user(world.admin_a).post(
        _url(entry), {"problem": problem, "outcome": "other", "note": NOTE}
    )
    assert page.status_code == 400 and "Already reviewed by Dora Director" in page.content.decode()
    assert DiscrepancyReview.objects.count() == 1


def test_nurses_and_prescribers_see_the_lists_but_cannot_review(world: Any, as_user: Any) -> None:
    entry, problem = _open_count(world)
    for user in (world.nurse_a, world.prescriber_a):
        client = as_user(user)
        page = client.get(PAGE).content.decode()
        assert problem.replace("'", "&#x27;") in page and "review-form-" not in page
        refused = client.post(_url(entry), {"problem": problem, "outcome": "other", "note": NOTE})
        assert refused.status_code == 403
        with pytest.raises(ActionError) as err:
            do_review_discrepancy(actor(user), world.clinic_a, _review(entry, problem))
        assert err.value.field == "permission"
    for user in (world.therapist_a, world.intake_a):
        assert as_user(user).post(_url(entry), {"problem": problem}).status_code == 403
    assert not DiscrepancyReview.objects.exists()


def test_another_clinics_director_cannot_see_or_review_the_entry(world: Any, as_user: Any) -> None:
    entry, problem = _open_count(world)
    director_b = make_staff(world.clinic_b, Role.DIRECTOR, "director@b.test", "Dan B")
    client = as_user(director_b)
    page = client.get(PAGE)
    assert page.status_code == 200
    assert "KV-100" not in page.content.decode() and "differs from the log" not in (
        page.content.decode()
    )
    data = {"problem": problem, "outcome": "other", "note": NOTE}
    assert client.post(_url(entry), data).status_code == 404
    assert client.post("/chairs/substances/entries/999999/review/", data).status_code == 404
    huge = "/chairs/substances/entries/99999999999999999999999/review/"  # past the id column
    assert client.post(huge, data).status_code == 404
    with pytest.raises(ActionError) as err:
        do_review_discrepancy(
            actor(director_b), world.clinic_b, _review(entry, problem) | {"entry": "9" * 30}
        )
    assert err.value.field == "entry"
    with pytest.raises(ActionError) as err:
        do_review_discrepancy(actor(director_b), world.clinic_b, _review(entry, problem))
    assert err.value.field == "entry" and "No such entry" in err.value.message
    assert not DiscrepancyReview.objects.exists()


def test_a_reviewed_discrepancy_whose_text_changes_is_open_again(world: Any, as_user: Any) -> None:
    lot = vial_lot(world.nurse_a, world.clinic_a)
    entry = _short_count(world, lot)
    (d,) = discrepancies(world.clinic_a)
    do_review_discrepancy(actor(world.director_a), world.clinic_a, _review(entry, d.problem))
    assert discrepancies(world.clinic_a) == []
    # The first delivery was 4 vials, not 5: the log's balance at the count moves, and so does
    # the count's problem text: a new problem, open again.
    sa.do_correct_first_delivery(
        actor(world.nurse_a),
        world.clinic_a,
        lot.pk,
        {"units_received": 4, "correction_reason": "Delivery note says four vials."},
    )
    (again,) = discrepancies(world.clinic_a)
    assert again.entry.pk == entry.pk
    assert again.problem == "Count 2400 mg differs from the log's 2000 mg by 400 mg."
    (old,) = discrepancy_list(world.clinic_a).reviewed
    assert old.current is False
    page = as_user(world.director_a).get(PAGE).content.decode()
    assert 'data-testid="discrepancy-count">1<' in page and "log changed since" in page
    assert 'data-testid="review-form-' in page
    # The new text is reviewed on its own.
    do_review_discrepancy(actor(world.director_a), world.clinic_a, _review(entry, again.problem))
    assert discrepancies(world.clinic_a) == []
    assert DiscrepancyReview.objects.filter(entry=entry).count() == 2


def test_a_review_is_never_edited_or_deleted(world: Any) -> None:
    entry, problem = _open_count(world)
    review = do_review_discrepancy(actor(world.director_a), world.clinic_a, _review(entry, problem))
    review.note = "Something else entirely."
    with pytest.raises(RuntimeError):
        review.save()
    with pytest.raises(RuntimeError):
        review.delete()
    assert DiscrepancyReview.objects.get().note == NOTE


def test_the_page_reads_the_reviews_without_a_query_per_row(world: Any, as_user: Any) -> None:
    director = as_user(world.director_a)

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert director.get(PAGE).status_code == 200
        return len(ctx.captured_queries)

    lot = vial_lot(world.nurse_a, world.clinic_a)
    entry = _short_count(world, lot)
    (d,) = discrepancies(world.clinic_a)
    do_review_discrepancy(actor(world.director_a), world.clinic_a, _review(entry, d.problem))
    _short_count(world, lot, "2300")
    queries()  # the first request of a session reads a few things once
    one = queries()
    for counted in ("2200", "2100", "2000"):
        more = _short_count(world, lot, counted)
        (d,) = [x for x in discrepancies(world.clinic_a) if x.entry.pk == more.pk]
        do_review_discrepancy(actor(world.director_a), world.clinic_a, _review(more, d.problem))
        _short_count(world, lot, str(Decimal(counted) - 50))
    assert len(discrepancy_list(world.clinic_a).reviewed) == 4
    assert len(discrepancies(world.clinic_a)) == 4
    assert queries() == one


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real concurrent writers")
def test_two_reviewers_at_once_write_one_review(world: Any) -> None:
    entry, problem = _open_count(world)
    barrier = threading.Barrier(2)
    refused: list[str] = []
    errors: list[BaseException] = []

    def review(user: Any) -> None:
        try:
            barrier.wait()
            do_review_discrepancy(actor(user), world.clinic_a, _review(entry, problem))
        except ActionError as exc:
            refused.append(exc.message)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=review, args=(user,)) for user in (world.director_a, world.admin_a)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert DiscrepancyReview.objects.count() == 1
    (message,) = refused
    assert message.startswith("Already reviewed by ")
    assert (
        AuditEntry.objects.filter(action="treatments.substances.discrepancy_reviewed").count() == 1
    )


def test_the_lot_page_marks_a_reviewed_problem_and_keeps_an_open_one_flagged(
    world: Any, as_user: Any
) -> None:
    entry, problem = _open_count(world)
    lot_url = f"/chairs/substances/lots/{entry.lot_id}/"
    before = as_user(world.director_a).get(lot_url).content.decode()
    assert 'data-testid="problem-open"' in before and "cs-flagged" in before
    do_review_discrepancy(
        actor(world.director_a), world.clinic_a, _review(entry, problem, reference="R-17")
    )
    after = as_user(world.director_a).get(lot_url).content.decode()
    assert 'data-testid="problem-reviewed"' in after and 'data-testid="problem-open"' not in after
    assert "Reviewed by" in after and "ref. R-17" in after and "cs-flagged" not in after


def test_the_reviewed_table_shows_the_newest_and_links_to_all(
    world: Any, as_user: Any, monkeypatch: Any
) -> None:
    from ketacare.treatments import views_substances

    monkeypatch.setattr(views_substances, "REVIEWS_SHOWN", 2)
    director = as_user(world.director_a)
    lot = vial_lot(world.nurse_a, world.clinic_a)
    for counted in ("2400", "2300", "2200"):
        entry = _short_count(world, lot, counted)
        (d,) = [x for x in discrepancies(world.clinic_a) if x.entry.pk == entry.pk]
        do_review_discrepancy(actor(world.director_a), world.clinic_a, _review(entry, d.problem))
    page = director.get(PAGE).content.decode()
    table = page.split('data-testid="reviewed"')[1].split("</table>")[0]
    assert table.count("<tr data-entry=") == 2
    assert "2200 mg" in table and "2400 mg" not in table  # the newest first
    assert 'data-testid="reviewed-cut"' in page and "Show all 3" in page
    everything = director.get(PAGE + "?reviewed=all").content.decode()
    table = everything.split('data-testid="reviewed"')[1].split("</table>")[0]
    assert table.count("<tr data-entry=") == 3
    assert 'data-testid="reviewed-cut"' not in everything


def test_the_review_of_a_doses_entry_is_audited_under_its_patient(world: Any) -> None:
    from tests.treatments.session_helpers import dosed, ready_session
    from tests.treatments.substance_helpers import device_lot

    lot = device_lot(world.nurse_a, world.clinic_a, "ES-AUD", units=6)
    session = dosed(
        world.nurse_a,
        ready_session(world.prescriber_a, world.nurse_a, world.patient_a, route="esketamine_nasal"),
    )
    entry = sa.do_record_use(
        actor(world.nurse_a), session, {"lot": lot.pk, "units_opened": 2, "given_mg": "28"}
    )
    (d,) = [x for x in discrepancies(world.clinic_a) if x.entry.pk == entry.pk]
    do_review_discrepancy(actor(world.director_a), world.clinic_a, _review(entry, d.problem))
    audit = AuditEntry.objects.get(action="treatments.substances.discrepancy_reviewed")
    assert audit.patient_id == str(world.patient_a.pk)
