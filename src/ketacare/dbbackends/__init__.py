"""KetaCare's database engines: Django's own, plus the audit log's commit-time append.

`settings.DATABASES` names `ketacare.dbbackends.postgresql` or `ketacare.dbbackends.sqlite3`;
each is Django's backend of that name with `AuditAtCommit` mixed in (see `audit_commit.py`).
"""
