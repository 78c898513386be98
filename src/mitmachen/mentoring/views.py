"""Being written: every view answers 404 until then."""

from django.http import Http404


def programmes(request, **kwargs):
    raise Http404


def programme_new(request, **kwargs):
    raise Http404


def programme_detail(request, **kwargs):
    raise Http404


def programme_edit(request, **kwargs):
    raise Http404


def application(request, **kwargs):
    raise Http404


def rules(request, **kwargs):
    raise Http404


def matching(request, **kwargs):
    raise Http404


def matching_send(request, **kwargs):
    raise Http404


def pairs(request, **kwargs):
    raise Http404


def pairs_print(request, **kwargs):
    raise Http404
