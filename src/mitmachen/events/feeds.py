from django.http import Http404


def _todo(*args, **kwargs):
    raise Http404


organisation_ics = group_ics = topic_ics = organisation_atom = personal_ics = _todo
