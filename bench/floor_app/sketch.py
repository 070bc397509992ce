"""What a pre-Django hot path for `POST /fhir/Observation` could cost at best (a sketch).

Not KetaCare's monitor feed and not used by it: a WSGI function on psycopg that does the
database work issue 6 asks of that POST in the fewest round trips we could think of, on
tables shaped like KetaCare's (same columns and indexes for readings, keys and audit
entries), so that `stack_floor.py` can put a measured figure on the option "serve the feed
outside Django's request stack" instead of an estimate:

1. the body parsed and checked by KetaCare's own `read_observation`;
2. one statement: the bearer token and its clinic, the session locked (FOR UPDATE), its
   baseline reading and the ids of its standing readings (the same five subqueries as
   `treatments.readings.standing_readings`), whether the idempotency key is already stored;
3. the alert rules of `clinical/vitals.py` on the new value against the baseline;
4. one statement: the reading, its key, the audit chain head moved on and the audit entry
   with its SHA-256 chained in SQL;
5. COMMIT, and a 201 with the resource.

Left out, so the real thing costs more: readiness for discharge, storing alerts when there
are any, the full FHIR response, every error path (a real one would hand anything unusual
to Django). Its tables `sketch_*` (created and dropped by `stack_floor.py`) stay nearly
empty, so it is a lower bound: a faithful prototype on the feed bench's data measured
8.1 ms over HTTP (bench/README.md, "A faithful pre-Django hot path").
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

import psycopg

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketacare.settings")
os.environ.setdefault("KETACARE_DATA_DIR", tempfile.mkdtemp(prefix="ketacare-sketch-"))
import django  # KetaCare's parser needs its settings (not its database)

django.setup()

from ketacare.clinical.vitals import DEFAULT_LIMITS, VitalSigns, evaluate_reading  # noqa: E402
from ketacare.fhir.device_feed import read_observation  # noqa: E402

DATABASE_URL = os.environ.get("SKETCH_DATABASE_URL", "")
_local = threading.local()

_STANDING = " ".join(
    f", (SELECT r.id FROM sketch_reading r WHERE r.session_id = s.id AND {cond} AND NOT EXISTS "
    "(SELECT 1 FROM sketch_reading c WHERE c.corrects_id = r.id) "
    f"ORDER BY r.taken_at DESC, r.id DESC LIMIT 1) AS s{i}"
    for i, cond in enumerate(
        [
            "r.phase = 'pre_dose'",
            "r.phase = 'during' AND r.systolic_mmhg IS NOT NULL",
            "r.phase = 'during' AND r.moaas IS NOT NULL",
            "r.phase = 'during' AND r.cadss6 IS NOT NULL",
            "true",
        ]
    )
)
READ = (
    "SELECT t.user_id, t.clinic_id, s.id, s.status, s.patient_id, "
    "b.systolic_mmhg, b.diastolic_mmhg, b.heart_rate_bpm, b.spo2_pct, "
    "EXISTS (SELECT 1 FROM sketch_key k WHERE k.clinic_id = t.clinic_id AND k.system = %s "
    f"AND k.value = %s) {_STANDING} "
    "FROM sketch_token t JOIN sketch_session s ON s.clinic_id = t.clinic_id AND s.id = %s "
    "LEFT JOIN LATERAL (SELECT * FROM sketch_reading p WHERE p.session_id = s.id "
    "AND p.phase = 'pre_dose' ORDER BY p.taken_at DESC LIMIT 1) b ON true "
    "WHERE t.token_hash = %s AND NOT t.revoked FOR UPDATE OF s"
)
WRITE = (
    "WITH r AS (INSERT INTO sketch_reading (session_id, phase, taken_at, recorded_at, "
    "recorded_by_id, heart_rate_bpm, spo2_pct, systolic_mmhg, diastolic_mmhg, source, "
    "correction_reason) VALUES (%(session)s, 'during', %(taken)s, now(), %(user)s, %(hr)s, "
    "%(spo2)s, %(sbp)s, %(dbp)s, 'device', '') RETURNING id), "
    "k AS (INSERT INTO sketch_key (clinic_id, system, value, reading_id, kind, received_at) "
    "SELECT %(clinic)s, %(system)s, %(value)s, r.id, %(kind)s, now() FROM r), "
    "h AS (UPDATE sketch_audit_head SET last_seq = last_seq + 1, last_hash = encode(sha256("
    "convert_to(last_hash || %(payload)s, 'UTF8')), 'hex') WHERE id = 1 "
    "RETURNING last_seq, last_hash, encode(sha256(convert_to(last_hash, 'UTF8')), 'hex') AS prev), "
    "a AS (INSERT INTO sketch_audit_entry (seq, at, actor_id, actor_label, actor_role, "
    "clinic_id, action, object_type, object_id, patient_id, client_ip, outcome, detail, "
    "prev_hash, entry_hash) SELECT h.last_seq, now(), %(user)s, 'token', 'nurse', %(clinic)s, "
    "'treatments.session.vitals_recorded', 'session', %(session)s::text, %(patient)s, "
    "%(ip)s, 'ok', jsonb_build_object('reading', r.id, 'source', 'fhir'), h.prev, "
    "h.last_hash FROM h, r) "
    "SELECT id FROM r"
)


def _connection() -> psycopg.Connection[Any]:
    conn = getattr(_local, "conn", None)
    if conn is None or conn.closed:
        conn = _local.conn = psycopg.connect(DATABASE_URL, prepare_threshold=1)
    return conn


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    if environ["REQUEST_METHOD"] != "POST":
        return _answer(start_response, "200 OK", b'{"ok": true}')
    now = datetime.now(UTC)
    body = json.loads(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)))
    item = read_observation(body, now)
    token = environ.get("HTTP_AUTHORIZATION", "").removeprefix("Bearer ")
    token_hash = hashlib.sha256(token.encode()).hexdigest()
    system, value = item.key or ("", "")
    conn = _connection()
    with conn.transaction():
        row = conn.execute(READ, (system, value, item.session_id, token_hash)).fetchone()
        if row is None or row[3] != "monitoring" or row[9]:
            raise RuntimeError("the sketch handles only the common case")
        user, clinic, session, _, patient = row[:5]
        if str(patient).lower() != item.patient_id:
            raise RuntimeError("not a session of this patient")
        baseline = VitalSigns(
            systolic_mmhg=row[5], diastolic_mmhg=row[6], heart_rate_bpm=row[7], spo2_pct=row[8]
        )
        values = item.values
        new = VitalSigns(**{k: v for k, v in values.items() if k in VitalSigns.__annotations__})
        alerts = list(evaluate_reading(new, DEFAULT_LIMITS, baseline))
        params = {
            "session": session,
            "taken": item.taken_at,
            "user": user,
            "clinic": clinic,
            "patient": patient,
            "hr": values.get("heart_rate_bpm"),
            "spo2": values.get("spo2_pct"),
            "sbp": values.get("systolic_mmhg"),
            "dbp": values.get("diastolic_mmhg"),
            "system": system,
            "value": value,
            "kind": item.kind.key,
            "payload": json.dumps({"session": session, "alerts": [a.code for a in alerts]}),
            "ip": environ.get("REMOTE_ADDR", ""),
        }
        reading = conn.execute(WRITE, params).fetchone()
    resource = {**body, "id": f"vs-{reading[0] if reading else 0}", "meta": {"versionId": "1"}}
    return _answer(start_response, "201 Created", json.dumps(resource).encode())


def _answer(start_response: Callable[..., Any], status: str, out: bytes) -> list[bytes]:
    start_response(
        status, [("Content-Type", "application/fhir+json"), ("Content-Length", str(len(out)))]
    )
    return [out]
