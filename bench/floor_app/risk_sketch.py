"""What a lean risk-answer submission could cost at best (a sketch for issue 7's bar).

Not KetaCare's self-report path and not used by it: one Django view, behind Django's five
standard middleware, that stores what issue 7 asks of a PHQ-9 submission with item 9 > 0 in
the fewest round trips we could think of, on tables shaped like KetaCare's (`sketch_risk_*`,
created by `stack_floor.py`), so that the option "a hand-written submission path" has a
measured figure instead of an estimate:

1. the link locked by its token hash (`FOR UPDATE`), with its patient and clinic;
2. the answers scored by KetaCare's own scale library and the flag decided by its own rule
   (`clinical.scales.score`, `clinical.risk.decide_flag`), the escalation due time by
   `clinical.escalation.escalation_due`;
3. one statement: the assessment, the risk flag, its crisis record and dosing block, the
   escalation row, the C-SSRS due item, the task that notifies the prescriber and on-call
   clinician (enqueued, not run), and the link updated;
4. the audit chain head locked, then one statement: three chained audit entries
   (assessment recorded, flag raised, submission) and the head moved on;
5. COMMIT, and the 302 the real form answers with.

Left out, so the real thing costs more: the session and CSRF checks of the patient's form
(the view is CSRF-exempt), draft handling and every error path, the step-1 notifications
themselves (rows per recipient and channel, which KetaCare writes in the request), and the
schedule's other due items. Tables stay small. A lower bound, like `sketch.py` for issue 6.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime
from typing import Any

from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from ketacare.clinical import scales
from ketacare.clinical.escalation import EscalationPolicy, escalation_due
from ketacare.clinical.risk import decide_flag

RISK_DDL = [
    "CREATE TABLE sketch_risk_link (id bigserial PRIMARY KEY, token_hash varchar(64) NOT NULL "
    "UNIQUE, patient_id varchar(64) NOT NULL, clinic_id bigint NOT NULL, "
    "scale_codes jsonb NOT NULL, draft jsonb NOT NULL, completed_at timestamptz, "
    "expires_at timestamptz NOT NULL)",
    "CREATE TABLE sketch_risk_assessment (id bigserial PRIMARY KEY, patient_id varchar(64) "
    "NOT NULL, clinic_id bigint NOT NULL, scale_code varchar(20) NOT NULL, answers jsonb NOT "
    "NULL, total smallint, band varchar(40), risk_level varchar(20) NOT NULL, "
    "source varchar(20) NOT NULL, taken_at timestamptz NOT NULL)",
    "CREATE INDEX ON sketch_risk_assessment (patient_id, scale_code, taken_at DESC)",
    "CREATE TABLE sketch_risk_flag (id bigserial PRIMARY KEY, patient_id varchar(64) NOT NULL, "
    "clinic_id bigint NOT NULL, level varchar(10) NOT NULL, source varchar(20) NOT NULL, "
    "reason text NOT NULL, assessment_id bigint REFERENCES sketch_risk_assessment "
    "DEFERRABLE INITIALLY DEFERRED, raised_at timestamptz NOT NULL, status varchar(12) NOT "
    "NULL, requires_cssrs boolean NOT NULL)",
    "CREATE INDEX ON sketch_risk_flag (clinic_id, status, raised_at)",
    "CREATE INDEX ON sketch_risk_flag (patient_id, raised_at DESC)",
    "CREATE TABLE sketch_risk_crisis (id bigserial PRIMARY KEY, patient_id varchar(64) NOT "
    "NULL, flag_id bigint NOT NULL REFERENCES sketch_risk_flag DEFERRABLE INITIALLY DEFERRED, "
    "status varchar(12) NOT NULL, opened_at timestamptz NOT NULL, reason text NOT NULL)",
    "CREATE TABLE sketch_risk_block (id bigserial PRIMARY KEY, patient_id varchar(64) NOT "
    "NULL, flag_id bigint NOT NULL, crisis_id bigint NOT NULL, reason text NOT NULL, "
    "blocked_at timestamptz NOT NULL, blocked_on date NOT NULL)",
    "CREATE INDEX ON sketch_risk_block (patient_id, blocked_on)",
    "CREATE TABLE sketch_risk_escalation (id bigserial PRIMARY KEY, flag_id bigint NOT NULL "
    "UNIQUE, clinic_id bigint NOT NULL, step smallint NOT NULL, due_at timestamptz NOT NULL, "
    "state varchar(10) NOT NULL)",
    "CREATE INDEX ON sketch_risk_escalation (state, due_at)",
    "CREATE TABLE sketch_risk_due (id bigserial PRIMARY KEY, patient_id varchar(64) NOT NULL, "
    "clinic_id bigint NOT NULL, scale_code varchar(20) NOT NULL, due_on date NOT NULL, "
    "reason text NOT NULL, status varchar(12) NOT NULL)",
    "CREATE INDEX ON sketch_risk_due (clinic_id, status, due_on)",
    # django_tasks_database_dbtaskresult, the columns a queued task fills
    "CREATE TABLE sketch_task (id uuid PRIMARY KEY, status varchar(10) NOT NULL, "
    "enqueued_at timestamptz NOT NULL, args_kwargs jsonb NOT NULL, priority smallint NOT "
    "NULL, task_path text NOT NULL, queue_name varchar(32) NOT NULL, run_after timestamptz)",
    "CREATE INDEX ON sketch_task (status, priority DESC, run_after)",
]
RISK_TABLES = (
    "sketch_task, sketch_risk_due, sketch_risk_escalation, sketch_risk_block, "
    "sketch_risk_crisis, sketch_risk_flag, sketch_risk_assessment, sketch_risk_link"
)

LOCK_LINK = (
    "SELECT id, patient_id, clinic_id, scale_codes, draft FROM sketch_risk_link "
    "WHERE token_hash = %s AND expires_at > now() AND completed_at IS NULL FOR UPDATE"
)
WRITE = (
    "WITH a AS (INSERT INTO sketch_risk_assessment (patient_id, clinic_id, scale_code, "
    "answers, total, band, risk_level, source, taken_at) VALUES (%(patient)s, %(clinic)s, "
    "'phq9', %(answers)s, %(total)s, %(band)s, %(risk)s, 'self_report', %(now)s) "
    "RETURNING id), "
    "f AS (INSERT INTO sketch_risk_flag (patient_id, clinic_id, level, source, reason, "
    "assessment_id, raised_at, status, requires_cssrs) SELECT %(patient)s, %(clinic)s, "
    "%(level)s, %(source)s, %(reason)s, a.id, %(now)s, 'open', %(cssrs)s FROM a RETURNING id), "
    "c AS (INSERT INTO sketch_risk_crisis (patient_id, flag_id, status, opened_at, reason) "
    "SELECT %(patient)s, f.id, 'open', %(now)s, %(reason)s FROM f RETURNING id), "
    "b AS (INSERT INTO sketch_risk_block (patient_id, flag_id, crisis_id, reason, blocked_at, "
    "blocked_on) SELECT %(patient)s, f.id, c.id, 'High-risk flag', %(now)s, %(today)s "
    "FROM f, c), "
    "e AS (INSERT INTO sketch_risk_escalation (flag_id, clinic_id, step, due_at, state) "
    "SELECT f.id, %(clinic)s, 1, %(due)s, 'active' FROM f), "
    "d AS (INSERT INTO sketch_risk_due (patient_id, clinic_id, scale_code, due_on, reason, "
    "status) VALUES (%(patient)s, %(clinic)s, 'cssrs_recent', %(today)s, "
    "'PHQ-9 item 9 above 0', 'due')), "
    "t AS (INSERT INTO sketch_task (id, status, enqueued_at, args_kwargs, priority, "
    "task_path, queue_name) SELECT %(task)s, 'READY', %(now)s, jsonb_build_object('args', "
    "jsonb_build_array(f.id)), 0, 'ketacare.safety.tasks.start_escalation', 'default' "
    "FROM f), "
    "l AS (UPDATE sketch_risk_link SET scale_codes = %(codes)s, draft = %(draft)s "
    "WHERE id = %(link)s) "
    "SELECT a.id, f.id FROM a, f"
)
LOCK_HEAD = "SELECT last_seq, last_hash FROM sketch_audit_head WHERE id = 1 FOR UPDATE"
AUDIT = (
    "WITH e AS (INSERT INTO sketch_audit_entry (seq, at, actor_id, actor_label, actor_role, "
    "clinic_id, action, object_type, object_id, patient_id, client_ip, outcome, detail, "
    "prev_hash, entry_hash) SELECT x.seq, %(now)s, NULL, 'patient (self-report link)', '', "
    "%(clinic)s, x.action, x.type, x.object, %(patient)s, %(ip)s, 'ok', x.detail, x.prev, "
    "x.hash FROM jsonb_to_recordset(%(entries)s) AS x(seq bigint, action text, type text, "
    "object text, detail jsonb, prev text, hash text)) "
    "UPDATE sketch_audit_head SET last_seq = %(seq)s, last_hash = %(hash)s WHERE id = 1"
)
POLICY = EscalationPolicy()


def _chain(
    prev_seq: int, prev_hash: str, entries: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], int, str]:
    """Give each entry its seq and its SHA-256 chained on the one before."""
    seq, last = prev_seq, prev_hash
    for entry in entries:
        seq += 1
        payload = json.dumps({"seq": seq, **entry}, sort_keys=True, default=str)
        entry.update(seq=seq, prev=last, hash=hashlib.sha256((last + payload).encode()).hexdigest())
        last = entry["hash"]
    return entries, seq, last


@csrf_exempt
@require_POST
def submit(request: HttpRequest, token: str) -> HttpResponse:
    answers = {f"phq9-{i}": int(request.POST[f"phq9-{i}"]) for i in range(1, 10)}
    result = scales.score("phq9", answers)
    decision = decide_flag("phq9", answers, result.risk_level)
    if decision is None:
        return HttpResponse(status=204)  # the sketch measures only the flagged case
    now = datetime.now(UTC)
    token_hash = hashlib.sha256(token.encode()).hexdigest()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(LOCK_LINK, [token_hash])
        row = cursor.fetchone()
        if row is None:
            return HttpResponse("This link can no longer be used.", status=404)
        link, patient, clinic, codes, draft = row
        codes = json.loads(codes) if isinstance(codes, str) else codes
        draft = json.loads(draft) if isinstance(draft, str) else draft
        meta = {**draft.get("_meta", {}), "crisis": True}
        params = {
            "patient": patient,
            "clinic": clinic,
            "answers": json.dumps(answers),
            "total": result.total,
            "band": result.band or "",
            "risk": result.risk_level or "",
            "now": now,
            "today": now.date(),
            "level": decision.level,
            "source": decision.source,
            "reason": decision.reason,
            "cssrs": decision.requires_cssrs,
            "due": escalation_due(decision.level, now, POLICY).at,
            "task": uuid.uuid4(),
            "codes": json.dumps([*codes, "cssrs_recent"]),
            "draft": json.dumps({"_meta": meta}),
            "link": link,
        }
        cursor.execute(WRITE, params)
        assessment, flag = cursor.fetchone()
        cursor.execute(LOCK_HEAD)
        seq, last = cursor.fetchone()
        entries, seq, last = _chain(
            seq,
            last,
            [
                {
                    "action": "measures.assessment.recorded",
                    "type": "assessment",
                    "object": str(assessment),
                    "detail": {"scale": "phq9", "total": result.total},
                },
                {
                    "action": "safety.flag.raised",
                    "type": "risk_flag",
                    "object": str(flag),
                    "detail": {"level": decision.level, "source": decision.source},
                },
                {
                    "action": "measures.selfreport.submitted",
                    "type": "self_report_link",
                    "object": str(link),
                    "detail": {"scale": "phq9", "assessment": assessment},
                },
            ],
        )
        cursor.execute(
            AUDIT,
            {
                "now": now,
                "clinic": clinic,
                "patient": patient,
                "ip": request.META.get("REMOTE_ADDR", ""),
                "entries": json.dumps(entries),
                "seq": seq,
                "hash": last,
            },
        )
    return HttpResponseRedirect(f"/r/{token}/")
