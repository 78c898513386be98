"""The door: the attendance list on a phone, the live count and quorum, the printed list with a
signature column, and the page a member's QR code opens.

The staff pages need Perm.ASSEMBLY_CHECKIN or being the assembly's chair. The QR code's page
answers 404 to everyone else, so a code in the wrong hands reveals nothing about its member."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mitmachen.assemblies import attendance
from mitmachen.assemblies.access import (
    can_chair,
    participant_by_checkin_code,
    staff_assembly,
)
from mitmachen.assemblies.models import Assembly, AttendanceEntry, Participant
from mitmachen.assemblies.selectors import quorum
from mitmachen.core.audit import audit_read
from mitmachen.core.errors import text_of
from mitmachen.core.paging import page_of
from mitmachen.core.permissions import can, request_scope
from mitmachen.core.roles import Perm

PER_PAGE = 50
SHOW = {"", "present", "absent"}


def _door(request, slug, pk) -> Assembly:
    return staff_assembly(request, slug, pk, Perm.ASSEMBLY_CHECKIN, chair_ok=True)


def _clean(value: str, limit: int) -> str:
    # NUL bytes cannot go into a PostgreSQL query; nobody's name contains one.
    return (value or "").replace("\x00", "").strip()[:limit]


def _filters(request) -> tuple[str, str]:
    source = request.POST if request.method == "POST" else request.GET
    show = source.get("show", "")
    return _clean(source.get("q", ""), 100), show if show in SHOW else ""


def _count_context(assembly: Assembly) -> dict:
    return {"assembly": assembly, "quorum": quorum(assembly),
            "closed": assembly.status == Assembly.Status.CLOSED}


@login_required
@require_GET
def attendance_page(request, slug, pk):
    assembly = _door(request, slug, pk)
    query, show = _filters(request)
    people = assembly.participants.order_by("name", "pk")
    if query:
        people = people.filter(name__icontains=query)
    if show:
        people = people.filter(present=show == "present")
    page = page_of(people, request.GET.get("page"), selective=bool(query), per_page=PER_PAGE)
    audit_read(actor=request.user, obj=assembly, organisation=assembly.organisation,
               what=f"attendance list of {assembly}"[:200])
    context = {**_count_context(assembly), "organisation": assembly.organisation,
               "tab": "attendance", "page": page, "people": page.object_list, "query": query,
               "show": show}
    if request.htmx_target == "attendance-list":
        return render(request, "assemblies/attendance_list.html", context)
    context["log"] = attendance.recent_entries(assembly)
    return render(request, "assemblies/attendance.html", context)


@login_required
@require_GET
def attendance_count(request, slug, pk):
    """Polled every few seconds by every door phone: 204 (htmx keeps what it shows) while the
    assembly's live version is the one the phone already has."""
    assembly = _door(request, slug, pk)
    if request.GET.get("v") == str(assembly.live_version):
        return HttpResponse(status=204)
    return render(request, "assemblies/attendance_count.html", _count_context(assembly))


@login_required
@require_POST
def attendance_mark(request, slug, pk, participant_pk):
    assembly = _door(request, slug, pk)
    participant = get_object_or_404(Participant, pk=participant_pk, assembly=assembly)
    query, show = _filters(request)
    wanted = request.POST.get("present")
    error = ""
    try:
        if wanted == "1":
            participant = attendance.check_in(participant=participant, actor=request.user)
        elif wanted == "0":
            participant = attendance.check_out(participant=participant, actor=request.user)
        else:
            raise ValidationError(_("Choose “Check in” or “Check out”."))
    except ValidationError as exc:
        error = text_of(exc)
        participant.refresh_from_db()
    assembly.refresh_from_db(fields=["live_version", "status"])
    if request.headers.get("HX-Request") == "true":
        return render(request, "assemblies/attendance_row.html", {
            **_count_context(assembly), "organisation": assembly.organisation,
            "p": participant, "query": query, "show": show, "error": error, "oob": True})
    if error:
        messages.error(request, error)
    url = reverse("assemblies:attendance", args=[slug, pk])
    params = {key: value for key, value in (("q", query), ("show", show)) if value}
    return redirect(f"{url}?{urlencode(params)}#participant-{participant.pk}" if params
                    else f"{url}#participant-{participant.pk}")


@login_required
@require_GET
def attendance_print(request, slug, pk):
    assembly = _door(request, slug, pk)
    people = list(assembly.participants.order_by("name", "pk"))
    points = attendance.timeline(assembly)
    audit_read(actor=request.user, obj=assembly, organisation=assembly.organisation,
               what=f"printed attendance list of {assembly}"[:200])
    return render(request, "assemblies/attendance_print.html", {
        "assembly": assembly, "organisation": assembly.organisation,
        "quorum": quorum(assembly),
        "voters": [p for p in people if p.kind == Participant.Kind.VOTER],
        "guests": [p for p in people if p.kind == Participant.Kind.GUEST],
        "presence": attendance.presence_log(assembly),
        "periods": attendance.quorate_periods(points), "points": points,
    })


@login_required
@require_GET
def attendance_code(request, slug, pk):
    """The code printed under the QR code, typed in when the camera fails."""
    assembly = _door(request, slug, pk)
    code = _clean(request.GET.get("code", ""), 100).replace(" ", "").lower()
    back = reverse("assemblies:attendance", args=[slug, pk])
    if not code:
        messages.error(request, _("Enter the code printed under the QR code."))
        return redirect(back)
    try:
        participant = participant_by_checkin_code(code)
    except ValidationError:
        participant = None
    if participant is None or participant.assembly_id != assembly.pk:
        messages.error(request, _("This code is not valid for this assembly."))
        return redirect(back)
    return redirect("assemblies:checkin_code", code)


def _may_check_in(request, assembly: Assembly) -> bool:
    user = request.user
    return bool(user.is_authenticated) and (
        can(user, Perm.ASSEMBLY_CHECKIN, assembly.organisation, scope=request_scope(request))
        or can_chair(user, assembly))


@require_http_methods(["GET", "POST"])
def checkin_code(request, code):
    """What the member's QR code opens. Only the door team of the assembly's organisation (or
    its chair) sees anything; everyone else, and every wrong code, gets the same 404."""
    try:
        participant = participant_by_checkin_code(code)
    except ValidationError:
        raise Http404 from None
    assembly = participant.assembly
    if not _may_check_in(request, assembly):
        raise Http404
    request.session["staff_org"] = assembly.organisation.slug
    if request.method == "POST":
        try:
            participant = attendance.check_in(participant=participant, actor=request.user,
                                              via_code=True)
            messages.success(request, _("%(name)s is checked in.") % {"name": participant.name})
        except ValidationError as exc:
            messages.error(request, text_of(exc))
        return redirect("assemblies:checkin_code", code)
    arrived = AttendanceEntry.objects.filter(
        participant=participant, action=AttendanceEntry.Action.ARRIVED).order_by(
        "-at", "-pk").values_list("at", flat=True).first() if participant.present else None
    return render(request, "assemblies/checkin_code.html", {
        "assembly": assembly, "organisation": assembly.organisation, "tab": "attendance",
        "participant": participant, "arrived": arrived,
        "closed": assembly.status == Assembly.Status.CLOSED,
    })


STAFF = "staff/<slug:slug>/assemblies/<int:pk>/attendance/"

urlpatterns = [
    path(STAFF, attendance_page, name="attendance"),
    path(f"{STAFF}count/", attendance_count, name="attendance_count"),
    path(f"{STAFF}print/", attendance_print, name="attendance_print"),
    path(f"{STAFF}code/", attendance_code, name="attendance_code"),
    path(f"{STAFF}<int:participant_pk>/", attendance_mark, name="attendance_mark"),
    path("checkin/<str:code>/", checkin_code, name="checkin_code"),
]

