"""What the portal home page shows: a few cards, each from one feature. Another app may add
its own card with `register(func)`, where `func(request) -> Card | None`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Card:
    title: str
    text: str
    url: str = ""
    link_text: str = ""
    order: int = 100


_PROVIDERS: list[Callable[[Any], Card | None]] = []


def register(provider: Callable[[Any], Card | None]) -> None:
    if provider not in _PROVIDERS:
        _PROVIDERS.append(provider)


def cards_for(request: Any) -> list[Card]:
    found = [card for card in (p(request) for p in _PROVIDERS) if card is not None]
    return sorted(found, key=lambda card: card.order)
