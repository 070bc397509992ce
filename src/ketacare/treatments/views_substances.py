"""/chairs/substances/: the clinic's controlled-substance log — lots with their running
balance, discrepancies (open, with the director's review form, and reviewed), receiving a lot
(and later deliveries of it), counting, waste outside a session, losses, corrections.

Everything is filtered by the active clinic: another clinic's lot or entry is a 404.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django import forms
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from ketacare.accounts.access import staff_view
from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import Actor, actor_from_request, audit
from ketacare.accounts.models import Clinic
from ketacare.accounts.permissions import Perm, has_perm
from ketacare.treatments import substance_actions as sa
from ketacare.treatments.forms_substances import (
    FIRST_DELIVERY,
    CorrectEntryForm,
    CountForm,
    LossForm,
    LotForm,
    ReceiveMoreForm,
    ReviewForm,
    WasteForm,
)
from ketacare.treatments.models_substances import DrugLot, EntryKind, SubstanceEntry
from ketacare.treatments.substance_ledger import (
    Discrepancy,
    discrepancy_list,
    first_delivery,
    ledger,
    marked_rows,
    received_total,
)
from ketacare.treatments.substance_review import do_review_discrepancy


def _clinic(request: HttpRequest) -> Clinic:
    return request.clinic  # type: ignore[attr-defined]  # set by staff_view


def _lots(clinic: Clinic) -> list[DrugLot]:
    return list(DrugLot.objects.filter(clinic=clinic).select_related("clinic", "received_by"))


def _add_error(form: forms.Form, exc: ActionError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


REVIEWS_SHOWN = 50  # newest first; "show all" lists every review


def _review_rows(
    open_: list[Discrepancy], can_review: bool, bound: ReviewForm | None
) -> tuple[list[tuple[Discrepancy, ReviewForm | None]], ReviewForm | None]:
    """Each open discrepancy with its review form (the one just refused, as typed, on its
    row), and the refused form whose discrepancy is no longer open (shown above the table)."""
    rows: list[tuple[Discrepancy, ReviewForm | None]] = []
    placed = False
    for d in open_:
        form = None
        if can_review:
            if bound is not None and bound.is_for(d.entry.pk, d.problem):
                form, placed = bound, True
            else:
                form = ReviewForm(entry_id=d.entry.pk, problem=d.problem)
        rows.append((d, form))
    return rows, (bound if bound is not None and not placed else None)


def _index(request: HttpRequest, status: int = 200, **bound: Any) -> HttpResponse:
    clinic = _clinic(request)
    lots = _lots(clinic)
    membership = getattr(request, "membership", None)
    found = discrepancy_list(clinic)
    all_reviews = request.GET.get("reviewed") == "all"
    open_by_lot = Counter(d.lot.pk for d in found.open)
    can_review = has_perm(membership, Perm.SUBSTANCE_REVIEW)
    open_rows, review_error = _review_rows(found.open, can_review, bound.get("review"))
    rows = []
    for lot in lots:
        entries = ledger(lot)
        standing = [r for r in entries if r.standing and r.balance_mg is not None]
        units, mg = received_total(lot, entries)
        rows.append(
            {
                "lot": lot,
                "balance": standing[-1].balance_mg if standing else lot.received_mg,
                "problems": open_by_lot[lot.pk],  # open: not yet reviewed
                "received_units": units,
                "received_mg": mg,
                "deliveries": 1
                + sum(
                    1
                    for r in entries
                    if r.standing
                    and r.entry.kind == EntryKind.RECEIVE
                    and not r.entry.corrects_first_delivery
                ),
                "lost_mg": sum(
                    (
                        r.entry.lost_mg
                        for r in entries
                        if r.standing and r.entry.kind == EntryKind.LOSS
                    ),
                    Decimal(0),
                ),
            }
        )
    context = {
        "rows": rows,
        "open_rows": open_rows,
        "reviewed": found.reviewed if all_reviews else found.reviewed[:REVIEWS_SHOWN],
        "reviewed_total": len(found.reviewed),
        "reviewed_cut": not all_reviews and len(found.reviewed) > REVIEWS_SHOWN,
        "review_error": review_error,
        "can_review": can_review,
        "can_record": has_perm(membership, Perm.SUBSTANCE_RECORD),
        "lot_form": bound.get("lot") or LotForm(),
        "count_form": bound.get("count") or CountForm(lots=lots),
        "waste_form": bound.get("waste") or WasteForm(lots=lots),
        "loss_form": bound.get("loss") or LossForm(lots=lots),
    }
    return render(request, "treatments/substances.html", context, status=status)


@staff_view(Perm.SUBSTANCE_VIEW)
def index(request: HttpRequest) -> HttpResponse:
    audit(
        request, "treatments.substances.viewed", object_type="clinic", object_id=_clinic(request).pk
    )
    return _index(request)


def _done(anchor: str = "") -> HttpResponse:
    return HttpResponseRedirect(reverse("chairs:substances") + (f"#{anchor}" if anchor else ""))


def _clinic_form_action(
    request: HttpRequest,
    key: str,
    form: forms.Form,
    act: Callable[[Actor, Clinic, dict[str, Any]], object],
    anchor: str,
) -> HttpResponse:
    """The stock page's forms: checked (400: the page with the form's errors under `key`), one
    action for the user's clinic (its ActionError named on the form), back to `anchor`."""
    if not form.is_valid():
        return _index(request, 400, **{key: form})
    try:
        act(actor_from_request(request), _clinic(request), form.cleaned_data)
    except ActionError as exc:
        _add_error(form, exc)
        return _index(request, 400, **{key: form})
    return _done(anchor)


@staff_view(Perm.SUBSTANCE_RECORD)
@require_POST
def receive_lot(request: HttpRequest) -> HttpResponse:
    return _clinic_form_action(request, "lot", LotForm(request.POST), sa.do_receive_lot, "lots")


@staff_view(Perm.SUBSTANCE_RECORD)
@require_POST
def count(request: HttpRequest) -> HttpResponse:
    form = CountForm(request.POST, lots=_lots(_clinic(request)))
    return _clinic_form_action(request, "count", form, sa.do_record_count, "discrepancies")


@staff_view(Perm.SUBSTANCE_RECORD)
@require_POST
def waste(request: HttpRequest) -> HttpResponse:
    form = WasteForm(request.POST, lots=_lots(_clinic(request)))
    return _clinic_form_action(request, "waste", form, sa.do_record_waste, "lots")


@staff_view(Perm.SUBSTANCE_RECORD)
@require_POST
def loss(request: HttpRequest) -> HttpResponse:
    form = LossForm(request.POST, lots=_lots(_clinic(request)))
    return _clinic_form_action(request, "loss", form, sa.do_record_loss, "discrepancies")


@staff_view(Perm.SUBSTANCE_REVIEW)
@require_POST
def review(request: HttpRequest, entry_id: int) -> HttpResponse:
    """The director's review of one discrepancy of an entry of this clinic's log."""
    if not SubstanceEntry.objects.filter(clinic=_clinic(request), pk=entry_id).exists():
        raise Http404("No such entry in this clinic's log.")
    form = ReviewForm(request.POST, entry_id=entry_id)

    def act(actor: Actor, clinic: Clinic, data: dict[str, Any]) -> object:
        return do_review_discrepancy(actor, clinic, {**data, "entry": entry_id})

    return _clinic_form_action(request, "review", form, act, "discrepancies")


def _lot_page(request: HttpRequest, lot: DrugLot, status: int = 200, **bound: Any) -> HttpResponse:
    rows = ledger(lot)
    units, mg = received_total(lot, rows)
    context = {
        "lot": lot,
        "rows": rows,
        "marked": marked_rows(lot, rows),
        "first_corrected": first_delivery(rows),
        "received_units": units,
        "received_mg": mg,
        "can_record": has_perm(getattr(request, "membership", None), Perm.SUBSTANCE_RECORD),
        "correct_form": bound.get("correct") or _correct_form(lot, rows=rows),
        "receive_form": bound.get("receive") or ReceiveMoreForm(),
    }
    return render(request, "treatments/substance_lot.html", context, status=status)


def _correct_form(lot: DrugLot, data: Any = None, rows: Any = None) -> CorrectEntryForm:
    rows = ledger(lot) if rows is None else rows
    standing = [r.entry for r in rows if r.standing]
    # The first delivery as typed can be corrected once; after that, its correction is.
    first = (
        ""
        if first_delivery(rows) is not None
        else f"First delivery · {lot.units_received} received ({lot.received_mg.normalize():f} mg)"
    )
    form = CorrectEntryForm(data, lots=_lots(lot.clinic), entries=standing, first_delivery=first)
    form.fields["lot"].required = False
    return form


def _get_lot(request: HttpRequest, lot_id: int) -> DrugLot:
    lot = (
        DrugLot.objects.filter(clinic=_clinic(request), pk=lot_id).select_related("clinic").first()
    )
    if lot is None:
        raise Http404("No such lot in this clinic.")
    return lot


@staff_view(Perm.SUBSTANCE_VIEW)
def lot_detail(request: HttpRequest, lot_id: int) -> HttpResponse:
    lot = _get_lot(request, lot_id)
    audit(request, "treatments.substances.lot_viewed", object_type="druglot", object_id=lot.pk)
    return _lot_page(request, lot)


@staff_view(Perm.SUBSTANCE_RECORD)
@require_POST
def correct_entry(request: HttpRequest, lot_id: int) -> HttpResponse:
    lot = _get_lot(request, lot_id)
    form = _correct_form(lot, request.POST)
    if not form.is_valid():
        return _lot_page(request, lot, 400, correct=form)
    try:
        if form.cleaned_data["entry"] == FIRST_DELIVERY:
            new = sa.do_correct_first_delivery(
                actor_from_request(request), _clinic(request), lot.pk, form.cleaned_data
            )
        else:
            new = sa.do_correct_entry(
                actor_from_request(request),
                _clinic(request),
                form.cleaned_data["entry"],
                form.cleaned_data,
            )
    except ActionError as exc:
        _add_error(form, exc)
        return _lot_page(request, lot, 400, correct=form)
    return HttpResponseRedirect(reverse("chairs:substance_lot", args=[new.lot_id]))


@staff_view(Perm.SUBSTANCE_RECORD)
@require_POST
def receive_more(request: HttpRequest, lot_id: int) -> HttpResponse:
    lot = _get_lot(request, lot_id)
    form = ReceiveMoreForm(request.POST)
    if not form.is_valid():
        return _lot_page(request, lot, 400, receive=form)
    try:
        sa.do_receive_more(actor_from_request(request), _clinic(request), lot.pk, form.cleaned_data)
    except ActionError as exc:
        _add_error(form, exc)
        return _lot_page(request, lot, 400, receive=form)
    return HttpResponseRedirect(reverse("chairs:substance_lot", args=[lot.pk]))
