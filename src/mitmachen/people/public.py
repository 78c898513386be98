"""Public pages of the people app: "Mitglied werden" and e-mail confirmations."""

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from mitmachen.core import throttle
from mitmachen.core.errors import add_to_form
from mitmachen.organisations.models import Organisation
from mitmachen.people import applications, notifications, services
from mitmachen.people.forms import ApplicationForm
from mitmachen.people.models import Consent

FIELDS = ["first_name", "last_name", "pronouns", "email", "phone", "street", "postcode", "city"]


@require_http_methods(["GET", "POST"])
def apply(request, slug):
    organisation = get_object_or_404(Organisation, slug=slug, is_public=True)
    form = ApplicationForm(request.POST or None)
    if request.method == "POST" and request.POST.get("website"):
        # A bot filled the hidden field: answer as usual, keep and send nothing.
        return redirect("people:application_sent", slug=slug)
    if request.method == "POST":
        if throttle.form_limited(request, "apply"):
            form.add_error(None, _("Too many applications from here. Please try again later."))
        elif form.is_valid():
            consents = ([(Consent.Channel.EMAIL, Consent.Purpose.INVITATIONS)]
                        if form.cleaned_data["invitations"] else [])
            try:
                application, token = applications.application_submit(
                    organisation=organisation,
                    data={field: form.cleaned_data[field] for field in FIELDS},
                    message=form.cleaned_data["message"], consents=consents)
            except ValidationError as exc:
                add_to_form(form, exc)
            else:
                if application is None:
                    notifications.already_member(request, organisation,
                                                 form.cleaned_data["email"])
                else:
                    notifications.application_received(request, application.contact, token)
                return redirect("people:application_sent", slug=slug)
    return render(request, "people/apply.html", {"organisation": organisation, "form": form})


def application_sent(request, slug):
    organisation = get_object_or_404(Organisation, slug=slug, is_public=True)
    return render(request, "people/application_sent.html", {"organisation": organisation})


def _confirm(request, token, confirm, template):
    # A GET only shows a button: mail scanners follow links, people press buttons.
    error = None
    done = None
    if request.method == "POST":
        try:
            done = confirm(token=token)
        except ValidationError as exc:
            error = " ".join(exc.messages)
    return render(request, template, {"done": done, "error": error}, status=400 if error else 200)


@require_http_methods(["GET", "POST"])
def application_confirm(request, token):
    return _confirm(request, token, applications.application_confirm,
                    "people/application_confirm.html")


@require_http_methods(["GET", "POST"])
def consent_confirm(request, token):
    return _confirm(request, token, services.consent_confirm, "people/consent_confirm.html")
