"""Template helpers of the mentoring pages, and the list of open programmes for an
organisation's public page."""

from django import template

from mitmachen.mentoring import vocabulary
from mitmachen.mentoring.models import Programme

register = template.Library()

_VOCABULARIES = {
    "fields": vocabulary.Field, "bodies": vocabulary.Body, "activities": vocabulary.Activity,
    "times": vocabulary.TimeSlot, "languages": vocabulary.Language, "needs": vocabulary.Need,
    "offers": vocabulary.Need, "requires": vocabulary.Requirement, "gender": vocabulary.Gender,
}


@register.filter
def open_mentoring(organisation) -> list[Programme]:
    """The organisation's programmes that take applications now (status open)."""
    if organisation is None:
        return []
    return list(Programme.objects.filter(organisation=organisation,
                                         status=Programme.Status.OPEN)
                .order_by("cohort_starts", "title"))


@register.filter
def labels(keys, kind: str) -> str:
    """Vocabulary keys of a profile ("fields", "times", ...) in words, comma-separated;
    a single key (gender) too."""
    choices = dict(_VOCABULARIES[kind].choices)
    if isinstance(keys, str):
        return str(choices.get(keys, keys))
    return ", ".join(str(choices.get(key, key)) for key in keys or [])
