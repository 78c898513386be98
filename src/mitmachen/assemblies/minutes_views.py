"""The minute-taker's pages: generate the draft, edit it, approve it, print it as PDF."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from mitmachen.assemblies import minutes as service
from mitmachen.assemblies.access import staff_assembly
from mitmachen.assemblies.models import Minutes
from mitmachen.core.audit import audit_read
from mitmachen.core.errors import add_to_form, text_of


class MinutesForm(forms.Form):
    text = forms.CharField(label=gettext_lazy("Minutes"), max_length=service.MAX_CHARS,
                           widget=forms.Textarea(attrs={"rows": 30}))


def _assembly(request, slug, pk):
    return staff_assembly(request, slug, pk, minutes_ok=True)


@login_required
def minutes(request, slug, pk):
    assembly = _assembly(request, slug, pk)
    record = Minutes.objects.filter(assembly=assembly).first()
    form = MinutesForm(request.POST or None, initial={"text": record.text if record else ""})
    if request.method == "POST" and record is not None and form.is_valid():
        try:
            service.minutes_update(minutes=record, text=form.cleaned_data["text"],
                                   actor=request.user)
        except ValidationError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("The minutes have been saved."))
            return redirect("assemblies:minutes", slug=slug, pk=pk)
    if request.method == "POST":
        messages.error(request, _("Please correct the errors below. Nothing was saved."))
    if record is not None:
        # The minutes name who attended and spoke: a read of personal data.
        audit_read(actor=request.user, obj=record, organisation=assembly.organisation,
                   what="minutes")
    return render(request, "assemblies/minutes.html", {
        "assembly": assembly, "organisation": assembly.organisation, "tab": "minutes",
        "record": record, "form": form})


@login_required
@require_POST
def minutes_generate(request, slug, pk):
    assembly = _assembly(request, slug, pk)
    try:
        service.minutes_generate(assembly=assembly, actor=request.user,
                                 replace=request.POST.get("replace") == "1")
    except ValidationError as exc:
        messages.error(request, text_of(exc))
    else:
        messages.success(request, _("The draft has been generated from the record."))
    return redirect("assemblies:minutes", slug=slug, pk=pk)


@login_required
@require_POST
def minutes_approve(request, slug, pk):
    assembly = _assembly(request, slug, pk)
    record = Minutes.objects.filter(assembly=assembly).first()
    if record is None:
        messages.error(request, _("There are no minutes yet."))
    else:
        try:
            service.minutes_approve(minutes=record, actor=request.user)
        except ValidationError as exc:
            messages.error(request, text_of(exc))
        else:
            messages.success(request, _("The minutes are approved."))
    return redirect("assemblies:minutes", slug=slug, pk=pk)


@login_required
def minutes_pdf(request, slug, pk):
    assembly = _assembly(request, slug, pk)
    record = Minutes.objects.filter(assembly=assembly).first()
    if record is None:
        messages.error(request, _("There are no minutes yet."))
        return redirect("assemblies:minutes", slug=slug, pk=pk)
    audit_read(actor=request.user, obj=record, organisation=assembly.organisation,
               what="minutes PDF")
    response = HttpResponse(service.minutes_pdf(record), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="protokoll-{assembly.event.starts_at:%Y-%m-%d}.pdf"')
    return response


urlpatterns = [
    path("staff/<slug:slug>/assemblies/<int:pk>/minutes/", minutes, name="minutes"),
    path("staff/<slug:slug>/assemblies/<int:pk>/minutes/generate/", minutes_generate,
         name="minutes_generate"),
    path("staff/<slug:slug>/assemblies/<int:pk>/minutes/approve/", minutes_approve,
         name="minutes_approve"),
    path("staff/<slug:slug>/assemblies/<int:pk>/minutes.pdf", minutes_pdf,
         name="minutes_pdf"),
]
