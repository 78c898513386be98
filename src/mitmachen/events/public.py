"""Public event pages: the calendar, an event's page and registration form, the registrant's
personal page, a series, the printable yearly plan, and "my events".

Online access data never reaches these pages: they read events, never `OnlineAccess`.
Registrants get it by e-mail once their seat is confirmed.
"""

from __future__ import annotations

import mimetypes
from datetime import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import prefetch_related_objects
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import patch_cache_control
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from mitmachen.core import throttle
from mitmachen.core.errors import add_to_form, text_of
from mitmachen.core.paging import page_of
from mitmachen.events import calendar_tokens, registrations, selectors
from mitmachen.events.calendar import ICS_TYPE, event_ics
from mitmachen.events.forms_public import CalendarFilterForm, PublicRegistrationForm
from mitmachen.events.models import CalendarToken, Event, EventFile, EventSeries, Registration
from mitmachen.events.series import next_dates
from mitmachen.organisations.models import Organisation

R = Registration.Status
PER_PAGE = 25  # a phone screen's worth of scrolling; and half the rendering of 50


# --- lookups -----------------------------------------------------------------------------

def _visible(user):
    if user is None or not user.is_authenticated:
        return Event.objects.filter(selectors.visible_q(None))
    return selectors.visible_events(user)


def _event_or_404(request, slug, pk) -> Event:
    """The event under its own organisation's address, if this visitor may see it."""
    event = get_object_or_404(
        Event.objects.select_related("organisation", "place", "place__district", "cooperation",
                                     "series", "group"),
        pk=pk, organisation__slug=slug)
    if not selectors.can_see(request.user, event):
        raise Http404
    return event


def _contact_of(user, organisation):
    if not user.is_authenticated:
        return None
    from mitmachen.people.models import Contact

    return Contact.objects.filter(organisation=organisation, user=user,
                                  erased_at__isnull=True).first()


def _is_member(contact) -> bool:
    return contact is not None and contact.status == "member"


def _public_organisation(slug) -> Organisation:
    return get_object_or_404(Organisation, slug=slug, is_public=True)


def _see_other(url: str):
    response = redirect(url)
    response.status_code = 303
    return response


# --- calendar ----------------------------------------------------------------------------

@require_GET
def calendar(request, slug=None):
    organisation = _public_organisation(slug) if slug else None
    form = CalendarFilterForm(request.GET, organisation=organisation)
    values, dropped = form.usable()
    chosen = organisation or values.get("organisation")
    district = values.get("district")
    flt = selectors.CalendarFilter(
        organisation=chosen, topic=values.get("topic") or "",
        district=district.pk if district else None,
        online={"online": True, "onsite": False}.get(values.get("where") or ""),
        date_from=values.get("date_from"), date_to=values.get("date_to"),
        kind=values.get("kind") or "", text=values.get("q") or "")
    events = selectors.calendar(request.user, flt).select_related("cooperation")
    page = page_of(events, request.GET.get("page"), selective=False, per_page=PER_PAGE)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "events/public_calendar.html", {
        "organisation": organisation, "chosen": chosen, "form": form, "dropped": dropped,
        "page": page, "query": query.urlencode(), "topic": flt.topic,
        "today": timezone.localdate(),
    })


# --- an event ----------------------------------------------------------------------------

@require_GET
def detail(request, slug, pk):
    event = _event_or_404(request, slug, pk)
    contact = _contact_of(request.user, event.organisation)
    problem = registrations.registration_problem(event, staff=False,
                                                 member=_is_member(contact))
    upcoming = []
    if event.series_id:
        upcoming = list(_visible(request.user).filter(
            series_id=event.series_id, starts_at__gte=timezone.now()).exclude(pk=event.pk)
            .select_related("place", "organisation")[:5])
    partners = list(event.cooperation.partners.all()) if event.cooperation_id else []
    return render(request, "events/public_detail.html", {
        "event": event, "problem": problem, "topics": list(event.topics.all()),
        "speakers": list(event.speakers.all()), "files": list(event.files.all()),
        "categories": list(event.categories.all()), "upcoming": upcoming,
        "partners": partners,
    })


@require_GET
def event_file(request, slug, pk, file_pk):
    """Attached files are served here, not from MEDIA_URL: only to whoever may see the
    event, and always as a download with the type checked at upload."""
    event = _event_or_404(request, slug, pk)
    attached = get_object_or_404(EventFile, pk=file_pk, event=event)
    try:
        handle = attached.file.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404 from None
    suffix = mimetypes.guess_extension(attached.content_type) or ""
    name = (slugify(attached.title) or "file")[:80]
    return FileResponse(handle, as_attachment=True, filename=f"{name}{suffix}",
                        content_type=attached.content_type)


@require_GET
def event_ics_view(request, slug, pk):
    event = _event_or_404(request, slug, pk)
    response = HttpResponse(event_ics(event), content_type=ICS_TYPE)
    name = slugify(event.title)[:60] or "event"
    response["Content-Disposition"] = f'attachment; filename="{name}.ics"'
    patch_cache_control(response, private=True, max_age=300)
    return response


def _event_to_register(request, slug, pk) -> Event:
    """The event for the registration form: only what the form and the service read, with
    its tickets and questions loaded once (this path carries registration rushes)."""
    event = get_object_or_404(
        Event.objects.select_related("organisation").prefetch_related("categories",
                                                                       "questions"),
        pk=pk, organisation__slug=slug)
    public = event.visibility == Event.Visibility.PUBLIC and event.organisation.is_public
    if not public and not selectors.can_see(request.user, event):
        raise Http404
    return event


@require_http_methods(["GET", "POST"])
def register(request, slug, pk):
    event = _event_to_register(request, slug, pk)
    if request.method == "POST" and request.POST.get("website"):
        # A bot filled the hidden field: answer politely, keep nothing.
        return render(request, "events/public_register_received.html", {"event": event})
    contact = _contact_of(request.user, event.organisation)
    problem = registrations.registration_problem(event, staff=False,
                                                 member=_is_member(contact))
    form = PublicRegistrationForm(request.POST if request.method == "POST" else None,
                                  event=event, initial=_initial(request.user, contact))
    status = 200
    if request.method == "POST":
        status = 400
        if throttle.form_limited(request, "event-register",
                                 limit=settings.EVENT_REGISTRATION_LIMIT):
            form.add_error(None, _("Too many registrations from here. Please try again later."))
            status = 429
        elif form.is_valid():
            try:
                registration = _create(request, event, form, contact)
            except ValidationError as exc:
                add_to_form(form, exc)
            else:
                return _see_other(reverse("events:personal",
                                          args=[registrations.personal_token(registration)]))
    return render(request, "events/public_register.html",
                  {"event": event, "form": form, "problem": problem}, status=status)


def _initial(user, contact) -> dict:
    if contact is not None:
        return {"first_name": contact.first_name, "last_name": contact.last_name,
                "email": contact.email or user.email, "phone": contact.phone}
    if user.is_authenticated:
        return {"email": user.email}
    return {}


def _create(request, event, form, contact) -> Registration:
    data = form.cleaned_data
    user = request.user if request.user.is_authenticated else None
    return registrations.registration_create(
        event=event, first_name=data["first_name"], last_name=data["last_name"],
        email=data["email"], phone=data["phone"], answers=form.answers(),
        category=data.get("category"), contact=contact, user=user,
        privacy_accepted=data["privacy"], source=Registration.Source.ONLINE,
        language=translation.get_language() or "de")


# --- the personal link -------------------------------------------------------------------

@never_cache
@require_http_methods(["GET", "POST"])
def personal(request, token):
    """The registrant's own page. A GET only shows: mail scanners follow links."""
    try:
        registration = registrations.registration_by_token(token)
    except ValidationError:
        return render(request, "events/personal_invalid.html", status=404)
    # The code that confirms an address comes only with the e-mail sent to it.
    code = request.POST.get("code") or request.GET.get("code") or ""
    if not registrations.email_code_valid(registration, code):
        code = ""
    context = {"registration": registration, "event": registration.event, "token": token,
               "code": code}
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "cancel":
            return render(request, "events/personal_cancel.html", context)
        try:
            if action == "confirm_email" and not code:
                raise ValidationError(_("Please use the link in the e-mail we sent you."))
            done = _act(registration, action)
        except ValidationError as exc:
            registration.refresh_from_db()
            context.update(error=text_of(exc), registration=registration)
            return _personal_page(request, context, status=400)
        messages.success(request, done)
        return _see_other(reverse("events:personal", args=[token]))
    return _personal_page(request, context)


def _act(registration: Registration, action: str) -> str:
    if action == "confirm_email":
        registrations.registration_confirm_email(registration=registration)
        return _("Thank you, your e-mail address is confirmed.")
    if action == "accept":
        registrations.offer_accept(registration=registration)
        return _("You have taken the seat. See you there!")
    if action == "cancel_confirmed":
        registrations.registration_cancel(registration=registration)
        return _("Your registration is cancelled.")
    raise ValidationError(_("Please use one of the buttons on this page."))


def _personal_page(request, context, status=200):
    registration = context["registration"]
    event = registration.event
    context.update(
        position=registrations.waiting_position(registration),
        can_see_event=selectors.can_see(request.user, event),
        active=registration.status in Registration.ACTIVE,
    )
    response = render(request, "events/personal.html", context, status=status)
    response["X-Robots-Tag"] = "noindex"
    return response


# --- series and yearly plan --------------------------------------------------------------

def rule_text(rule: str) -> str:
    """"FREQ=MONTHLY;INTERVAL=2" → "every 2 months"; "" for rules with more parts."""
    parts = dict(p.split("=", 1) for p in (rule or "").upper().split(";") if "=" in p)
    if set(parts) - {"FREQ", "INTERVAL"}:
        return ""
    try:
        n = int(parts.get("INTERVAL", "1"))
    except ValueError:
        return ""
    words = {
        "DAILY": ngettext("every day", "every %(n)d days", n),
        "WEEKLY": ngettext("every week", "every %(n)d weeks", n),
        "MONTHLY": (_("quarterly") if n == 3 else
                    ngettext("every month", "every %(n)d months", n)),
        "YEARLY": ngettext("every year", "every %(n)d years", n),
    }
    text = words.get(parts.get("FREQ", ""), "")
    return text % {"n": n} if "%(n)" in text else text


@require_GET
def series_detail(request, slug, pk):
    series = get_object_or_404(EventSeries.objects.select_related("organisation", "group"),
                               pk=pk, organisation__slug=slug)
    visible = _visible(request.user)
    public = (series.visibility == Event.Visibility.PUBLIC and series.organisation.is_public)
    if not public and not visible.filter(series=series).exists():
        raise Http404
    dates = list(next_dates(series, limit=12))
    allowed = set(visible.filter(pk__in=[d.pk for d in dates]).values_list("pk", flat=True))
    dates = [d for d in dates if d.pk in allowed]
    prefetch_related_objects(dates, "topics")
    series_topics = list(series.topics.all())
    rows = [{"event": d, "topics": list(d.topics.all()),
             "own_topics": {t.pk for t in d.topics.all()} != {t.pk for t in series_topics},
             "own_title": d.title != series.title} for d in dates]
    return render(request, "events/public_series.html", {
        "series": series, "rule": rule_text(series.rrule), "rows": rows,
        "topics": series_topics,
    })


@require_GET
def yearly_plan(request, slug, year):
    organisation = _public_organisation(slug)
    if not 1900 <= year <= 2200:
        raise Http404
    start = timezone.make_aware(datetime(year, 1, 1))
    end = timezone.make_aware(datetime(year + 1, 1, 1))
    events = list(_visible(request.user).filter(
        organisation=organisation, starts_at__gte=start, starts_at__lt=end)
        .select_related("place").prefetch_related("speakers", "topics")
        .order_by("starts_at", "pk"))
    return render(request, "events/plan_year.html", {
        "organisation": organisation, "year": year, "events": events,
        "previous": year - 1, "next": year + 1,
    })


# --- my events ---------------------------------------------------------------------------

@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def my_events(request):
    feed_url = None
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "reset":
            token = calendar_tokens.calendar_token_reset(user=request.user)
            feed_url = request.build_absolute_uri(reverse("events:feed_personal", args=[token]))
        elif action == "delete":
            calendar_tokens.calendar_token_delete(user=request.user)
            messages.success(request, _("Your calendar address no longer works."))
            return _see_other(reverse("events:my_events"))
        else:
            return HttpResponse(status=400)
    mine = [{"registration": r, "token": registrations.personal_token(r)}
            for r in selectors.my_registrations(request.user)]
    return render(request, "events/my_events.html", {
        "rows": mine, "feed_url": feed_url,
        "has_token": CalendarToken.objects.filter(user=request.user).exists(),
    })
