"""Staff pages for events: dashboard, editing, series, registrations, check-in, exports.

Every page checks Perm.EVENT_CHANGE for the organisation in the URL and looks objects up
within it, so another organisation's ids answer 404."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.db.models.functions import Lower
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from mitmachen.core.audit import audit_read, audit_record
from mitmachen.core.errors import add_to_form, text_of
from mitmachen.core.models import AuditEntry
from mitmachen.core.roles import Perm
from mitmachen.core.spreadsheets import CSV_TYPE, XLSX_TYPE
from mitmachen.core.tenancy import owned_or_404, staff_organisation
from mitmachen.events import exports, registrations, selectors, services
from mitmachen.events import series as series_services
from mitmachen.events.forms import (
    AccessForm,
    CategoryForm,
    EventForm,
    FileForm,
    PhoneRegistrationForm,
    QuestionForm,
    SeriesForm,
    SeriesRuleForm,
    SpeakerForm,
    StatusForm,
    TopicForm,
)
from mitmachen.events.models import (
    Event,
    EventFile,
    EventSeries,
    OnlineAccess,
    Question,
    Registration,
    Speaker,
    TicketCategory,
    Topic,
)

NOT_SAVED = gettext_lazy("Please correct the errors below. Nothing was saved.")
R = Registration.Status
PER_PAGE = 25


def _event(request, slug, pk):
    organisation = staff_organisation(request, slug, Perm.EVENT_CHANGE)
    event = owned_or_404(Event.objects.select_related("organisation", "place", "series"),
                         organisation, pk=pk)
    return organisation, event


def _today():
    """Midnight in Berlin: an event of today still counts as upcoming on the day."""
    return timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)


# --- dashboard -------------------------------------------------------------------------------

@login_required
def staff_list(request, slug):
    organisation = staff_organisation(request, slug, Perm.EVENT_CHANGE)
    past = request.GET.get("when") == "past"
    events = Event.objects.filter(organisation=organisation).select_related("place", "series")
    if past:
        events = events.filter(starts_at__lt=_today()).order_by("-starts_at", "-pk")
    else:
        events = events.filter(starts_at__gte=_today()).order_by("starts_at", "pk")
    page = Paginator(events, PER_PAGE).get_page(request.GET.get("page"))
    numbers = selectors.figures([event.pk for event in page])
    return render(request, "events/staff_list.html", {
        "organisation": organisation, "page": page, "past": past,
        "rows": [(event, numbers[event.pk]) for event in page],
        "series_list": EventSeries.objects.filter(organisation=organisation).annotate(
            dates=Count("occurrences")),
    })


@login_required
def topics(request, slug):
    organisation = staff_organisation(request, slug, Perm.EVENT_CHANGE)
    form = TopicForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            topic = services.topic_create(organisation=organisation,
                                          name=form.cleaned_data["name"], actor=request.user)
        except ValidationError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("The topic “%(name)s” has been added.")
                             % {"name": topic.name})
            return redirect("events:topics", slug=slug)
    if request.method == "POST":
        messages.error(request, NOT_SAVED)
    return render(request, "events/topics.html", {
        "organisation": organisation, "form": form,
        "topics": Topic.objects.filter(organisation=organisation).annotate(
            uses=Count("events")),
    })


# --- create and edit -------------------------------------------------------------------------

@login_required
def staff_create(request, slug):
    organisation = staff_organisation(request, slug, Perm.EVENT_CHANGE)
    form = EventForm(request.POST or None, organisation=organisation)
    if request.method == "POST" and form.is_valid():
        data, chosen = form.event_data()
        try:
            event = services.event_create(organisation=organisation, actor=request.user,
                                          topics=chosen, **data)
        except ValidationError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("The event has been created."))
            return redirect("events:staff_edit", slug=slug, pk=event.pk)
    if request.method == "POST":
        messages.error(request, NOT_SAVED)
    return render(request, "events/staff_form.html",
                  {"organisation": organisation, "form": form, "event": None})


def _save_event(request, event, form):
    data, chosen = form.event_data()
    before = set(event.topics.values_list("pk", flat=True))
    # Passing unchanged topics would mark a series date as edited on its own.
    changed = chosen if {t.pk for t in chosen} != before else None
    services.event_update(event=event, data=data, actor=request.user, topics=changed)
    return _("The event has been saved.")


def _save_access(request, event, form):
    services.access_set(event=event, actor=request.user, **form.cleaned_data)
    return _("The online access data has been saved.")


def _add_speaker(request, event, form):
    services.speaker_add(event=event, actor=request.user, **form.cleaned_data)
    return _("The speaker has been added.")


def _add_file(request, event, form):
    services.file_add(event=event, actor=request.user, upload=form.cleaned_data["file"],
                      title=form.cleaned_data["title"])
    return _("The file has been attached.")


def _add_question(request, event, form):
    services.question_add(event=event, actor=request.user, **form.cleaned_data)
    return _("The question has been added.")


def _add_category(request, event, form):
    services.category_add(event=event, actor=request.user, **form.cleaned_data)
    return _("The ticket category has been added.")


# action → (context name, form class, save); each section of the edit page posts its action.
SECTIONS = {
    "event": ("form", EventForm, _save_event),
    "access": ("access_form", AccessForm, _save_access),
    "speaker": ("speaker_form", SpeakerForm, _add_speaker),
    "file": ("file_form", FileForm, _add_file),
    "question": ("question_form", QuestionForm, _add_question),
    "category": ("category_form", CategoryForm, _add_category),
}
REMOVALS = {
    "speaker_remove": (Speaker, lambda obj, actor: services.speaker_remove(speaker=obj,
                                                                          actor=actor)),
    "file_remove": (EventFile, lambda obj, actor: services.file_remove(attached=obj,
                                                                      actor=actor)),
    "question_remove": (Question, lambda obj, actor: services.question_remove(question=obj,
                                                                             actor=actor)),
    "category_remove": (TicketCategory, lambda obj, actor: services.category_remove(
        category=obj, actor=actor)),
}


def _blank_forms(event, organisation) -> dict:
    access = OnlineAccess.objects.filter(event=event).first()
    return {
        "form": EventForm(instance=event, organisation=organisation),
        "access_form": AccessForm(initial={
            "url": access.url, "meeting_id": access.meeting_id, "passcode": access.passcode,
            "note": access.note} if access else None, prefix="access"),
        "speaker_form": SpeakerForm(prefix="speaker"),
        "file_form": FileForm(prefix="file"),
        "question_form": QuestionForm(prefix="question"),
        "category_form": CategoryForm(prefix="category"),
    }


def _remove(request, event, action):
    model, remove = REMOVALS[action]
    item = request.POST.get("item", "")
    if not (item.isascii() and item.isdigit()):
        raise Http404
    obj = get_object_or_404(model, pk=int(item), event=event)
    try:
        remove(obj, request.user)
    except ValidationError as exc:
        messages.error(request, text_of(exc))
    else:
        messages.success(request, _("“%(name)s” has been removed.") % {"name": obj})


@login_required
def staff_edit(request, slug, pk):
    organisation, event = _event(request, slug, pk)
    forms = _blank_forms(event, organisation)
    action = request.POST.get("action", "event")
    if request.method == "POST" and action in REMOVALS:
        _remove(request, event, action)
        return redirect(reverse("events:staff_edit", args=[slug, pk]) + "#" + action[:-7])
    if request.method == "POST":
        if action not in SECTIONS:
            raise Http404
        name, form_class, save = SECTIONS[action]
        extra = {"instance": event, "organisation": organisation} if action == "event" \
            else {"prefix": action}
        form = form_class(request.POST, request.FILES, **extra)
        forms[name] = form
        if form.is_valid():
            try:
                done = save(request, Event.objects.get(pk=event.pk), form)
            except ValidationError as exc:
                add_to_form(form, exc)
            else:
                messages.success(request, done)
                return redirect(reverse("events:staff_edit", args=[slug, pk]) + "#" + action)
        messages.error(request, NOT_SAVED)
    return render(request, "events/staff_form.html", {
        "organisation": organisation, "event": event, **forms,
        "speakers": event.speakers.all(), "files": event.files.all(),
        "questions": event.questions.all(), "categories": event.categories.all(),
        "status_choices": [(value, label) for value, label in Event.Status.choices
                           if value != event.status],
    })


@login_required
@require_POST
def status(request, slug, pk):
    organisation, event = _event(request, slug, pk)
    form = StatusForm(request.POST)
    back = redirect(reverse("events:staff_edit", args=[slug, pk]) + "#status")
    if not form.is_valid():
        messages.error(request, _("Please choose a status. Nothing was changed."))
        return back
    to_status, reason = form.cleaned_data["status"], form.cleaned_data["reason"]
    notifying = to_status in (Event.Status.CANCELLED, Event.Status.POSTPONED)
    if notifying and not form.cleaned_data["confirm"]:
        messages.error(request, _("Please confirm: the registrants will be notified. "
                                  "Nothing was changed."))
        return back
    try:
        services.event_status_change(event=event, to_status=to_status, actor=request.user,
                                     reason=reason)
    except ValidationError as exc:
        messages.error(request, text_of(exc))
    else:
        messages.success(request, _("The status is now “%(status)s”.")
                         % {"status": Event.Status(to_status).label})
        if notifying:
            messages.info(request, _("The registrants are being notified."))
    return back


# --- series ----------------------------------------------------------------------------------

@login_required
def series_create(request, slug):
    organisation = staff_organisation(request, slug, Perm.EVENT_CHANGE)
    form = SeriesForm(request.POST or None, organisation=organisation)
    if request.method == "POST" and form.is_valid():
        try:
            created = series_services.series_create(organisation=organisation,
                                                    actor=request.user, **form.series_data())
        except ValidationError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("The series has been created with %(n)d dates.")
                             % {"n": created.occurrences.count()})
            return redirect("events:series_edit", slug=slug, pk=created.pk)
    if request.method == "POST":
        messages.error(request, NOT_SAVED)
    return render(request, "events/series_create.html",
                  {"organisation": organisation, "form": form})


@login_required
def series_edit(request, slug, pk):
    organisation = staff_organisation(request, slug, Perm.EVENT_CHANGE)
    series = owned_or_404(EventSeries, organisation, pk=pk)
    form = SeriesRuleForm(request.POST or None, series=series) if series.rrule else None
    if request.method == "POST":
        if form is None:
            raise Http404  # a plan of dates has no rule to change
        if form.is_valid():
            try:
                series_services.series_update_rule(series=series, actor=request.user,
                                                   rrule=form.rule(),
                                                   exdates=form.cleaned_data["exdates"])
            except ValidationError as exc:
                add_to_form(form, exc)
            else:
                messages.success(request, _("The rule has been changed. Dates edited on "
                                            "their own and dates with registrations stay."))
                return redirect("events:series_edit", slug=slug, pk=series.pk)
        messages.error(request, NOT_SAVED)
    occurrences = series.occurrences.select_related("place").annotate(
        registered=Count("registrations", filter=Q(registrations__status__in=Registration.ACTIVE)))
    return render(request, "events/series_edit.html", {
        "organisation": organisation, "series": series, "form": form,
        "occurrences": occurrences, "now": timezone.now(),
    })


# --- registrations ---------------------------------------------------------------------------

def _grouped(event):
    """The registrations by status, in the order staff work through them."""
    questions = list(event.questions.all())
    found = {status: [] for status in R.values}
    for registration in event.registrations.select_related("category").order_by(
            Lower("last_name"), Lower("first_name"), "pk"):
        registration.answer_list = list(zip(
            [q.label for q in questions], exports.answers_of(questions, registration),
            strict=True))
        found[registration.status].append(registration)
    # the waiting list's order: when each joined it, then arrival (as registrations.promote)
    found[R.WAITING].sort(key=lambda r: (r.waiting_since or r.created_at, r.pk))
    for position, registration in enumerate(found[R.WAITING], start=1):
        registration.position = position
    found[R.PENDING].sort(key=lambda r: r.pk)
    return found


@login_required
def staff_detail(request, slug, pk):
    organisation, event = _event(request, slug, pk)
    grouped = _grouped(event)
    audit_read(actor=request.user, obj=event, organisation=organisation,
               what=f"registrations of {event.title}"[:200])
    return render(request, "events/staff_detail.html", {
        "organisation": organisation, "event": event, "figures": selectors.figures(
            [event.pk])[event.pk],
        "confirmed": grouped[R.CONFIRMED], "offered": grouped[R.OFFERED],
        "waiting": grouped[R.WAITING], "pending": grouped[R.PENDING],
        "unconfirmed": grouped[R.UNCONFIRMED], "has_categories": event.categories.exists(),
        "closed": sorted(grouped[R.CANCELLED] + grouped[R.EXPIRED] + grouped[R.DECLINED],
                         key=lambda r: r.pk),
    })


@login_required
@require_POST
def registration_action(request, slug, pk, action):
    organisation = staff_organisation(request, slug, Perm.EVENT_CHANGE)
    registration = get_object_or_404(Registration.objects.select_related("event"), pk=pk,
                                     event__organisation=organisation)
    if action not in ("approve", "decline", "cancel"):
        raise Http404
    try:
        if action == "cancel":
            registrations.registration_cancel(registration=registration, actor=request.user)
        else:
            registrations.registration_decide(registration=registration, actor=request.user,
                                              approve=action == "approve")
    except ValidationError as exc:
        messages.error(request, text_of(exc))
    else:
        done = {"approve": _("%(name)s has been approved."),
                "decline": _("%(name)s has been declined."),
                "cancel": _("The registration of %(name)s has been cancelled.")}[action]
        messages.success(request, done % {"name": registration.name})
    return redirect("events:staff_detail", slug=slug, pk=registration.event_id)


@login_required
def staff_register(request, slug, pk):
    organisation, event = _event(request, slug, pk)
    form = PhoneRegistrationForm(request.POST or None, event=event)
    if request.method == "POST" and form.is_valid():
        try:
            registration = registrations.registration_create(
                event=event, actor=request.user, **form.registration_data())
        except ValidationError as exc:
            add_to_form(form, exc)
        else:
            if registration.status == R.WAITING:
                text = _("%(name)s is on the waiting list, position %(n)d.") % {
                    "name": registration.name,
                    "n": registrations.waiting_position(registration)}
            else:
                text = _("%(name)s is registered: %(status)s.") % {
                    "name": registration.name, "status": registration.get_status_display()}
            messages.success(request, text)
            return redirect("events:staff_register", slug=slug, pk=event.pk)
    if request.method == "POST":
        messages.error(request, NOT_SAVED)
    return render(request, "events/staff_register.html", {
        "organisation": organisation, "event": event, "form": form,
        "problem": registrations.registration_problem(event, staff=True, member=False),
        "closed_for_public": registrations.registration_problem(event, staff=False,
                                                                member=True),
        "figures": selectors.figures([event.pk])[event.pk],
    })


# --- on the day ------------------------------------------------------------------------------

def _confirmed(event):
    return event.registrations.filter(status=R.CONFIRMED).select_related("category").order_by(
        Lower("last_name"), Lower("first_name"), "pk")


def _counts(event) -> dict:
    return event.registrations.filter(status=R.CONFIRMED).aggregate(
        confirmed=Count("pk"), present=Count("pk", filter=Q(attended_at__isnull=False)))


@login_required
def checkin(request, slug, pk):
    organisation, event = _event(request, slug, pk)
    htmx = request.headers.get("HX-Request") == "true"
    query = (request.POST.get("q") or request.GET.get("q") or "").strip()[:100]
    if request.method == "POST":
        item = request.POST.get("registration", "")
        if not (item.isascii() and item.isdigit()):
            raise Http404
        registration = get_object_or_404(Registration, pk=int(item), event=event)
        error = ""
        try:
            registration = registrations.attendance_record(
                registration=registration, present=request.POST.get("present") == "1",
                actor=request.user)
        except ValidationError as exc:
            error = text_of(exc)
        if htmx:
            return render(request, "events/checkin_row.html", {
                "organisation": organisation, "event": event, "r": registration,
                "query": query, "error": error, "counts": _counts(event), "oob": True})
        if error:
            messages.error(request, error)
        url = reverse("events:checkin", args=[slug, pk])
        return redirect(f"{url}?{urlencode({'q': query})}#reg-{registration.pk}" if query
                        else f"{url}#reg-{registration.pk}")
    people = _confirmed(event)
    if query:
        people = people.filter(Q(first_name__icontains=query) | Q(last_name__icontains=query))
    audit_read(actor=request.user, obj=event, organisation=organisation,
               what=f"check-in list of {event.title}"[:200])
    template = "events/checkin_list.html" if request.htmx_target == "checkin-list" \
        else "events/checkin.html"
    return render(request, template, {
        "organisation": organisation, "event": event, "people": people, "query": query,
        "counts": _counts(event),
    })


@login_required
def checkin_print(request, slug, pk):
    organisation, event = _event(request, slug, pk)
    questions = list(event.questions.all())
    people = list(_confirmed(event))
    for person in people:
        person.answer_list = exports.answers_of(questions, person)
    audit_read(actor=request.user, obj=event, organisation=organisation,
               what=f"printed list of {event.title}"[:200])
    return render(request, "events/checkin_print.html", {
        "organisation": organisation, "event": event, "people": people,
        "questions": questions, "with_tickets": event.categories.exists(),
    })


@login_required
def export(request, slug, pk, fmt):
    organisation, event = _event(request, slug, pk)
    if fmt not in exports.FORMATS:
        raise Http404
    audit_record(actor=request.user, action=AuditEntry.Action.EXPORT, obj=event,
                 organisation=organisation,
                 object_repr=f"registrations of {event.title} ({fmt})"[:200],
                 changes={"count": event.registrations.count()})
    response = HttpResponse(exports.registrations_file(event, fmt),
                            content_type=CSV_TYPE if fmt == "csv" else XLSX_TYPE)
    stamp = timezone.localtime().strftime("%Y-%m-%d")
    response["Content-Disposition"] = (
        f'attachment; filename="registrations-{event.pk}-{stamp}.{fmt}"')
    return response
