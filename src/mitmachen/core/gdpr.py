"""A person's data across all apps, for export; each app contributes its part."""

from collections.abc import Callable

from django.utils.module_loading import import_string

CONTRIBUTORS = [
    "mitmachen.people.gdpr.export_part",
    "mitmachen.groups.gdpr.export_part",
    "mitmachen.events.gdpr.export_part",
    "mitmachen.messaging.gdpr.export_part",
    "mitmachen.assemblies.gdpr.export_part",
    "mitmachen.mentoring.gdpr.export_part",
]
# Each app removes its part of a person in the erasure transaction (people/gdpr.py).
ERASERS = [
    "mitmachen.groups.gdpr.erase_part",
    "mitmachen.events.gdpr.erase_part",
    "mitmachen.mentoring.gdpr.erase_part",
    "mitmachen.messaging.gdpr.erase_part",
    "mitmachen.assemblies.gdpr.erase_part",
]


def erase(contact) -> None:
    for path in ERASERS:
        import_string(path)(contact)


def collect(contact) -> dict:
    data: dict = {}
    for path in CONTRIBUTORS:
        contributor: Callable = import_string(path)
        data.update(contributor(contact))
    return data
