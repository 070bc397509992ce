"""A clinic's protocols: the library default (version 1) plus the clinic's stored edits.

    protocol = clinic_protocol(clinic, "iv_ketamine_depression")        # the current version
    protocol = clinic_protocol(clinic, "iv_ketamine_depression", 3)     # as it was at version 3
    do_edit_protocol(actor, clinic, "iv_ketamine_depression",
                     {"dose.max_dose_mg": "100"}, reason="Medical director, 2026-11")

Edits go through `clinical.protocols.apply_edits`, so a racemic protocol stays internally
consistent and an esketamine protocol never crosses its label floor; the error names the field.
An edit takes `once`, the edit page's one-time submission key (core/submission.py), stored with
the new version: Save pressed twice stores one version.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import Actor, record
from ketacare.accounts.models import Clinic
from ketacare.clinical.protocols import (
    LIBRARY,
    Protocol,
    ProtocolEdits,
    apply_edits,
    protocol_changes,
)
from ketacare.core import submission
from ketacare.plans.models import ClinicProtocol


def author_id(actor: Actor) -> int:
    """The signed-in person behind a clinical change (never a system actor)."""
    if actor.user_id is None:
        raise ActionError("actor", "A clinical change needs a signed-in person.")
    return actor.user_id


def _library(code: str) -> Protocol:
    try:
        return LIBRARY[code]
    except KeyError:
        raise ActionError("protocol", f"There is no protocol {code!r} in the library.") from None


def build_protocol(code: str, version: int, changes: Mapping[str, Any], note: str = "") -> Protocol:
    """The library protocol `code` with stored `changes`, stamped `version`."""
    base = _library(code)
    if version <= base.version and not changes:
        return base
    return apply_edits(
        base, ProtocolEdits(dict(changes), reason=note or "clinic edit", version=version)
    )


def latest_edit(clinic: Clinic, code: str) -> ClinicProtocol | None:
    return ClinicProtocol.objects.filter(clinic=clinic, code=code).order_by("-version").first()


def clinic_protocol(clinic: Clinic, code: str, version: int | None = None) -> Protocol:
    """The protocol as the clinic has it now, or at `version`."""
    edits = ClinicProtocol.objects.filter(clinic=clinic, code=code)
    row = (
        edits.order_by("-version").first()
        if version is None
        else edits.filter(version=version).first()
    )
    if row is None:
        base = _library(code)
        if version is not None and version != base.version:
            raise ActionError("protocol", f"{code} has no version {version} at this clinic.")
        return base
    return build_protocol(code, row.version, row.changes, row.reason)


def is_available(clinic: Clinic, code: str) -> bool:
    row = latest_edit(clinic, code)
    return code in LIBRARY and (row is None or row.available)


def available_protocols(clinic: Clinic) -> list[Protocol]:
    """Every protocol a new plan may use at the clinic, current version, library order."""
    rows: dict[str, ClinicProtocol] = {}
    for row in ClinicProtocol.objects.filter(clinic=clinic).order_by("code", "-version"):
        rows.setdefault(row.code, row)
    out = []
    for code in LIBRARY:
        found = rows.get(code)
        if found is None:
            out.append(LIBRARY[code])
        elif found.available:
            out.append(build_protocol(code, found.version, found.changes, found.reason))
    return out


def protocol_history(clinic: Clinic, code: str) -> list[ClinicProtocol]:
    return list(
        ClinicProtocol.objects.filter(clinic=clinic, code=code)
        .select_related("created_by")
        .order_by("-version")
    )


# What the edit page's one-time key is for (core/submission.py `scope`): the clinic's protocol.
ONCE_EDIT = "plans.protocol"


def once_scope(clinic: Clinic, code: str) -> str:
    return submission.scope(ONCE_EDIT, f"{clinic.pk}/{code}")


def do_edit_protocol(
    actor: Actor,
    clinic: Clinic,
    code: str,
    changes: Mapping[str, Any],
    reason: str,
    *,
    once: str = "",
) -> ClinicProtocol:
    """Store a new version of `code` at `clinic` with `changes` on top of the current version.
    ValueError from the clinical layer becomes an ActionError naming the field."""
    if not (reason or "").strip():
        raise ActionError("reason", "Document why the protocol is changed.")
    if not changes:
        raise ActionError("changes", "Nothing was changed.")
    with transaction.atomic():
        # Serialise edits of one clinic's protocols: lock the clinic row.
        Clinic.objects.select_for_update().filter(pk=clinic.pk).first()
        current_row = latest_edit(clinic, code)
        current = clinic_protocol(clinic, code)
        version = current.version + 1
        try:
            edited = apply_edits(
                current, ProtocolEdits(dict(changes), reason=reason, version=version)
            )
        except ValueError as problem:
            field, _, message = str(problem).partition(": ")
            raise ActionError(field or "changes", message or str(problem)) from None
        stored = protocol_changes(edited)
        if stored == (current_row.changes if current_row else {}):
            raise ActionError("changes", "These values are the ones already in force.")
        row = ClinicProtocol.objects.create(
            clinic=clinic,
            code=code,
            version=version,
            changes=stored,
            reason=reason.strip(),
            created_by_id=author_id(actor),
            available=current_row.available if current_row else True,
        )
        submission.remember(actor, once, once_scope(clinic, code), row.pk)
        record(
            actor,
            "plans.protocol.edited",
            object_type="protocol",
            object_id=f"{code}@{version}",
            clinic_id=clinic.pk,
            detail={"changes": {k: str(v) for k, v in dict(changes).items()}, "reason": reason},
        )
    return row


def do_set_available(
    actor: Actor, clinic: Clinic, code: str, available: bool, reason: str
) -> ClinicProtocol:
    """Withdraw a protocol from new plans (or offer it again): a new version, same values."""
    if not (reason or "").strip():
        raise ActionError("reason", "Document why.")
    with transaction.atomic():
        Clinic.objects.select_for_update().filter(pk=clinic.pk).first()
        current_row = latest_edit(clinic, code)
        current = clinic_protocol(clinic, code)
        row = ClinicProtocol.objects.create(
            clinic=clinic,
            code=code,
            version=current.version + 1,
            changes=current_row.changes if current_row else {},
            reason=reason.strip(),
            created_by_id=author_id(actor),
            available=available,
        )
        record(
            actor,
            "plans.protocol.availability",
            object_type="protocol",
            object_id=f"{code}@{row.version}",
            clinic_id=clinic.pk,
            detail={"available": available, "reason": reason},
        )
    return row
