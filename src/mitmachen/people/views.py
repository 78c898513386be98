from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mitmachen.core import permissions
from mitmachen.core.audit import audit_read, audit_record
from mitmachen.core.errors import add_to_form, text_of
from mitmachen.core.models import AuditEntry, Job
from mitmachen.core.paging import page_of
from mitmachen.core.roles import Perm
from mitmachen.core.tenancy import owned_or_404, staff_organisation
from mitmachen.people import (
    applications,
    bulk,
    exports,
    filtering,
    gdpr,
    notifications,
    selectors,
    services,
)
from mitmachen.people.forms import (
    BulkForm,
    ConsentForm,
    ContactForm,
    DecisionForm,
    StatusChangeForm,
)
from mitmachen.people.models import Contact, MembershipApplication

NOT_SAVED = "Please correct the errors below. Nothing was saved."


@login_required
def contact_list(request, slug):
    organisation = staff_organisation(request, slug, Perm.CONTACT_VIEW)
    form, contacts = filtering.filtered(request.GET, organisation)
    export = request.GET.get("export")
    if export in {"csv", "xlsx"}:
        permissions.require(request, Perm.CONTACT_EXPORT, organisation)
        if form.is_bound and not form.is_valid():
            # Never fall back to "everyone" when the filter cannot be read.
            messages.error(request, _("The filter is not valid, so nothing was exported."))
            return redirect("people:contact_list", slug=slug)
        audit_record(actor=request.user, action=AuditEntry.Action.EXPORT,
                     organisation=organisation,
                     object_repr=f"contacts ({export}): {filtering.described(form)}"[:200],
                     changes={"count": contacts.count()})
        stamp = timezone.localtime().strftime("%Y-%m-%d")
        if export == "csv":
            response = HttpResponse(exports.as_csv(contacts), content_type="text/csv")
        else:
            response = HttpResponse(exports.as_xlsx(contacts), content_type=(
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
        response["Content-Disposition"] = f'attachment; filename="contacts-{slug}-{stamp}.{export}"'
        return response
    page = page_of(contacts.only(*selectors.LIST_FIELDS), request.GET.get("page"),
                   selective=bool(request.GET.get("q", "").strip()))
    audit_read(actor=request.user, organisation=organisation,
               what=f"contact list: {filtering.described(form)}"[:200])
    context = {
        "organisation": organisation, "form": form, "page": page,
        "may_change": permissions.can(request.user, Perm.CONTACT_CHANGE, organisation),
        "may_export": permissions.can(request.user, Perm.CONTACT_EXPORT, organisation),
        "bulk_form": BulkForm(organisation=organisation),
    }
    template = "people/_contact_table.html" if request.htmx_target == "results" else \
        "people/contact_list.html"
    return render(request, template, context)


@login_required
def contact_detail(request, slug, pk):
    organisation = staff_organisation(request, slug, Perm.CONTACT_VIEW)
    contact = owned_or_404(Contact.objects.filter(erased_at__isnull=True), organisation, pk=pk)
    audit_read(actor=request.user, obj=contact, organisation=organisation, what=str(contact))
    history = AuditEntry.objects.filter(object_type="people.contact", object_id=str(contact.pk))
    return render(request, "people/contact_detail.html", {
        "organisation": organisation, "contact": contact,
        "status_changes": contact.status_changes.select_related("recorded_by"),
        "consents": sorted(selectors.consent_state(contact).values(),
                           key=lambda c: (c.channel, c.purpose)),
        "consent_log": contact.consents.select_related("recorded_by")[:50],
        "groups": contact.group_memberships.select_related("group"),
        "join_requests": contact.join_requests.select_related("group"),
        "history": history[:50],
        "may_change": permissions.can(request.user, Perm.CONTACT_CHANGE, organisation),
        "status_form": StatusChangeForm(initial={"status": contact.status}),
        "consent_form": ConsentForm(),
    })


@login_required
def contact_edit(request, slug, pk=None):
    organisation = staff_organisation(request, slug, Perm.CONTACT_CHANGE)
    contact = owned_or_404(Contact.objects.filter(erased_at__isnull=True), organisation,
                           pk=pk) if pk else None
    form = ContactForm(request.POST or None, instance=contact, organisation=organisation)
    if contact is not None and request.method == "GET":
        audit_read(actor=request.user, obj=contact, organisation=organisation,
                   what=f"{contact} (edit form)")
    if request.method == "POST" and form.is_valid():
        data = {field: form.cleaned_data[field] for field in services.CONTACT_FIELDS}
        try:
            if contact is None:
                contact = services.contact_create(organisation=organisation, data=data,
                                                  actor=request.user)
            else:
                services.contact_update(contact=Contact.objects.get(pk=contact.pk), data=data,
                                        actor=request.user)
        except ValidationError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("The contact has been saved."))
            return redirect(contact.get_absolute_url())
    if request.method == "POST":
        messages.error(request, _(NOT_SAVED))
    return render(request, "people/contact_form.html",
                  {"organisation": organisation, "form": form, "contact": contact})


@login_required
@require_POST
def contact_status(request, slug, pk):
    organisation = staff_organisation(request, slug, Perm.CONTACT_CHANGE)
    contact = owned_or_404(Contact.objects.filter(erased_at__isnull=True), organisation, pk=pk)
    form = StatusChangeForm(request.POST)
    if form.is_valid():
        try:
            services.status_change(
                contact=contact, to_status=form.cleaned_data["status"], actor=request.user,
                reason=form.cleaned_data["reason"],
                membership_number=form.cleaned_data["membership_number"] or None)
        except ValidationError as exc:
            messages.error(request, text_of(exc))
        else:
            messages.success(request, _("The status has been changed."))
    else:
        messages.error(request, _(NOT_SAVED))
    return redirect(contact.get_absolute_url())


@login_required
@require_POST
def contact_consent(request, slug, pk):
    organisation = staff_organisation(request, slug, Perm.CONTACT_CHANGE)
    contact = owned_or_404(Contact.objects.filter(erased_at__isnull=True), organisation, pk=pk)
    form = ConsentForm(request.POST)
    if form.is_valid():
        services.consent_record(contact=contact, source="staff", actor=request.user,
                                **form.cleaned_data)
        messages.success(request, _("The consent has been recorded."))
    else:
        messages.error(request, _(NOT_SAVED))
    return redirect(contact.get_absolute_url())


@login_required
@require_POST
def contact_bulk(request, slug):
    organisation = staff_organisation(request, slug, Perm.CONTACT_CHANGE)
    data = request.POST.copy()
    if data.get("scope") == "all":
        # Everything the list's filter matches, however many pages.
        filter_form, matching = filtering.filtered(QueryDict(data.get("query", "")), organisation)
        if filter_form.is_bound and not filter_form.is_valid():
            messages.error(request, _("The filter is not valid, so nothing was changed."))
            return redirect("people:contact_list", slug=slug)
        data["contacts"] = ",".join(str(pk) for pk in matching.values_list("pk", flat=True))
    else:
        data["contacts"] = ",".join(data.getlist("contact"))
    form = BulkForm(data, organisation=organisation)
    if not form.is_valid():
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
        return redirect("people:contact_list", slug=slug)
    data = form.cleaned_data
    params = ({"group_id": data["group"].pk} if data["action"] == "add_to_group"
              else {"status": data["status"]})
    try:
        job = bulk.bulk_start(organisation=organisation, contact_ids=data["contacts"],
                              action=data["action"], params=params, actor=request.user)
    except ValidationError as exc:
        messages.error(request, text_of(exc))
        return redirect("people:contact_list", slug=slug)
    return redirect("people:job", slug=slug, pk=job.pk)


@login_required
def job_progress(request, slug, pk):
    organisation = staff_organisation(request, slug, Perm.CONTACT_VIEW)
    job = get_object_or_404(Job, organisation=organisation, pk=pk, created_by=request.user)
    template = "people/_job.html" if request.htmx_target == "job" else "people/job.html"
    return render(request, template, {"organisation": organisation, "job": job})


@login_required
def contact_export(request, slug, pk):
    organisation = staff_organisation(request, slug, Perm.CONTACT_EXPORT)
    contact = owned_or_404(Contact.objects.filter(erased_at__isnull=True), organisation, pk=pk)
    fmt = request.GET.get("format")
    if fmt not in {"json", "pdf"}:
        return render(request, "people/contact_export.html",
                      {"organisation": organisation, "contact": contact})
    content = gdpr.contact_export(contact=contact, actor=request.user, fmt=fmt)
    response = HttpResponse(content, content_type="application/json" if fmt == "json"
                            else "application/pdf")
    response["Content-Disposition"] = f'attachment; filename="contact-{contact.pk}.{fmt}"'
    return response


@login_required
def contact_erase(request, slug, pk):
    organisation = staff_organisation(request, slug, Perm.CONTACT_ERASE)
    contact = owned_or_404(Contact.objects.filter(erased_at__isnull=True), organisation, pk=pk)
    if request.method == "POST":
        if request.POST.get("confirm") != contact.full_name:
            messages.error(request, _("Type the full name to confirm. Nothing was erased."))
        else:
            gdpr.contact_erase(contact=contact, actor=request.user)
            messages.success(request, _("The contact's data has been erased."))
            return redirect("people:contact_list", slug=slug)
    return render(request, "people/contact_erase.html",
                  {"organisation": organisation, "contact": contact})


@login_required
def application_queue(request, slug):
    organisation = staff_organisation(request, slug, Perm.MEMBERSHIP_DECIDE)
    pending = MembershipApplication.objects.filter(
        contact__organisation=organisation, status=MembershipApplication.Status.PENDING
    ).select_related("contact")
    audit_read(actor=request.user, organisation=organisation, what="membership applications")
    return render(request, "people/applications.html", {
        "organisation": organisation, "applications": pending, "form": DecisionForm()})


@login_required
@require_POST
def application_decide(request, slug, pk):
    organisation = staff_organisation(request, slug, Perm.MEMBERSHIP_DECIDE)
    application = get_object_or_404(MembershipApplication.objects.select_related("contact"),
                                    pk=pk, contact__organisation=organisation)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _(NOT_SAVED))
        return redirect("people:application_queue", slug=slug)
    accept = form.cleaned_data["decision"] == "accept"
    try:
        with transaction.atomic():
            decided = applications.application_decide(
                application=application, accept=accept, answer=form.cleaned_data["answer"],
                membership_number=form.cleaned_data["membership_number"], actor=request.user)
            new_account = False
            if accept:
                _user, new_account = services.contact_account_link(contact=decided.contact,
                                                                   actor=request.user)
            notifications.application_decided(request, decided, new_account)
    except ValidationError as exc:
        messages.error(request, text_of(exc))
    else:
        messages.success(request, _("The decision has been saved and the applicant has been "
                                    "notified."))
    return redirect("people:application_queue", slug=slug)


@login_required
@require_POST
def contact_account(request, slug, pk):
    """Give a contact a login, so they can manage their profile, consents and groups."""
    organisation = staff_organisation(request, slug, Perm.CONTACT_CHANGE)
    contact = owned_or_404(Contact.objects.filter(erased_at__isnull=True), organisation, pk=pk)
    try:
        with transaction.atomic():
            _user, created = services.contact_account_link(contact=contact, actor=request.user)
            notifications.account_ready(request, contact, created)
    except ValidationError as exc:
        messages.error(request, text_of(exc))
    else:
        messages.success(request, _("%(email)s has been sent a link to log in.")
                         % {"email": contact.email})
    return redirect(contact.get_absolute_url())
