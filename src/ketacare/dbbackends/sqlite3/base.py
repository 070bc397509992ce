"""Django's SQLite backend with commit-time audit appends (see ../audit_commit.py)."""

from django.db.backends.sqlite3 import base

from ketacare.dbbackends.audit_commit import AuditAtCommit


class DatabaseWrapper(AuditAtCommit, base.DatabaseWrapper):
    pass
