"""The public "join this group" form, for people without a login (seed 000: "Willst Du
Kontakt zu einer der Gruppen…?")."""

from django import forms
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from mitmachen.core import throttle
from mitmachen.core.errors import add_to_form
from mitmachen.groups import services
from mitmachen.groups.models import Group
from mitmachen.people import notifications
from mitmachen.people.public import _confirm


class PublicJoinForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=100)
    last_name = forms.CharField(label=_("Last name (optional)"), max_length=100, required=False)
    email = forms.EmailField(label=_("E-mail"), max_length=254)
    message = forms.CharField(label=_("A few words to the coordinators (optional)"),
                              max_length=2000, required=False,
                              widget=forms.Textarea(attrs={"rows": 3}))
    privacy = forms.BooleanField(label=_("I agree that my data is stored to pass my request "
                                         "on to the group (privacy notice)."))
    website = forms.CharField(required=False, label=_("Leave this field empty"),
                              widget=forms.TextInput(attrs={"autocomplete": "off",
                                                            "tabindex": "-1"}))


def _public_group(slug, pk):
    return get_object_or_404(
        Group.objects.select_related("organisation").exclude(status=Group.Status.DISSOLVED)
        .exclude(audience=Group.Audience.MEMBERS),
        pk=pk, organisation__slug=slug, organisation__is_public=True,
        visibility=Group.Visibility.PUBLIC)


@require_http_methods(["GET", "POST"])
def join(request, slug, pk):
    group = _public_group(slug, pk)
    form = PublicJoinForm(request.POST or None)
    if request.method == "POST" and request.POST.get("website"):
        return redirect("groups:public_join_sent", slug=slug, pk=pk)
    if request.method == "POST":
        if throttle.form_limited(request, "group-join"):
            form.add_error(None, _("Too many requests from here. Please try again later."))
        elif form.is_valid():
            data = {key: form.cleaned_data[key] for key in ("first_name", "last_name", "email")}
            try:
                join_request, token = services.public_join_request_create(
                    group=group, data=data, message=form.cleaned_data["message"])
            except ValidationError as exc:
                add_to_form(form, exc)
            else:
                if join_request is not None:
                    notifications.join_request_received(request, join_request, token)
                return redirect("groups:public_join_sent", slug=slug, pk=pk)
    return render(request, "groups/public_join.html", {"group": group, "form": form})


def join_sent(request, slug, pk):
    return render(request, "groups/public_join_sent.html", {"group": _public_group(slug, pk)})


@require_http_methods(["GET", "POST"])
def join_confirm(request, token):
    return _confirm(request, token, services.public_join_request_confirm,
                    "groups/public_join_confirm.html")
