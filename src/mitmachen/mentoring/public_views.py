"""The applicants' pages: a programme's public page, applying as mentee or mentor, and the
personal page reached by the link in the e-mail (no account needed).

Every personal page looks the application up by its token (access.application_by_token); a
wrong link answers 404 with one page that tells nothing about which keys exist. A GET only
shows: mail scanners follow links, so every change is a POST. A pairing or goal named in a
POST must belong to the link's application, or the answer is 404.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from mitmachen.core import throttle
from mitmachen.core.errors import add_to_form, text_of
from mitmachen.mentoring import access, selectors, services
from mitmachen.mentoring.forms import (
    ApplicationForm,
    FeedbackForm,
    GoalForm,
    MeetingForm,
    NoteForm,
    application_initial,
)
from mitmachen.mentoring.models import Application, Goal, Pairing, Programme

A = Application.Status
ROLES = (Application.Role.MENTEE.value, Application.Role.MENTOR.value)


def _not_saved() -> str:
    return _("Please correct the errors below. Nothing was saved.")


def _see_other(url: str):
    response = redirect(url)
    response.status_code = 303
    return response


def _private(response):
    # A personal page is nobody else's business: not in a search engine, not in a cache.
    response["X-Robots-Tag"] = "noindex"
    return response


# --- the programme's public page and the application -----------------------------------------

def _public_programme(slug: str, programme: str) -> Programme:
    """A programme under its organisation's address; a draft is not public yet."""
    found = get_object_or_404(Programme.objects.select_related("organisation", "coordinator"),
                              organisation__slug=slug, slug=programme)
    if found.status == Programme.Status.DRAFT:
        raise Http404
    return found


@require_http_methods(["GET"])
def programme(request, slug, programme):
    found = _public_programme(slug, programme)
    windows = [{"role": role, "label": Application.Role(role).label,
                "opens": getattr(found, f"{role}_window_opens"),
                "closes": getattr(found, f"{role}_window_closes"),
                "problem": services.application_problem(found, role)} for role in ROLES]
    return render(request, "mentoring/programme.html", {
        "programme": found, "organisation": found.organisation, "windows": windows})


@never_cache
@require_http_methods(["GET", "POST"])
def apply(request, slug, programme, role):
    if role not in ROLES:
        raise Http404
    found = _public_programme(slug, programme)
    user = request.user if request.user.is_authenticated else None
    initial = {"name": user.name, "email": user.email} if user is not None else {}
    form = ApplicationForm(request.POST if request.method == "POST" else None,
                           programme=found, role=role, initial=initial)
    context = {"programme": found, "organisation": found.organisation, "role": role,
               "role_label": Application.Role(role).label, "form": form,
               "problem": services.application_problem(found, role)}
    if request.method == "GET":
        return render(request, "mentoring/apply.html", context)
    if request.POST.get("website"):
        # A bot filled the hidden field: answer politely, keep nothing.
        return render(request, "mentoring/applied.html", context)
    status = 400
    if throttle.form_limited(request, "mentoring-apply"):
        form.add_error(None, _("Too many applications from here. Please try again later."))
        status = 429
    elif form.is_valid():
        try:
            application, token = services.application_submit(
                programme=found, role=role, data=form.service_data(),
                consent=form.cleaned_data["consent"], user=user)
        except ValidationError as exc:
            add_to_form(form, exc)
        else:
            if application is not None:
                path = reverse("mentoring:personal", args=[token])
                context.update(application=application, personal_path=path,
                               personal_url=settings.SITE_URL + path)
            # Else the address had applied already: the same thanks, the link only by e-mail
            # (services.application_submit), so the page tells nobody that it had.
            return _private(render(request, "mentoring/applied.html", context))
    return render(request, "mentoring/apply.html", context | {"not_saved": _not_saved()},
                  status=status)


# --- the personal page -----------------------------------------------------------------------

class _InvalidLink(Exception):
    pass


def _by_token(token) -> Application:
    try:
        return access.application_by_token(token)
    except ValidationError:
        raise _InvalidLink from None


def _invalid(request):
    return _private(render(request, "mentoring/personal_invalid.html", status=404))


def _pk(value) -> int | None:
    value = (value or "").strip() if isinstance(value, str) else ""
    return int(value) if value.isascii() and value.isdigit() and len(value) < 19 else None


def _my_pairing(application: Application, value) -> Pairing:
    """The pairing named in the POST, if it is one of this application's; else 404."""
    pk = _pk(value)
    pairing = Pairing.objects.filter(
        Q(mentee=application) | Q(mentor=application), pk=pk).first() if pk else None
    if pairing is None:
        raise Http404
    return pairing


def _waiting_position(application: Application) -> int | None:
    if application.status != A.WAITING:
        return None
    waiting = [a.pk for a in selectors.waiting_list(application.programme)]
    return waiting.index(application.pk) + 1 if application.pk in waiting else None


def _personal_page(request, application: Application, token: str, *, bound=None,
                   error: str = "", status: int = 200):
    """The personal page; `bound` = (kind, pairing pk, form) puts a form with its errors back
    in place of the empty one."""
    view = selectors.partner_view(application)
    for pair in view["pairs"]:
        pk = pair["pairing"].pk
        auto_id = f"p{pk}_%s"
        pair["forms"] = {
            "meeting": MeetingForm(auto_id=auto_id.replace("%s", "meeting_%s")),
            "goal": GoalForm(auto_id=auto_id.replace("%s", "goal_%s")),
            "note": NoteForm(auto_id=auto_id.replace("%s", "note_%s")),
            "feedback": FeedbackForm(auto_id=auto_id.replace("%s", "feedback_%s")),
        }
        if bound is not None and bound[1] == pk:
            pair["forms"][bound[0]] = bound[2]
        pair["active"] = pair["status"] == Pairing.Status.ACTIVE
    context = {
        **view, "token": token, "error": error,
        "position": _waiting_position(application),
        "can_edit": application.status in services.MATCHABLE_MENTEE,
        "can_withdraw": application.status not in services.GONE,
        "goal_statuses": Goal.Status.choices,
    }
    return _private(render(request, "mentoring/personal.html", context, status=status))


def _token_view(handler):
    """Looks the application up by the token (or answers the invalid-link page), and sends
    a GET of an action's address back to the personal page."""

    @never_cache
    @require_http_methods(["GET", "POST"])
    def view(request, token):
        try:
            application = _by_token(token)
        except _InvalidLink:
            return _invalid(request)
        if request.method == "GET" and handler.__name__ not in ("personal", "profile",
                                                                  "withdraw", "new_link"):
            return _see_other(reverse("mentoring:personal", args=[token]))
        return handler(request, application, token)

    view.__name__ = handler.__name__
    view.__doc__ = handler.__doc__
    return view


def _refused(request, application, token, bound, exc: ValidationError | None = None):
    """The personal page again with the form and its errors (status 400). A service's
    refusal is also said at the top: it may concern no field of the form (feedback already
    given, a pair no longer active), and the form may not be shown any more."""
    error = _not_saved()
    if exc is not None:
        add_to_form(bound[2], exc)
        error = text_of(exc)
    return _personal_page(request, application, token, bound=bound, error=error, status=400)


def _done(token: str, request, text: str):
    messages.success(request, text)
    return _see_other(reverse("mentoring:personal", args=[token]))


@_token_view
def personal(request, application, token):
    """Status, profile, proposals and the pair's page."""
    if request.method == "POST":
        return _see_other(reverse("mentoring:personal", args=[token]))
    return _personal_page(request, application, token)


@_token_view
def answer(request, application, token):
    """Accept or decline a proposal."""
    pairing = _my_pairing(application, request.POST.get("pairing"))
    choice = request.POST.get("answer")
    try:
        if choice not in ("accept", "decline"):
            raise ValidationError(_("Please accept or decline the proposal."))
        pairing = services.proposal_answer(pairing=pairing, side=application.role,
                                           accept=choice == "accept")
    except ValidationError as exc:
        application.refresh_from_db()
        return _personal_page(request, application, token, error=text_of(exc), status=400)
    if choice == "decline":
        text = _("You have declined the proposal. Thank you for letting us know.")
    elif pairing.status == Pairing.Status.ACTIVE:
        text = _("You have both accepted: your mentoring begins! Below you find how to reach "
                 "each other.")
    else:
        text = _("Thank you, you have accepted. We let you know as soon as the other side "
                 "has answered.")
    return _done(token, request, text)


@_token_view
def meeting(request, application, token):
    """Log a meeting (or a session the mentee was accompanied to)."""
    pairing = _my_pairing(application, request.POST.get("pairing"))
    form = MeetingForm(request.POST, auto_id=f"p{pairing.pk}_meeting_%s")
    if form.is_valid():
        try:
            services.meeting_log(pairing=pairing, side=application.role, **form.cleaned_data)
        except ValidationError as exc:
            return _refused(request, application, token, ("meeting", pairing.pk, form), exc)
        return _done(token, request, _("The meeting has been logged."))
    return _refused(request, application, token, ("meeting", pairing.pk, form))


@_token_view
def goal(request, application, token):
    """Add a shared goal, or change a goal's status."""
    goal_pk = _pk(request.POST.get("goal"))
    if goal_pk is not None:
        found = Goal.objects.filter(pk=goal_pk).filter(
            Q(pairing__mentee=application) | Q(pairing__mentor=application)).select_related(
            "pairing").first()
        if found is None:
            raise Http404
        try:
            services.goal_update(goal=found, side=application.role,
                                 status=request.POST.get("status", ""))
        except ValidationError as exc:
            return _personal_page(request, application, token, error=text_of(exc),
                                  status=400)
        return _done(token, request, _("The goal has been updated."))
    pairing = _my_pairing(application, request.POST.get("pairing"))
    form = GoalForm(request.POST, auto_id=f"p{pairing.pk}_goal_%s")
    if form.is_valid():
        try:
            services.goal_add(pairing=pairing, side=application.role,
                              title=form.cleaned_data["title"])
        except ValidationError as exc:
            return _refused(request, application, token, ("goal", pairing.pk, form), exc)
        return _done(token, request, _("The goal has been added."))
    return _refused(request, application, token, ("goal", pairing.pk, form))


@_token_view
def note(request, application, token):
    """A private note: only its author ever reads it."""
    pairing = _my_pairing(application, request.POST.get("pairing"))
    form = NoteForm(request.POST, auto_id=f"p{pairing.pk}_note_%s")
    if form.is_valid():
        try:
            services.note_add(pairing=pairing, side=application.role,
                              text=form.cleaned_data["text"])
        except ValidationError as exc:
            return _refused(request, application, token, ("note", pairing.pk, form), exc)
        return _done(token, request, _("Your note has been saved. Only you can read it."))
    return _refused(request, application, token, ("note", pairing.pk, form))


@_token_view
def feedback(request, application, token):
    pairing = _my_pairing(application, request.POST.get("pairing"))
    form = FeedbackForm(request.POST, auto_id=f"p{pairing.pk}_feedback_%s")
    if form.is_valid():
        try:
            services.feedback_submit(pairing=pairing, side=application.role,
                                     rating=form.cleaned_data["rating"],
                                     text=form.cleaned_data["text"])
        except ValidationError as exc:
            return _refused(request, application, token, ("feedback", pairing.pk, form), exc)
        return _done(token, request, _("Thank you for your feedback."))
    return _refused(request, application, token, ("feedback", pairing.pk, form))


@_token_view
def profile(request, application, token):
    """Change the profile while no proposal has been made."""
    programme = application.programme
    editable = application.status in services.MATCHABLE_MENTEE
    form = ApplicationForm(request.POST if request.method == "POST" and editable else None,
                           programme=programme, role=application.role, edit=True,
                           initial=application_initial(application))
    context = {"application": application, "programme": programme, "form": form,
               "token": token, "editable": editable}
    if request.method == "GET":
        return _private(render(request, "mentoring/profile.html", context))
    if not editable:
        context["error"] = _("The profile can only be changed before a proposal is made.")
        return _private(render(request, "mentoring/profile.html", context, status=400))
    if form.is_valid():
        try:
            services.application_update(application=application, data=form.service_data())
        except ValidationError as exc:
            add_to_form(form, exc)
        else:
            return _done(token, request, _("Your profile has been saved."))
    context["error"] = _not_saved()
    return _private(render(request, "mentoring/profile.html", context, status=400))


@_token_view
def withdraw(request, application, token):
    """Leave the programme, or end an active pair; both after a confirmation."""
    what = request.POST.get("what") or request.GET.get("what") or "withdraw"
    pairing = None
    if what == "end":
        pairing = _my_pairing(application, request.POST.get("pairing")
                              or request.GET.get("pairing"))
    elif what != "withdraw":
        raise Http404
    context = {"application": application, "programme": application.programme,
               "token": token, "what": what, "pairing": pairing}
    if request.method == "GET" or request.POST.get("confirm") != "yes":
        if what == "withdraw" and application.status in services.GONE:
            context["error"] = _("This application is no longer active.")
        return _private(render(request, "mentoring/withdraw.html", context))
    try:
        if what == "end":
            services.pairing_end(pairing=pairing, side=application.role)
            text = _("Your mentoring has ended. Thank you! If you have not yet done so, please "
                     "give us your feedback below.")
        else:
            services.application_withdraw(application=application)
            text = _("You have withdrawn from the programme. We have told the coordinator.")
    except ValidationError as exc:
        context["error"] = text_of(exc)
        return _private(render(request, "mentoring/withdraw.html", context, status=400))
    return _done(token, request, text)


@_token_view
def new_link(request, application, token):
    """A new personal link by e-mail: every earlier link, this one too, stops working. The new
    one is never shown here, only sent to the address: whoever else has the old link gets
    nothing."""
    context = {"application": application, "programme": application.programme,
               "token": token}
    if request.method == "GET" or request.POST.get("confirm") != "yes":
        return _private(render(request, "mentoring/new_link.html", context))
    services.application_new_link(application=application)
    context["sent"] = True
    return _private(render(request, "mentoring/new_link.html", context))
