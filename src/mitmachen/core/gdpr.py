"""A person's data across all apps, for export; each app contributes its part."""

from collections.abc import Callable

from django.utils.module_loading import import_string

CONTRIBUTORS = [
    "mitmachen.people.gdpr.export_part",
    "mitmachen.groups.gdpr.export_part",
]


def collect(contact) -> dict:
    data: dict = {}
    for path in CONTRIBUTORS:
        contributor: Callable = import_string(path)
        data.update(contributor(contact))
    return data
