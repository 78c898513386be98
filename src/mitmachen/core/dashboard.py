"""What needs attention, per role. Each app contributes a function; the dashboard asks them all."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.module_loading import import_string


@dataclass(frozen=True)
class Item:
    text: str
    url: str = ""
    level: str = "info"  # info | warning


CONTRIBUTORS = [
    "mitmachen.organisations.dashboard.items",
    "mitmachen.people.dashboard.items",
    "mitmachen.messaging.dashboard.items",
    "mitmachen.groups.dashboard.items",
    "mitmachen.events.dashboard.items",
    "mitmachen.core.dashboard_items.items",
]


def attention_items(user, organisation, roles: set[str]) -> list[Item]:
    found: list[Item] = []
    for path in CONTRIBUTORS:
        contributor: Callable = import_string(path)
        found.extend(contributor(user, organisation, roles))
    return found
