"""The chair's console for the speakers' list: the item under discussion, the queue in the
computed order, the current speech with its countdown, overrides with a reason, and the log.

Every page admits the board and the assembly's chair (staff_assembly with chair_ok). Actions
are plain forms that redirect back (they work without JavaScript); the queue region polls a
partial that answers 204 while the assembly's live version is unchanged, so two seconds of
polling cost a cache read and never disturb the chair's keyboard focus."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from mitmachen.assemblies import live, selectors, services, speakers
from mitmachen.assemblies.access import projector_token, staff_assembly
from mitmachen.assemblies.models import AgendaItem, Assembly, Participant, SpeakerRequest, Vote
from mitmachen.core.audit import audit_read
from mitmachen.core.errors import add_to_form, text_of
from mitmachen.core.validators import reject_nul

EXTRA_TIME = [30, 60, 120]


class ReasonForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason (for the record)"),
                             max_length=speakers.REASON_MAX, validators=[reject_nul],
                             widget=forms.Textarea(attrs={"rows": 3}))


def _base(request, slug, pk):
    assembly = staff_assembly(request, slug, pk, chair_ok=True)
    return assembly, assembly.current_item


def _console(request, assembly) -> HttpResponse:
    return redirect(reverse("assemblies:speakers", args=[assembly.organisation.slug,
                                                         assembly.pk]))


def _live_context(assembly, item) -> dict:
    return {"assembly": assembly, "organisation": assembly.organisation, "item": item,
            "queue": speakers.queue(item) if item else [],
            "speech": speakers.speech(item) if item else None,
            "extra_time": EXTRA_TIME,
            "version": live.current_version(assembly.pk),
            # A closed assembly's list is a record: no controls left to use.
            "closed": assembly.status == Assembly.Status.CLOSED}


@login_required
@require_GET
def console(request, slug, pk):
    assembly, item = _base(request, slug, pk)
    # The list of present participants (to add someone) is personal data: log the read once
    # per page, not on every poll of the queue (those names are on the hall's screen anyway).
    audit_read(actor=request.user, obj=assembly, organisation=assembly.organisation,
               what=f"speakers' list of {assembly}"[:200])
    context = _live_context(assembly, item)
    context.update({
        "tab": "speakers", "agenda": selectors.agenda(assembly),
        "number": selectors.item_number(item) if item else "",
        "present": Participant.objects.filter(assembly=assembly, present=True),
        "kinds": SpeakerRequest.Kind.choices,
        "history": speakers.history(item) if item else [],
        "in_session": assembly.status == assembly.Status.IN_SESSION,
        "reason_max": speakers.REASON_MAX,
        "projector_token": projector_token(assembly),
        # What the item under discussion is about: its motions and the votes on them.
        "item_motions": list(item.motions.order_by("pk")) if item else [],
        "item_votes": list(Vote.objects.filter(Q(item=item) | Q(motion__item=item))
                           .distinct().order_by("pk")) if item else [],
    })
    return render(request, "assemblies/speakers.html", context)


@login_required
@require_GET
def queue_partial(request, slug, pk):
    assembly, item = _base(request, slug, pk)
    known = request.GET.get("v", "")
    version = live.current_version(assembly.pk)
    if known.isascii() and known.isdigit() and int(known) == version:
        return HttpResponse(status=204)  # htmx keeps what it shows
    return render(request, "assemblies/speakers_queue.html",
                  {**_live_context(assembly, item), "poll": True})


def _act(request, slug, pk, run, *, needs_item: bool = True) -> HttpResponse:
    """Run one of the chair's services; its message or error goes to the console."""
    assembly, item = _base(request, slug, pk)
    try:
        if item is None and needs_item:
            raise ValidationError(_("Call an agenda item first."))
        done = run(request, assembly, item)
    except ValidationError as exc:
        messages.error(request, text_of(exc))
    else:
        if done:
            messages.success(request, done)
    return _console(request, assembly)


def _text(request, name: str) -> str:
    return request.POST.get(name, "")


def _pk(request, name: str) -> int | None:
    value = _text(request, name)
    return int(value) if value.isascii() and value.isdigit() and len(value) < 19 else None


@login_required
@require_POST
def call_item(request, slug, pk):
    def call(request, assembly, current):
        item = AgendaItem.objects.filter(assembly=assembly, pk=_pk(request, "item")).first()
        if item is None:
            raise ValidationError(_("Choose an agenda item of this assembly."))
        services.item_call(assembly=assembly, item=item, actor=request.user)
        return _("“%(title)s” is now under discussion.") % {"title": item.title}
    return _act(request, slug, pk, call, needs_item=False)


@login_required
@require_POST
def next_speaker(request, slug, pk):
    def run(request, assembly, item):
        called = speakers.speaker_next(item=item, actor=request.user)
        if called is None:
            return _("Nobody is waiting.")
        return _("%(name)s has the floor.") % {"name": called.participant.name}
    return _act(request, slug, pk, run)


@login_required
@require_POST
def end_speech(request, slug, pk):
    def run(request, assembly, item):
        ended = speakers.speaker_end(item=item, actor=request.user)
        return _("%(name)s's speech has ended.") % {"name": ended.participant.name}
    return _act(request, slug, pk, run)


@login_required
@require_POST
def extend(request, slug, pk):
    def run(request, assembly, item):
        seconds = _pk(request, "seconds")
        if seconds not in EXTRA_TIME:
            raise ValidationError(_("Choose how much time to add."))
        speakers.speaker_extend(item=item, seconds=seconds, actor=request.user)
        return _("%(seconds)d seconds added.") % {"seconds": seconds}
    return _act(request, slug, pk, run)


@login_required
@require_POST
def close_list(request, slug, pk):
    def run(request, assembly, item):
        speakers.list_close(item=item, actor=request.user, reason=_text(request, "reason"))
        return _("The list of speakers is closed.")
    return _act(request, slug, pk, run)


@login_required
@require_POST
def reopen_list(request, slug, pk):
    def run(request, assembly, item):
        speakers.list_reopen(item=item, actor=request.user, reason=_text(request, "reason"))
        return _("The list of speakers is open again.")
    return _act(request, slug, pk, run)


@login_required
@require_POST
def add_request(request, slug, pk):
    def run(request, assembly, item):
        participant = Participant.objects.filter(
            assembly=assembly, pk=_pk(request, "participant")).first()
        if participant is None:
            raise ValidationError(_("Choose a participant of this assembly."))
        speakers.speaker_request(item=item, participant=participant,
                                 kind=_text(request, "kind") or SpeakerRequest.Kind.REGULAR,
                                 actor=request.user)
        return _("%(name)s is on the list.") % {"name": participant.name}
    return _act(request, slug, pk, run)


@login_required
def decide(request, slug, pk, request_id, action):
    """Put a request next, or strike it: the chair must give a reason for the record."""
    assembly, _item = _base(request, slug, pk)
    speaker = get_object_or_404(SpeakerRequest.objects.select_related("item", "participant"),
                                pk=request_id, item__assembly=assembly)
    if assembly.status == Assembly.Status.CLOSED:
        messages.error(request, _("The assembly is closed; its record can no longer change."))
        return _console(request, assembly)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        service = speakers.speaker_pin if action == speakers.PIN else speakers.speaker_remove
        try:
            service(request=speaker, actor=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            add_to_form(form, exc)
        else:
            done = _("%(name)s is put next.") if action == speakers.PIN \
                else _("%(name)s is struck from the list.")
            messages.success(request, done % {"name": speaker.participant.name})
            return _console(request, assembly)
    return render(request, "assemblies/speakers_decide.html", {
        "assembly": assembly, "organisation": assembly.organisation, "tab": "speakers",
        "speaker": speaker, "action": action, "form": form,
    })


BASE = "staff/<slug:slug>/assemblies/<int:pk>/speakers/"
urlpatterns = [
    path(BASE, console, name="speakers"),
    path(f"{BASE}queue/", queue_partial, name="speakers_queue"),
    path(f"{BASE}call/", call_item, name="speakers_call"),
    path(f"{BASE}next/", next_speaker, name="speakers_next"),
    path(f"{BASE}end/", end_speech, name="speakers_end"),
    path(f"{BASE}extend/", extend, name="speakers_extend"),
    path(f"{BASE}close/", close_list, name="speakers_close"),
    path(f"{BASE}reopen/", reopen_list, name="speakers_reopen"),
    path(f"{BASE}add/", add_request, name="speakers_add"),
    path(f"{BASE}<int:request_id>/pin/", decide, {"action": speakers.PIN},
         name="speaker_pin"),
    path(f"{BASE}<int:request_id>/remove/", decide, {"action": speakers.REMOVE},
         name="speaker_remove"),
]
