"""The portal's menu. Another app adds its page with `register(...)` (see README.md)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    order: int = 100


_ITEMS: dict[str, NavItem] = {}


def register(label: str, url_name: str, order: int = 100) -> None:
    """Show a link to `url_name` in the portal menu (idempotent; call from AppConfig.ready)."""
    _ITEMS[url_name] = NavItem(label, url_name, order)


def items() -> list[NavItem]:
    return sorted(_ITEMS.values(), key=lambda item: (item.order, item.label))


register("Appointments", "portal:appointments", 10)
register("Questionnaires", "portal:questionnaires", 20)
register("Progress", "portal:progress", 30)
register("Messages", "portal:messages", 40)
register("Learn", "portal:articles", 50)
register("My record", "portal:record", 60)
