"""Being written: every view answers 404 until then."""

from django.http import Http404


def programme(request, **kwargs):
    raise Http404


def apply(request, **kwargs):
    raise Http404


def personal(request, **kwargs):
    raise Http404


def answer(request, **kwargs):
    raise Http404


def meeting(request, **kwargs):
    raise Http404


def goal(request, **kwargs):
    raise Http404


def note(request, **kwargs):
    raise Http404


def feedback(request, **kwargs):
    raise Http404


def profile(request, **kwargs):
    raise Http404


def withdraw(request, **kwargs):
    raise Http404
