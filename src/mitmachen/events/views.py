from django.http import Http404


def _todo(*args, **kwargs):
    raise Http404


staff_list = staff_create = topics = series_create = series_edit = staff_detail = staff_edit = \
    status = staff_register = checkin = checkin_print = export = registration_action = _todo
