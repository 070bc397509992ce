"""The crisis resources on every portal page, and its "I need help now" button.

`{% crisis_bar %}` (top of every page), `{% crisis_panel %}` (the full list; an alert after a
risk answer), `{% crisis_footer %}` and `{% crisis_resources as crisis %}` show the signed-in
patient's clinic's resources: its country's lines, its crisis number and hours
(`safety.resources.crisis_context`, the same as the /r/ pages). Before sign-in the clinic is
unknown and the built-in US lines show.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import template
from django.urls import NoReverseMatch, reverse

from ketacare.portal.help_ticket import ticket_for
from ketacare.safety.resources import crisis_context

register = template.Library()

# How many lines with a phone number the bar shows (the panel shows all of them).
BAR_LINES = 2


def _resources(request: Any) -> dict[str, Any]:
    """The clinic's crisis resources, read once per request (bar, panel and footer share it)."""
    found = getattr(request, "_portal_crisis", None)
    if found is None:
        clinic = getattr(request, "portal_clinic", None)
        found = {"crisis_clinic": clinic, **crisis_context(clinic)}
        if request is not None:
            request._portal_crisis = found
    return found


def help_action(request: Any) -> str:
    """Where the page's "I need help now" posts ("" before sign-in: no patient to flag)."""
    if getattr(request, "patient", None) is None:
        return ""
    return f"{reverse('portal:help_now')}?{urlencode({'page': request.path})}"


def help_ticket(request: Any) -> str:
    """The form's ticket (a hidden field, so never in an access log): a press sent after the
    idle sign-out still reaches the care team (`portal.help_ticket`)."""
    account = getattr(request, "portal_account", None)
    return ticket_for(account) if account is not None else ""


def _with_button(context: Any, show_help: bool) -> dict[str, Any]:
    request = context.get("request")
    return {
        **_resources(request),
        # An inclusion tag's template does not see the page's context: pass the CSRF token.
        "csrf_token": context.get("csrf_token"),
        "help_action": help_action(request) if show_help else "",
        "help_ticket": help_ticket(request) if show_help else "",
    }


@register.inclusion_tag("portal/_crisis_bar.html", takes_context=True)
def crisis_bar(context: Any) -> dict[str, Any]:
    found = _with_button(context, show_help=True)
    found["bar_lines"] = [line for line in found["crisis_lines"] if line.tel][:BAR_LINES]
    return found


@register.inclusion_tag("portal/_crisis_panel.html", takes_context=True)
def crisis_panel(context: Any, open_now: bool = False, show_help: bool = True) -> dict[str, Any]:
    """The full list of crisis lines; `open_now` shows it as an alert (after a risk answer)."""
    return {**_with_button(context, show_help), "open_now": open_now}


@register.simple_tag(takes_context=True)
def crisis_resources(context: Any) -> dict[str, Any]:
    """`{% crisis_resources as crisis %}`: the same resources for a page's own wording."""
    return _resources(context.get("request"))


@register.inclusion_tag("portal/_crisis_footer.html", takes_context=True)
def crisis_footer(context: Any) -> dict[str, Any]:
    return _resources(context.get("request"))


@register.simple_tag
def portal_nav_links() -> list[dict[str, str]]:
    """The menu entries registered in `ketacare.portal.nav` whose URL exists."""
    from ketacare.portal import nav

    links = []
    for item in nav.items():
        try:
            links.append({"label": item.label, "url": reverse(item.url_name)})
        except NoReverseMatch:
            continue
    return links
