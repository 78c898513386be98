"""Template helpers of the reporting channel for other apps' pages."""

from django import template

from mitmachen.reports import access

register = template.Library()


@register.filter
def report_channel_open(organisation) -> bool:
    """Whether `organisation` takes reports: its public page links the form only then."""
    return access.channel_open(organisation)
