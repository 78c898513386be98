"""Staff pages for calling an assembly: the list, creating one (with or without an event planned
before), its overview and status, its agenda with documents, who takes part, the organisation's
statutes for assemblies and its register of resolutions.

Every page looks the assembly up within the organisation of the URL (access.staff_assembly), so
another organisation's ids answer 404."""

from __future__ import annotations

import mimetypes
from collections import defaultdict
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, prefetch_related_objects
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from mitmachen.assemblies import access, selectors, services
from mitmachen.assemblies.forms import (
    AssemblyCreateForm,
    AssemblyForm,
    DocumentForm,
    GuestForm,
    ItemForm,
    ResolutionFilterForm,
    RulesForm,
    SearchForm,
    StatusForm,
)
from mitmachen.assemblies.models import (
    AgendaDocument,
    AgendaItem,
    Assembly,
    Invitation,
    Participant,
    Resolution,
    Vote,
)
from mitmachen.core.audit import audit_read
from mitmachen.core.errors import add_to_form, text_of
from mitmachen.core.paging import page_of
from mitmachen.core.permissions import can, require
from mitmachen.core.roles import Perm
from mitmachen.core.tenancy import staff_organisation
from mitmachen.events import services as event_services
from mitmachen.events.models import Event

NOT_SAVED = gettext_lazy("Please correct the errors below. Nothing was saved.")
# The services' own refusal (services.lock_open), said before a form of a closed assembly is read.
CLOSED = gettext_lazy("The assembly is closed; its record can no longer change.")
PER_PAGE = 50
PRINT_MAX = 2000
S = Assembly.Status


def _today_start():
    """Midnight in Berlin: an assembly of today still counts as upcoming on the day."""
    return timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)


def lead_forecast(assembly: Assembly, now=None) -> str:
    """Before any invitation: what inviting today would mean for the statutory lead time, as
    a forecast ("If you invite today ..."); "" when today is early enough or the day is past.
    The same count as services.lead_time_problem(assembly, at=now), which words what happened."""
    starts = timezone.localdate(assembly.event.starts_at)
    days = (starts - timezone.localdate(now or timezone.now())).days
    if days < 0 or days >= assembly.lead_days:
        return ""
    by = formats.date_format(starts - timedelta(days=assembly.lead_days), "SHORT_DATE_FORMAT")
    return ngettext(
        "If you invite today, that is only %(days)d day ahead: the statutes require %(lead)d "
        "days (invite by %(by)s).",
        "If you invite today, that is only %(days)d days ahead: the statutes require %(lead)d "
        "days (invite by %(by)s).", days) % {"days": days, "lead": assembly.lead_days, "by": by}


def lead_warning(assembly: Assembly) -> str:
    """The lead-time warning where it means something: invitations sent too late, or an
    assembly still in preparation whose date is already too near to invite in time (said as a
    forecast). An assembly past its date that was never invited through here has nothing to
    warn about."""
    if assembly.invited_at is not None:
        return services.lead_time_problem(assembly)
    if assembly.status == S.PREPARING and assembly.event.starts_at >= timezone.now():
        return lead_forecast(assembly)
    return ""


def session_warning(assembly: Assembly, invitations: int) -> str:
    """Why opening the session may be challenged: nobody was invited through this platform, or
    the invitations broke the statutory lead time. "" when the invitation was in order."""
    if not invitations:
        return _("Nobody has been invited: no invitation was sent from the invitation page.")
    problem = services.lead_time_problem(assembly)
    return _("The lead time was not kept. %(problem)s") % {"problem": problem} if problem else ""


def closed_refusal(request, assembly: Assembly, back):
    """A closed assembly's record is final: refuse a change before any form is read, with the
    services' own message. None while the assembly is open."""
    if assembly.status != S.CLOSED:
        return None
    messages.error(request, CLOSED)
    return back


def _context(assembly: Assembly, tab: str, **extra) -> dict:
    return {"assembly": assembly, "organisation": assembly.organisation, "tab": tab, **extra}


# --- the list and the statutes ---------------------------------------------------------------

def _with_counts(queryset):
    return queryset.select_related("event", "event__place", "organisation").annotate(
        n_eligible=Count("participants", filter=Q(participants__kind=Participant.Kind.VOTER),
                         distinct=True),
        n_invited=Count("participants__invitations", filter=Q(
            participants__invitations__kind=Invitation.Kind.INVITATION), distinct=True))


@login_required
def assembly_list(request, slug):
    organisation = staff_organisation(request, slug, Perm.ASSEMBLY_MANAGE)
    mine = Assembly.objects.filter(organisation=organisation)
    # A closed assembly is over, even on its own day.
    over = Q(event__starts_at__lt=_today_start()) | Q(status=S.CLOSED)
    upcoming = list(_with_counts(mine.exclude(over)).order_by("event__starts_at", "pk"))
    past = page_of(_with_counts(mine.filter(over)).order_by("-event__starts_at", "-pk"),
                   request.GET.get("page"), selective=False, per_page=PER_PAGE)
    past_rows = list(past)
    for assembly in [*upcoming, *past_rows]:
        assembly.warning = lead_warning(assembly)
    return render(request, "assemblies/list.html", {
        "organisation": organisation, "page": past, "sections": [
            ("upcoming", _("Upcoming assemblies"), upcoming),
            ("past", _("Past assemblies"), past_rows)],
        "rules": services.rules_for(organisation),
        "may_see_resolutions": can(request.user, Perm.RESOLUTION_VIEW, organisation),
    })


@login_required
def rules(request, slug):
    organisation = staff_organisation(request, slug, Perm.ASSEMBLY_MANAGE)
    current = services.rules_for(organisation)
    form = RulesForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        try:
            services.rules_update(organisation=organisation, data=form.cleaned_data,
                                  actor=request.user)
        except ValidationError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("The statutes have been saved. Assemblies called "
                                        "from now on follow them."))
            return redirect("assemblies:rules", slug=slug)
    if request.method == "POST":
        messages.error(request, NOT_SAVED)
    return render(request, "assemblies/rules.html", {"organisation": organisation,
                                                     "form": form})


@login_required
@require_GET
def resolutions(request, slug):
    organisation = staff_organisation(request, slug, Perm.RESOLUTION_VIEW)
    register = Resolution.objects.filter(organisation=organisation).select_related(
        "assembly__event")
    years = [d.year for d in register.dates("decided_on", "year", order="DESC")]
    form = ResolutionFilterForm(request.GET, years=years)
    found = register
    if form.is_valid():
        if form.cleaned_data["year"]:
            found = found.filter(decided_on__year=form.cleaned_data["year"])
        query = form.cleaned_data["q"].strip()
        if query:
            found = found.filter(Q(title__icontains=query) | Q(text__icontains=query)
                                 | Q(number__icontains=query))
    else:
        found = found.none()
    found = found.order_by("-decided_on", "-pk")
    printing = request.GET.get("print") == "1"
    context = {"organisation": organisation, "form": form, "printing": printing,
               "total": register.count(),
               # The entries link to their assembly for those who may open it.
               "may_open_assemblies": can(request.user, Perm.ASSEMBLY_MANAGE, organisation)}
    if printing:
        context["rows"] = list(found[:PRINT_MAX])
    else:
        context["page"] = page_of(found, request.GET.get("page"), selective=True,
                                  per_page=PER_PAGE)
        context["rows"] = context["page"].object_list
    return render(request, "assemblies/resolutions.html", context)


# --- calling one -----------------------------------------------------------------------------

def _warning_before_saving(organisation, starts_at) -> str:
    """The lead-time warning for an assembly not yet created, under today's statutes."""
    draft = Assembly(event=Event(starts_at=starts_at),
                     lead_days=services.rules_for(organisation).lead_days)
    return lead_forecast(draft)


@login_required
def assembly_create(request, slug):
    organisation = staff_organisation(request, slug, Perm.ASSEMBLY_MANAGE)
    form = AssemblyCreateForm(request.POST or None, organisation=organisation)
    warning = ""
    if request.method == "POST" and form.is_valid():
        warning = _warning_before_saving(organisation, form.assembly_start())
        if warning and not form.cleaned_data["confirmed"]:
            # Shown before anything is saved; sending the form again creates it all the same.
            data = request.POST.copy()
            data["confirmed"] = "True"
            form = AssemblyCreateForm(data, organisation=organisation)
            form.is_valid()
            return render(request, "assemblies/create.html", {
                "organisation": organisation, "form": form, "warning": warning,
                "confirming": True})
        try:
            with transaction.atomic():
                if form.cleaned_data["source"] == form.NEW:
                    event = event_services.event_create(organisation=organisation,
                                                        actor=request.user,
                                                        **form.event_data())
                else:
                    event = form.cleaned_data["event"]
                assembly = services.assembly_create(event=event, actor=request.user,
                                                    **form.assembly_data())
        except ValidationError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("The assembly has been called."))
            if warning:
                messages.warning(request, warning)
            return redirect("assemblies:detail", slug=slug, pk=assembly.pk)
    if request.method == "POST":
        messages.error(request, NOT_SAVED)
    return render(request, "assemblies/create.html", {
        "organisation": organisation, "form": form, "warning": warning, "confirming": False})


@login_required
@require_GET
def detail(request, slug, pk):
    # The chair runs the session: they open and close it here, without the board's role.
    assembly = access.staff_assembly(request, slug, pk, chair_ok=True)
    quorum = selectors.quorum(assembly)
    invitations = _invitations(assembly)
    statuses = _next_statuses(assembly)
    return render(request, "assemblies/detail.html", _context(
        assembly, "detail", quorum=quorum, warning=lead_warning(assembly),
        guests=assembly.participants.filter(kind=Participant.Kind.GUEST).count(),
        invitations=invitations,
        motions=assembly.motions.count(), elections=assembly.elections.count(),
        items=assembly.items.count(),
        next_statuses=[(value, S(value).label) for value in statuses],
        opening_warning=session_warning(assembly, invitations)
        if S.IN_SESSION in statuses else "",
        projector_token=access.projector_token(assembly),
        may_manage=access.can_manage(request.user, assembly)))


def _invitations(assembly: Assembly) -> int:
    return Invitation.objects.filter(participant__assembly=assembly,
                                     kind=Invitation.Kind.INVITATION).count()


def _next_statuses(assembly: Assembly) -> list[str]:
    """The statuses the overview offers. "Invited" is not among them: it comes with sending
    the invitations (the invitation page); as a button it would only change the word."""
    return [value for value in services.NEXT_STATUSES[assembly.status] if value != S.INVITED]


@login_required
@require_POST
def status(request, slug, pk):
    assembly = access.staff_assembly(request, slug, pk, chair_ok=True)
    form = StatusForm(request.POST)
    back = redirect("assemblies:detail", slug=slug, pk=pk)
    if not form.is_valid():
        messages.error(request, _("Please choose a status. Nothing was changed."))
        return back
    to_status = form.cleaned_data["status"]
    if to_status == S.INVITED:
        messages.error(request, _("An assembly is invited by sending the invitations on the "
                                  "invitation page. Nothing was changed."))
        return back
    if to_status == S.CLOSED and not form.cleaned_data["confirm"]:
        messages.error(request, _("Please confirm that the assembly is to be closed: its "
                                  "record can no longer change afterwards. Nothing was "
                                  "changed."))
        return back
    if to_status == S.IN_SESSION and assembly.status in (S.PREPARING, S.INVITED) \
            and not form.cleaned_data["confirm"]:
        warning = session_warning(assembly, _invitations(assembly))
        if warning:
            messages.error(request, _("%(warning)s Please confirm that the session is to be "
                                      "opened all the same. Nothing was changed.")
                           % {"warning": warning})
            return back
    try:
        services.status_change(assembly=assembly, status=to_status, actor=request.user)
    except ValidationError as exc:
        messages.error(request, text_of(exc))
    else:
        messages.success(request, _("The assembly is now “%(status)s”.")
                         % {"status": S(to_status).label})
    return back


@login_required
def edit(request, slug, pk):
    assembly = access.staff_assembly(request, slug, pk)
    if assembly.status == S.CLOSED:
        back = redirect("assemblies:detail", slug=slug, pk=pk)
        if request.method == "POST":
            return closed_refusal(request, assembly, back)
        return render(request, "assemblies/edit.html", _context(assembly, "detail", form=None))
    # The form leaves its instance as it is (no _post_clean): the service compares with it.
    form = AssemblyForm(request.POST or None, instance=assembly,
                        organisation=assembly.organisation)
    if request.method == "POST" and form.is_valid():
        try:
            services.assembly_update(assembly=assembly, data=form.assembly_data(),
                                     actor=request.user)
        except ValidationError as exc:
            add_to_form(form, exc)
            assembly.refresh_from_db()  # the service set the values before it refused them
        else:
            messages.success(request, _("The assembly has been saved."))
            return redirect("assemblies:detail", slug=slug, pk=pk)
    if request.method == "POST":
        messages.error(request, NOT_SAVED)
    return render(request, "assemblies/edit.html", _context(
        assembly, "detail", form=form, warning=lead_warning(assembly)))


# --- agenda ----------------------------------------------------------------------------------

def schedule(assembly: Assembly, rows) -> tuple[list[dict], int]:
    """Each agenda row with its planned start, and the total of minutes.

    A main item takes its own estimate, or, without one, the sum of its sub-items' estimates;
    sub-items run inside their main item's time. Items without any estimate take no time."""
    children: dict[int, list[AgendaItem]] = {}
    for _number, item in rows:
        if item.parent_id is not None:
            children.setdefault(item.parent_id, []).append(item)
    start = assembly.event.starts_at
    cursor, total, planned = start, 0, {}
    for _number, item in rows:
        if item.parent_id is not None:
            continue
        inner = cursor
        for child in children.get(item.pk, []):
            planned[child.pk] = inner
            inner += timedelta(minutes=child.minutes_estimate or 0)
        own = item.minutes_estimate
        minutes = own if own is not None else sum(c.minutes_estimate or 0
                                                  for c in children.get(item.pk, []))
        planned[item.pk] = cursor
        cursor += timedelta(minutes=minutes)
        total += minutes
    return [{"number": number, "item": item, "starts": planned[item.pk],
             "documents": list(item.documents.all())} for number, item in rows], total


def _agenda_context(assembly: Assembly) -> dict:
    lines, total = schedule(assembly, selectors.agenda(assembly))
    ends = assembly.event.starts_at + timedelta(minutes=total)
    return {"lines": lines, "total": total, "planned_end": ends,
            "overrun": bool(assembly.event.ends_at and ends > assembly.event.ends_at)}


def _with_record(assembly: Assembly, lines: list[dict]) -> None:
    """Each line gets what the session did with its item (motions, votes, elections) to link
    to, and whether it can move up or down among its siblings."""
    items = [line["item"] for line in lines]
    prefetch_related_objects(items, "motions", "elections")
    votes = defaultdict(list)
    for vote in Vote.objects.filter(assembly=assembly).select_related("motion").order_by("pk"):
        item_id = vote.item_id or (vote.motion.item_id if vote.motion else None)
        if item_id:
            votes[item_id].append(vote)
    siblings = defaultdict(list)
    for item in items:
        siblings[item.parent_id].append(item.pk)
    for line in lines:
        item = line["item"]
        line["motions"] = sorted(item.motions.all(), key=lambda m: m.pk)
        line["votes"] = votes[item.pk]
        line["elections"] = sorted(item.elections.all(), key=lambda e: e.pk)
        line["first"] = siblings[item.parent_id][0] == item.pk
        line["last"] = siblings[item.parent_id][-1] == item.pk


@login_required
@require_GET
def agenda(request, slug, pk):
    assembly = access.staff_assembly(request, slug, pk, chair_ok=True)
    context = _context(assembly, "agenda", **_agenda_context(assembly),
                       may_manage=access.can_manage(request.user, assembly))
    if request.GET.get("print") == "1":
        return render(request, "assemblies/agenda_print.html", context)
    _with_record(assembly, context["lines"])
    context["editable"] = context["may_manage"] and assembly.status != S.CLOSED
    return render(request, "assemblies/agenda.html", context)


def _item(assembly: Assembly, item_pk: int) -> AgendaItem:
    return get_object_or_404(AgendaItem, pk=item_pk, assembly=assembly)


def _back_to_agenda(slug, pk, item_pk=None):
    url = reverse("assemblies:agenda", args=[slug, pk])
    return redirect(f"{url}#item-{item_pk}" if item_pk else url)


@login_required
def item_add(request, slug, pk):
    assembly = access.staff_assembly(request, slug, pk)
    refused = closed_refusal(request, assembly, _back_to_agenda(slug, pk))
    if refused:
        return refused
    initial = {}
    parent = request.GET.get("parent", "")
    if parent.isascii() and parent.isdigit() and len(parent) < 12:
        initial["parent"] = AgendaItem.objects.filter(assembly=assembly, parent__isnull=True,
                                                      pk=int(parent)).first()
    form = ItemForm(request.POST or None, initial=initial, assembly=assembly)
    if request.method == "POST" and form.is_valid():
        data = form.item_data()
        try:
            item = services.item_create(assembly=assembly, actor=request.user, **data)
        except ValidationError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("The item “%(title)s” has been added.")
                             % {"title": item.title})
            return _back_to_agenda(slug, pk, item.pk)
    if request.method == "POST":
        messages.error(request, NOT_SAVED)
    return render(request, "assemblies/agenda_item_form.html", _context(
        assembly, "agenda", form=form, item=None))


def _item_page(request, assembly, item, form=None, document_form=None, status=200):
    return render(request, "assemblies/agenda_item_form.html", _context(
        assembly, "agenda", item=item, number=selectors.item_number(item),
        form=form or ItemForm(instance=item, assembly=assembly),
        document_form=document_form or DocumentForm(prefix="document"),
        documents=list(item.documents.all())), status=status)


@login_required
def item_edit(request, slug, pk, item_pk):
    assembly = access.staff_assembly(request, slug, pk)
    item = _item(assembly, item_pk)
    refused = closed_refusal(request, assembly, _back_to_agenda(slug, pk, item.pk))
    if refused:
        return refused
    if request.method != "POST":
        return _item_page(request, assembly, item)
    form = ItemForm(request.POST, instance=item, assembly=assembly)
    if form.is_valid():
        try:
            services.item_update(item=item, data=form.item_data(), actor=request.user)
        except ValidationError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("The item has been saved."))
            return _back_to_agenda(slug, pk, item.pk)
    messages.error(request, NOT_SAVED)
    return _item_page(request, assembly, _item(assembly, item_pk), form=form)


@login_required
@require_POST
def item_move(request, slug, pk, item_pk):
    assembly = access.staff_assembly(request, slug, pk)
    item = _item(assembly, item_pk)
    direction = {"up": -1, "down": 1}.get(request.POST.get("direction", ""))
    if direction is None:
        messages.error(request, _("Please choose up or down. Nothing was changed."))
    else:
        try:
            services.item_move(item=item, direction=direction, actor=request.user)
        except ValidationError as exc:
            messages.error(request, text_of(exc))
    return _back_to_agenda(slug, pk, item.pk)


@login_required
@require_POST
def item_delete(request, slug, pk, item_pk):
    assembly = access.staff_assembly(request, slug, pk)
    item = _item(assembly, item_pk)
    title = item.title
    try:
        services.item_delete(item=item, actor=request.user)
    except ValidationError as exc:
        messages.error(request, text_of(exc))
        return _back_to_agenda(slug, pk, item_pk)
    messages.success(request, _("The item “%(title)s” has been deleted.") % {"title": title})
    return _back_to_agenda(slug, pk)


@login_required
@require_POST
def document_add(request, slug, pk, item_pk):
    assembly = access.staff_assembly(request, slug, pk)
    item = _item(assembly, item_pk)
    refused = closed_refusal(request, assembly, _back_to_agenda(slug, pk, item.pk))
    if refused:
        return refused
    form = DocumentForm(request.POST, request.FILES, prefix="document")
    if form.is_valid():
        try:
            document = services.document_add(item=item, title=form.cleaned_data["title"],
                                              upload=form.cleaned_data["file"],
                                              actor=request.user)
        except ValidationError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("“%(title)s” has been attached.")
                             % {"title": document.title})
            return redirect(reverse("assemblies:item_edit", args=[slug, pk, item.pk])
                            + "#documents")
    messages.error(request, NOT_SAVED)
    return _item_page(request, assembly, item, document_form=form)


@login_required
@require_POST
def document_delete(request, slug, pk, doc_pk):
    assembly = access.staff_assembly(request, slug, pk)
    document = get_object_or_404(AgendaDocument.objects.select_related("item"), pk=doc_pk,
                                 item__assembly=assembly)
    title, item_pk = document.title, document.item_id
    try:
        services.document_delete(document=document, actor=request.user)
    except ValidationError as exc:
        messages.error(request, text_of(exc))
        return _back_to_agenda(slug, pk, item_pk)
    messages.success(request, _("“%(title)s” has been removed.") % {"title": title})
    return redirect(reverse("assemblies:item_edit", args=[slug, pk, item_pk]) + "#documents")


@require_GET
def document(request, slug, pk, doc_pk):
    """A document of the agenda, for staff of the organisation and for whoever sees the hall
    (?t=: a participant's viewer token, the projector's, or the personal link; see
    access.may_read_documents). Always a download, with the type checked at upload."""
    assembly = get_object_or_404(Assembly.objects.select_related("organisation"), pk=pk,
                                 organisation__slug=slug)
    token = request.GET.get("t", "")
    if token:
        if not access.may_read_documents(assembly, token):
            raise Http404
    elif not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    elif not access.can_take_minutes(request.user, assembly):
        require(request, Perm.STAFF_DASHBOARD, assembly.organisation)
    attached = get_object_or_404(AgendaDocument, pk=doc_pk, item__assembly=assembly)
    try:
        handle = attached.file.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404 from None
    suffix = mimetypes.guess_extension(attached.content_type) or ""
    name = (slugify(attached.title) or "dokument")[:80]
    response = FileResponse(handle, as_attachment=True, filename=f"{name}{suffix}",
                            content_type=attached.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# --- who takes part --------------------------------------------------------------------------

def _participants_page(request, assembly, guest_form=None, status=200):
    search = SearchForm(request.GET or None)
    query = search.cleaned_data["q"].strip() if search.is_valid() else ""
    people = assembly.participants.order_by("-kind", "name", "pk")
    if query:
        people = people.filter(name__icontains=query)
    page = page_of(people, request.GET.get("page"), selective=bool(query), per_page=PER_PAGE)
    # The list says who is a party member: a read of special-category data.
    audit_read(actor=request.user, obj=assembly, organisation=assembly.organisation,
               what=f"participants of {assembly}"[:200])
    return render(request, "assemblies/participants.html", _context(
        assembly, "participants", page=page, search=search, query=query,
        quorum=selectors.quorum(assembly), closed=assembly.status == S.CLOSED,
        guests=assembly.participants.filter(kind=Participant.Kind.GUEST).count(),
        guest_form=guest_form or GuestForm(prefix="guest")), status=status)


@login_required
@require_GET
def participants(request, slug, pk):
    assembly = access.staff_assembly(request, slug, pk)
    return _participants_page(request, assembly)


@login_required
@require_POST
def voters_build(request, slug, pk):
    assembly = access.staff_assembly(request, slug, pk)
    try:
        added = services.voters_build(assembly=assembly, actor=request.user)
    except ValidationError as exc:
        messages.error(request, text_of(exc))
    else:
        if added:
            messages.success(request, _("%(n)d voting members have been added to the list.")
                             % {"n": added})
        else:
            messages.info(request, _("The list was complete: no voting member was added."))
    return redirect("assemblies:participants", slug=slug, pk=pk)


@login_required
@require_POST
def guest_add(request, slug, pk):
    assembly = access.staff_assembly(request, slug, pk)
    refused = closed_refusal(request, assembly,
                             redirect("assemblies:participants", slug=slug, pk=pk))
    if refused:
        return refused
    form = GuestForm(request.POST, prefix="guest")
    if form.is_valid():
        try:
            guest = services.guest_add(assembly=assembly, actor=request.user,
                                       name=form.cleaned_data["name"],
                                       quota_category=form.cleaned_data["quota_category"])
        except ValidationError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("%(name)s has been added as a guest.")
                             % {"name": guest.name})
            return redirect("assemblies:participants", slug=slug, pk=pk)
    messages.error(request, NOT_SAVED)
    return _participants_page(request, assembly, guest_form=form)


BASE = "staff/<slug:slug>/assemblies/"
urlpatterns = [
    path(BASE, assembly_list, name="list"),
    path(f"{BASE}new/", assembly_create, name="create"),
    path(f"{BASE}rules/", rules, name="rules"),
    path(f"{BASE}<int:pk>/", detail, name="detail"),
    path(f"{BASE}<int:pk>/status/", status, name="status"),
    path(f"{BASE}<int:pk>/edit/", edit, name="edit"),
    path(f"{BASE}<int:pk>/agenda/", agenda, name="agenda"),
    path(f"{BASE}<int:pk>/agenda/add/", item_add, name="item_add"),
    path(f"{BASE}<int:pk>/agenda/<int:item_pk>/", item_edit, name="item_edit"),
    path(f"{BASE}<int:pk>/agenda/<int:item_pk>/move/", item_move, name="item_move"),
    path(f"{BASE}<int:pk>/agenda/<int:item_pk>/delete/", item_delete, name="item_delete"),
    path(f"{BASE}<int:pk>/agenda/<int:item_pk>/documents/", document_add,
         name="document_add"),
    path(f"{BASE}<int:pk>/agenda/documents/<int:doc_pk>/", document, name="document"),
    path(f"{BASE}<int:pk>/agenda/documents/<int:doc_pk>/delete/", document_delete,
         name="document_delete"),
    path(f"{BASE}<int:pk>/participants/", participants, name="participants"),
    path(f"{BASE}<int:pk>/participants/build/", voters_build, name="voters_build"),
    path(f"{BASE}<int:pk>/participants/guests/", guest_add, name="guest_add"),
    path("staff/<slug:slug>/resolutions/", resolutions, name="resolutions"),
]
