"""One-time submission keys: pressing Save twice (or a browser resending a form, or an API
client retrying) creates one row, not two.

A create form carries a random key in a hidden field (`{% submission_key %}` from
`core/templatetags/submission.py`, named `submission_key`); an API call may send the same kind
of key as its `Idempotency-Key` header. The action that creates the row calls `remember` in
its own transaction, after the row is saved: the key is stored with what it created
(`accounts.SubmissionKey`, unique per user). A second request with the same key finds it:

- the view asks `saved_before` first, before validating (a repeat of a patient registration
  must not be answered "this patient already exists"), and goes to what the first created
  with the message `ALREADY_SAVED`;
- two requests at the same moment both pass that look; the second's `remember` then meets the
  first's key (the unique constraint waits for the first transaction), raises `AlreadySaved`
  and its transaction, with the row it made, is rolled back.

A key is bound to its `scope` (which create, for which patient or evaluation): the same key
sent for another create is refused (`KeyUsedElsewhere`). A request without a key behaves as it
always did. Keys older than `KEEP_DAYS` are deleted as each user saves with a new one, so the
table stays small without a scheduled job; a form left open longer than that and submitted
twice is no longer recognised.
"""

from __future__ import annotations

import re
import secrets
from datetime import timedelta

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import timezone

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import Actor
from ketacare.accounts.models import SubmissionKey

FORM_FIELD = "submission_key"
HEADER = "Idempotency-Key"
ALREADY_SAVED = "Already saved: this was sent twice, and it was saved once."
KEEP_DAYS = 7
# Printable ASCII without spaces, as UUIDs and `secrets.token_urlsafe` keys are.
_KEY = re.compile(r"[!-~]{8,100}")


class AlreadySaved(Exception):
    """The key was used before for this create; `object_id` is what that request created."""

    def __init__(self, object_id: str):
        super().__init__(object_id)
        self.object_id = object_id


class KeyUsedElsewhere(ActionError):
    """The key was used before for a different create (another patient, another form)."""

    def __init__(self, field: str):
        super().__init__(
            field,
            f"{field}: this key was already used for a different request; send a new key.",
        )


def new_key() -> str:
    return secrets.token_urlsafe(18)


def is_valid_key(key: str) -> bool:
    return bool(_KEY.fullmatch(key))


def form_key(request: HttpRequest) -> str:
    """The key posted with a form; an empty or malformed one (the field is hidden, so the user
    cannot correct it) counts as none."""
    key = str(request.POST.get(FORM_FIELD, "")).strip()
    return key if is_valid_key(key) else ""


def header_key(request: HttpRequest) -> str:
    """The `Idempotency-Key` header ("" when absent); a malformed one is refused naming it."""
    key = request.headers.get(HEADER, "").strip()
    if key and not is_valid_key(key):
        raise ActionError(
            HEADER, f"{HEADER}: use 8 to 100 printable characters without spaces (a UUID)."
        )
    return key


def scope(kind: str, parent: object) -> str:
    """Which create a key is for: the kind of row and what it hangs off (a patient, an
    evaluation, a clinic), such as `patients.allergy@<patient id>`."""
    return f"{kind}@{parent}"


def page_key(request: HttpRequest, where: str) -> tuple[str, str]:
    """For a page: (the posted form's key, the id of what it created before for `where`, ""
    when new). A key already used for another form was not drawn for this one (keys are
    random per drawing): it counts as none."""
    key = form_key(request)
    try:
        return key, saved_before(request.user.pk, key, where)
    except KeyUsedElsewhere:
        return "", ""


def saved_before(user_id: int | None, key: str, scope: str, *, field: str = FORM_FIELD) -> str:
    """The id of what this key created earlier for this scope ("" when it is new)."""
    if not key or user_id is None:
        return ""
    found = SubmissionKey.objects.filter(user_id=user_id, key=key).first()
    if found is None:
        return ""
    if found.scope != scope:
        raise KeyUsedElsewhere(field)
    return found.object_id


def remember(actor: Actor, key: str, scope: str, object_id: object) -> None:
    """Store the key with what it created; call inside the action's transaction, after the row
    is saved. Raises `AlreadySaved` when another request stored the same key first (the
    caller's transaction must then roll back), `KeyUsedElsewhere` for another scope."""
    if not key or actor.user_id is None:
        return
    try:
        with transaction.atomic():  # a savepoint: a clash leaves the outer transaction usable
            SubmissionKey.objects.create(
                user_id=actor.user_id, key=key, scope=scope, object_id=str(object_id)
            )
    except IntegrityError:
        # Another request stored this key first (pages check before, so this is the API's
        # header or two presses of Save arriving together).
        first = saved_before(actor.user_id, key, scope, field=HEADER)
        raise AlreadySaved(first) from None
    SubmissionKey.objects.filter(
        user_id=actor.user_id, created_at__lt=timezone.now() - timedelta(days=KEEP_DAYS)
    ).delete()


def already_saved(request: HttpRequest, url: str) -> HttpResponse:
    """A page's answer to a form sent twice: to what the first sending saved, saying so."""
    messages.info(request, ALREADY_SAVED)
    return HttpResponseRedirect(url)
