"""The portal's own home-page cards: what is due, the next visit, unread replies, reading."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from ketacare.portal.home_cards import Card, register


def questionnaires_card(request: Any) -> Card | None:
    from ketacare.portal import questionnaires

    if questionnaires.open_links(request.patient):
        text = "You have a questionnaire to finish."
    elif questionnaires.due_codes(request.patient):
        text = "A questionnaire is due: it takes a few minutes."
    else:
        return None
    return Card("Questionnaire due", text, reverse("portal:questionnaires"), "Answer now", 10)


def appointment_card(request: Any) -> Card | None:
    from ketacare.portal.appointments import upcoming
    from ketacare.scheduling.reminders import local_when

    nxt = upcoming(request.patient).first()
    if nxt is None:
        return None
    return Card(
        "Next appointment",
        f"{nxt.get_type_display()}: {local_when(nxt)}.",
        reverse("portal:appointments"),
        "Details and how to prepare",
        20,
    )


def messages_card(request: Any) -> Card | None:
    from ketacare.portal.messaging import patient_threads

    unread = sum(t.unread for t in patient_threads(request.patient))  # type: ignore[attr-defined]
    if not unread:
        return None
    return Card(
        "New message",
        f"Your care team replied ({unread} new).",
        reverse("portal:messages"),
        "Read",
        30,
    )


def reading_card(request: Any) -> Card | None:
    from ketacare.portal.articles import suggested

    found = suggested(request.patient, limit=1)
    if not found:
        return None
    return Card(
        "Suggested reading",
        found[0].title,
        reverse("portal:article", args=[found[0].pk]),
        "Read",
        40,
    )


def register_all() -> None:
    for card in (questionnaires_card, appointment_card, messages_card, reading_card):
        register(card)
