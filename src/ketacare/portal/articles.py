"""Education articles: a plain-text body rendered safely, and which articles suit a patient.

The body is plain text with three conventions: a blank line starts a paragraph, a line
starting "## " is a heading, lines starting "- " form a list. Everything is escaped: no HTML
from the editor ever reaches a page, and no script is needed.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import Actor, record
from ketacare.accounts.models import Clinic, User
from ketacare.core import submission
from ketacare.patients.models import DiagnosisStatus, Patient
from ketacare.plans.models import PlanStatus, TreatmentPlan
from ketacare.portal.models import Article, Stage

# What the new-article form's one-time key is for (core/submission.py `scope`), with the clinic.
ONCE_ARTICLE = "portal.article"


def render_body(text: str) -> SafeString:
    """Paragraphs, "## " headings and "- " lists, every character escaped."""
    html: list[str] = []
    for block in [b for b in text.replace("\r\n", "\n").split("\n\n") if b.strip()]:
        lines = [line.rstrip() for line in block.strip().split("\n")]
        if all(line.startswith("- ") for line in lines):
            items = "".join(f"<li>{escape(line[2:].strip())}</li>" for line in lines)
            html.append(f"<ul>{items}</ul>")
        elif lines[0].startswith("## ") and len(lines) == 1:
            html.append(f"<h2>{escape(lines[0][3:].strip())}</h2>")
        else:
            html.append("<p>" + "<br>".join(escape(line) for line in lines) + "</p>")
    return mark_safe("\n".join(html))  # noqa: S308  # every piece above is escaped


def patient_stage(patient: Patient) -> str:
    plan = (
        TreatmentPlan.objects.filter(patient=patient)
        .exclude(status=PlanStatus.DRAFT)
        .order_by("-pk")
        .first()
    )
    if plan is None or plan.status != PlanStatus.ACTIVE:
        return Stage.BEFORE if plan is None else Stage.MAINTENANCE
    return Stage.INDUCTION if plan.phase == "induction" else Stage.MAINTENANCE


def patient_conditions(patient: Patient) -> list[str]:
    return [
        d.icd10_code.upper() for d in patient.diagnoses.exclude(status=DiagnosisStatus.RESOLVED)
    ]


def _fits(article: Article, codes: list[str], stage: str) -> bool:
    stage_ok = not article.stages or stage in article.stages or Stage.ANY in article.stages
    prefixes = [c.upper() for c in article.conditions]
    condition_ok = not prefixes or any(code.startswith(p) for p in prefixes for code in codes)
    return stage_ok and condition_ok


def published(clinic: Clinic) -> QuerySet[Article]:
    return Article.objects.filter(clinic=clinic, published=True)


def suggested(patient: Patient, limit: int = 3) -> list[Article]:
    codes, stage = patient_conditions(patient), patient_stage(patient)
    fitting = [a for a in published(patient.clinic) if _fits(a, codes, stage)]
    # Articles tagged for this very stage or condition first, general ones after.
    fitting.sort(key=lambda a: (not a.stages, not a.conditions, a.title))
    return fitting[:limit]


def clean_tags(raw: str, allowed: set[str] | None = None, field: str = "tags") -> list[str]:
    tags = [t.strip() for t in raw.replace(";", ",").split(",") if t.strip()]
    if allowed is not None:
        unknown = [t for t in tags if t not in allowed]
        if unknown:
            raise ActionError(field, f"Unknown value(s): {', '.join(unknown)}.")
    return list(dict.fromkeys(tags))


def article_problems(data: dict[str, object]) -> list[tuple[str, str]]:
    """Every (field, message) wrong with an article, so the editor shows them all at once."""
    problems: list[tuple[str, str]] = []
    title = str(data.get("title", "")).strip()
    if not title:
        problems.append(("title", "Give the article a title."))
    elif len(title) > 150:
        problems.append(("title", f"The title can be at most 150 characters ({len(title)})."))
    if len(str(data.get("summary", "")).strip()) > 300:
        problems.append(("summary", "The summary can be at most 300 characters."))
    if not str(data.get("body", "")).strip():
        problems.append(("body", "Write the article's text."))
    conditions = clean_tags(str(data.get("conditions", "")))
    bad_codes = [c for c in conditions if not c[:1].isalpha() or len(c) > 8]
    if bad_codes:
        listed = ", ".join(f"“{c}”" for c in bad_codes)
        problems.append(
            ("conditions", f"{listed}: not an ICD-10 code or prefix (such as F32 or F43.1).")
        )
    stages = [str(s) for s in data.get("stages", []) or []]  # type: ignore[attr-defined]
    if [s for s in stages if s not in Stage.values]:
        problems.append(("stages", "Tick only the stages offered."))
    return problems


def do_save_article(
    actor: Actor,
    user: User,
    clinic: Clinic,
    article: Article | None,
    data: dict[str, object],
    *,
    once: str = "",
) -> Article:
    """Create (`article` None) or edit an article. A create stores `once`, the editor's
    one-time submission key (core/submission.py), with it: Save pressed twice makes one."""
    problems = article_problems(data)
    if problems:
        raise ActionError(*problems[0])
    title = str(data.get("title", "")).strip()
    body = str(data.get("body", "")).strip()
    summary = str(data.get("summary", "")).strip()
    conditions = [c.upper() for c in clean_tags(str(data.get("conditions", "")))]
    stages = [str(s) for s in data.get("stages", []) or []]  # type: ignore[attr-defined]
    now = timezone.now()
    with transaction.atomic():
        if article is None:
            article = Article(clinic=clinic, created_at=now)
        article.title, article.summary, article.body = title, summary, body
        article.conditions, article.stages = conditions, stages
        article.updated_by, article.updated_at = user, now
        creating = article.pk is None
        article.save()
        if creating:
            submission.remember(actor, once, submission.scope(ONCE_ARTICLE, clinic.pk), article.pk)
        record(
            actor,
            "portal.article.saved",
            object_type="article",
            object_id=article.pk,
            clinic_id=clinic.pk,
        )
    return article


def do_set_published(actor: Actor, article: Article, published_now: bool) -> None:
    with transaction.atomic():
        article.published = published_now
        if published_now and article.published_at is None:
            article.published_at = timezone.now()
        article.save(update_fields=["published", "published_at"])
        record(
            actor,
            "portal.article.published" if published_now else "portal.article.unpublished",
            object_type="article",
            object_id=article.pk,
            clinic_id=article.clinic_id,
        )
