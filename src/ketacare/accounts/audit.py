"""The append-only audit log: who did what to which record, when, from where.

Each entry carries the SHA-256 of the previous entry's hash and its own canonical content,
so changing or removing any entry breaks the chain (`ketacare audit verify` finds it).
Entries reference users, clinics and patients by id and a printed label rather than by
foreign key, so no later change to those records can cascade into the log.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

if TYPE_CHECKING:
    from django.http import HttpRequest

GENESIS_HASH = "0" * 64


class Outcome(models.TextChoices):
    SUCCESS = "success", "Success"
    DENIED = "denied", "Denied"
    FAILURE = "failure", "Failure"


class AppendOnlyQuerySet(models.QuerySet["AuditEntry"]):
    def update(self, **kwargs: Any) -> int:
        raise PermissionError("The audit log is append-only: entries cannot be updated.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("The audit log is append-only: entries cannot be deleted.")


class AuditEntry(models.Model):
    seq = models.BigIntegerField(unique=True)
    at = models.DateTimeField()
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_label = models.CharField(max_length=254, blank=True)
    actor_role = models.CharField(max_length=20, blank=True)
    clinic_id = models.BigIntegerField(null=True, blank=True)
    action = models.CharField(max_length=100)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    patient_id = models.CharField(max_length=64, blank=True)
    client_ip = models.CharField(max_length=64, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.SUCCESS)
    detail = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-seq"]
        indexes = [
            models.Index(fields=["clinic_id", "-seq"], name="audit_clinic_seq"),
            models.Index(fields=["patient_id", "-seq"], name="audit_patient_seq"),
            models.Index(fields=["action"], name="audit_action"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} by {self.actor_label or 'anonymous'}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise PermissionError("The audit log is append-only: entries cannot be updated.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("The audit log is append-only: entries cannot be deleted.")

    def canonical(self) -> str:
        """The exact text the hash covers; any change to a field changes it."""
        fields = [
            str(self.seq),
            self.at.astimezone(UTC).isoformat(timespec="microseconds"),
            "" if self.actor_id is None else str(self.actor_id),
            self.actor_label,
            self.actor_role,
            "" if self.clinic_id is None else str(self.clinic_id),
            self.action,
            self.object_type,
            self.object_id,
            self.patient_id,
            self.client_ip,
            self.outcome,
            json.dumps(self.detail, sort_keys=True, separators=(",", ":"), default=str),
        ]
        return "\x1f".join(fields)

    def compute_hash(self) -> str:
        return hashlib.sha256(f"{self.prev_hash}\n{self.canonical()}".encode()).hexdigest()


class AuditChainHead(models.Model):
    """One row: the last sequence number and hash. Locking it serialises appends."""

    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)

    def __str__(self) -> str:
        return f"audit head #{self.last_seq}"


@dataclass(frozen=True)
class Actor:
    """Who is acting, where from: built from a request or a command-line context."""

    user_id: int | None = None
    label: str = ""
    role: str = ""
    clinic_id: int | None = None
    ip: str = ""


def client_ip(request: HttpRequest) -> str:
    if getattr(settings, "TRUST_X_FORWARDED_FOR", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip()[:64]
    return str(request.META.get("REMOTE_ADDR", ""))[:64]


def actor_from_request(request: HttpRequest) -> Actor:
    user = getattr(request, "user", None)
    membership = getattr(request, "membership", None)
    clinic = getattr(request, "clinic", None)
    authenticated = bool(user is not None and user.is_authenticated)
    return Actor(
        user_id=user.pk if authenticated and user is not None else None,
        label=getattr(user, "email", "") if authenticated else "",
        role=membership.role if membership is not None else "",
        clinic_id=clinic.pk if clinic is not None else None,
        ip=client_ip(request),
    )


def _sanitise(detail: dict[str, Any] | None) -> dict[str, Any]:
    # Round-trip through JSON so what we hash is exactly what the database gives back.
    return json.loads(json.dumps(detail or {}, default=str, sort_keys=True))


def record(
    actor: Actor,
    action: str,
    *,
    object_type: str = "",
    object_id: object = "",
    patient_id: object = "",
    outcome: str = Outcome.SUCCESS,
    detail: dict[str, Any] | None = None,
    clinic_id: int | None = None,
) -> AuditEntry:
    """Record one entry, part of the caller's transaction when there is one.

    Inside a transaction the entry joins the chain when that transaction commits (its `seq`
    and hashes are set then; see `ketacare/dbbackends/audit_commit.py`); outside one it is
    appended at once.
    """
    entry = AuditEntry(
        at=timezone.now(),
        actor_id=actor.user_id,
        actor_label=actor.label[:254],
        actor_role=actor.role,
        clinic_id=clinic_id if clinic_id is not None else actor.clinic_id,
        action=action,
        object_type=object_type,
        object_id=str(object_id or ""),
        patient_id=str(patient_id or ""),
        client_ip=actor.ip,
        outcome=outcome,
        detail=_sanitise(detail),
    )
    connection = transaction.get_connection()
    buffering = getattr(connection, "audit_buffering", None)
    if buffering is not None and buffering():
        connection.audit_defer(entry)
    else:
        with transaction.atomic():
            append_entries([entry])
    return entry


def append_entries(entries: list[AuditEntry]) -> None:
    """Chain and insert entries in order. The caller holds the transaction they belong to.

    Locking the head row serialises appends, so no two entries ever get the same `seq` or
    link to the same predecessor; the lock is held from here to the commit.
    """
    if not entries:
        return
    # The head's two statements in plain SQL: every committed write runs them, and the ORM's
    # building of them cost more than the database's answering.
    head_table = AuditChainHead._meta.db_table
    connection = transaction.get_connection()
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT last_seq, last_hash FROM {head_table} WHERE id = 1{lock}")  # noqa: S608  (the model's table)
        row = cursor.fetchone()
    if row is None:
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
        row = (head.last_seq, head.last_hash)
    seq, last_hash = row
    for entry in entries:
        seq += 1
        entry.seq = seq
        entry.prev_hash = last_hash
        entry.entry_hash = last_hash = entry.compute_hash()
    AuditEntry.objects.bulk_create(entries)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {head_table} SET last_seq = %s, last_hash = %s WHERE id = 1",  # noqa: S608
            [seq, last_hash],
        )


def audit(request: HttpRequest, action: str, **kwargs: Any) -> AuditEntry:
    """Shorthand for views and actions that have a request at hand."""
    return record(actor_from_request(request), action, **kwargs)


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    reason: str


def verify_chain(batch_size: int = 2000) -> Iterator[int | ChainProblem]:
    """Walk the chain in order. Yields the count checked so far, or the first problem."""
    expected_prev = GENESIS_HASH
    expected_seq = 1
    checked = 0
    last_seq = 0
    while True:
        batch = list(AuditEntry.objects.filter(seq__gt=last_seq).order_by("seq")[:batch_size])
        if not batch:
            break
        for entry in batch:
            if entry.seq != expected_seq:
                yield ChainProblem(expected_seq, f"entry #{expected_seq} is missing")
                return
            if entry.prev_hash != expected_prev:
                yield ChainProblem(entry.seq, "its link to the previous entry does not match")
                return
            if entry.compute_hash() != entry.entry_hash:
                yield ChainProblem(entry.seq, "its content was changed after it was written")
                return
            expected_prev = entry.entry_hash
            expected_seq += 1
            checked += 1
            last_seq = entry.seq
        yield checked
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is not None and head.last_seq != checked:
        yield ChainProblem(
            checked + 1, f"the chain head records {head.last_seq} entries but {checked} exist"
        )
