from django.http import Http404


def _todo(*args, **kwargs):
    raise Http404


calendar = detail = register = event_ics_view = series_detail = yearly_plan = personal = \
    my_events = _todo
