"""Motions and yes/no/abstain votes: the chair's page, a motion's page, the printed motion book,
and the participant's phone (reading, submitting and supporting motions; voting).

Staff pages take the assembly from access.staff_assembly (the board, or the assembly's chair
for everything but the board's recommendation); another organisation's ids answer 404. The
participant's pages take the personal link; an id of another assembly answers 404. A secret
choice travels only in the POST body of participant_vote, which nothing logs (the request log
keeps the route without the token, never a body)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mitmachen.assemblies import access, motions, votes
from mitmachen.assemblies.models import (
    AgendaItem,
    Assembly,
    Majority,
    Motion,
    Participant,
    Vote,
    VoteCast,
)
from mitmachen.core.audit import audit_read
from mitmachen.core.errors import add_to_form, text_of
from mitmachen.core.throttle import form_limited

NOT_SAVED = gettext_lazy("Please correct the errors below. Nothing was saved.")
MS = Motion.Status


# --- forms -----------------------------------------------------------------------------------

class MotionForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    text = forms.CharField(label=gettext_lazy("Text of the motion"), max_length=50000,
                           widget=forms.Textarea(attrs={"rows": 8}))
    reasoning = forms.CharField(label=gettext_lazy("Reasoning"), max_length=20000,
                                required=False, widget=forms.Textarea(attrs={"rows": 5}))
    amends = forms.ModelChoiceField(label=gettext_lazy("Amendment to"), queryset=Motion.objects
                                    .none(), required=False,
                                    empty_label=gettext_lazy("(a motion of its own)"))

    def __init__(self, *args, assembly: Assembly, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["amends"].queryset = Motion.objects.filter(
            assembly=assembly, amends=None, status__in=motions.OPEN_STATUSES)


class StaffMotionForm(MotionForm):
    submitter = forms.ModelChoiceField(
        label=gettext_lazy("Submitted by (member)"), queryset=Participant.objects.none(),
        required=False, empty_label=gettext_lazy("(not a single member)"))
    submitter_name = forms.CharField(
        label=gettext_lazy("Name of the submitter"), max_length=200, required=False,
        help_text=gettext_lazy("For example “Kreisvorstand”; empty: the member's name."))
    item = forms.ModelChoiceField(label=gettext_lazy("Agenda item"),
                                  queryset=AgendaItem.objects.none(), required=False)

    def __init__(self, *args, assembly: Assembly, **kwargs):
        super().__init__(*args, assembly=assembly, **kwargs)
        self.fields["submitter"].queryset = assembly.participants.filter(
            kind=Participant.Kind.VOTER, contact__isnull=False).order_by("name", "pk")
        self.fields["item"].queryset = assembly.items.all()


class MotionEditForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    text = forms.CharField(label=gettext_lazy("Text of the motion"), max_length=50000,
                           widget=forms.Textarea(attrs={"rows": 8}))
    reasoning = forms.CharField(label=gettext_lazy("Reasoning"), max_length=20000,
                                required=False, widget=forms.Textarea(attrs={"rows": 5}))
    submitter_name = forms.CharField(label=gettext_lazy("Submitted by"), max_length=200)
    item = forms.ModelChoiceField(label=gettext_lazy("Agenda item"),
                                  queryset=AgendaItem.objects.none(), required=False)

    def __init__(self, *args, assembly: Assembly, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = assembly.items.all()


class RecommendForm(forms.Form):
    recommendation = forms.ChoiceField(label=gettext_lazy("The board recommends"),
                                       choices=Motion.Recommendation.choices, required=False)
    recommendation_text = forms.CharField(
        label=gettext_lazy("Reason for the recommendation"), max_length=5000, required=False,
        widget=forms.Textarea(attrs={"rows": 3}))


class VoteForm(forms.Form):
    subject = forms.ChoiceField(label=gettext_lazy("Vote on"), choices=Vote.Subject.choices)
    motion = forms.ModelChoiceField(label=gettext_lazy("Motion"),
                                    queryset=Motion.objects.none(), required=False)
    question = forms.CharField(
        label=gettext_lazy("Question"), max_length=500, required=False,
        help_text=gettext_lazy("Empty: the motion's number and title, or “Discharge of the "
                               "board”."))
    method = forms.ChoiceField(label=gettext_lazy("Method"), choices=Vote.Method.choices)
    majority = forms.ChoiceField(label=gettext_lazy("Majority"), choices=Majority.choices)

    def __init__(self, *args, assembly: Assembly, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["motion"].queryset = Motion.objects.filter(assembly=assembly,
                                                               status=MS.ADMITTED)


class CountForm(forms.Form):
    yes = forms.IntegerField(label=gettext_lazy("Yes"), min_value=0, max_value=votes.MAX_COUNT)
    no = forms.IntegerField(label=gettext_lazy("No"), min_value=0, max_value=votes.MAX_COUNT)
    abstain = forms.IntegerField(label=gettext_lazy("Abstentions"), min_value=0,
                                 max_value=votes.MAX_COUNT)


# --- staff: the motions and votes page -------------------------------------------------------

def _assembly(request, slug, pk) -> Assembly:
    return access.staff_assembly(request, slug, pk, chair_ok=True)


def _motion_rows(assembly: Assembly) -> list[Motion]:
    """The motions in order of their numbers, each with its amendments, supporters counted."""
    amendments = Motion.objects.select_related("item", "amends").annotate(
        n_supporters=Count("supporters")).order_by("pk")
    return list(Motion.objects.filter(assembly=assembly, amends=None).select_related("item")
                .annotate(n_supporters=Count("supporters"))
                .prefetch_related(Prefetch("amendments", queryset=amendments)).order_by("pk"))


def _vote_rows(assembly: Assembly) -> list[Vote]:
    rows = list(Vote.objects.filter(assembly=assembly).select_related("motion", "resolution")
                .annotate(n_cast=Count("casts")).order_by("pk"))
    for vote in rows:
        vote.explanation = votes.explanation(vote)
        vote.on_phones = vote.method in votes.ON_PHONES
    return rows


def _page(request, assembly, *, motion_form=None, vote_form=None, status=200):
    return render(request, "assemblies/motions.html", {
        "assembly": assembly, "organisation": assembly.organisation, "tab": "motions",
        "motions": _motion_rows(assembly), "votes": _vote_rows(assembly),
        "motion_form": motion_form or StaffMotionForm(assembly=assembly),
        "vote_form": vote_form or VoteForm(assembly=assembly),
        "count_form": CountForm(),
        "can_manage": access.can_manage(request.user, assembly),
        "closed": assembly.status == Assembly.Status.CLOSED,
    }, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def motions_page(request, slug, pk):
    """The list of motions and votes; a POST adds a motion entered by staff."""
    assembly = _assembly(request, slug, pk)
    if request.method == "GET":
        return _page(request, assembly)
    form = StaffMotionForm(request.POST, assembly=assembly)
    if form.is_valid():
        data = form.cleaned_data
        submitter = data["submitter"].contact if data["submitter"] else None
        try:
            motion = motions.motion_submit(
                assembly=assembly, title=data["title"], text=data["text"],
                reasoning=data["reasoning"], submitter=submitter,
                submitter_name=data["submitter_name"], amends=data["amends"],
                item=data["item"], actor=request.user)
        except ValidationError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("Motion %(number)s has been added.")
                             % {"number": motion.number})
            return redirect("assemblies:motion_detail", slug, pk, motion.pk)
    messages.error(request, NOT_SAVED)
    return _page(request, assembly, motion_form=form, status=400)


@login_required
@require_GET
def motion_book(request, slug, pk):
    """Every motion with its text, reasoning and the board's recommendation, for print."""
    assembly = _assembly(request, slug, pk)
    return render(request, "assemblies/motion_book.html", {
        "assembly": assembly, "organisation": assembly.organisation,
        "motions": _motion_rows(assembly)})


@login_required
@require_http_methods(["GET", "POST"])
def motion_detail(request, slug, pk, motion_pk):
    assembly = _assembly(request, slug, pk)
    motion = get_object_or_404(Motion.objects.select_related("amends", "item", "submitter"),
                               assembly=assembly, pk=motion_pk)
    edit_form = MotionEditForm(initial={
        "title": motion.title, "text": motion.text, "reasoning": motion.reasoning,
        "submitter_name": motion.submitter_name, "item": motion.item_id}, assembly=assembly)
    recommend_form = RecommendForm(initial={
        "recommendation": motion.recommendation,
        "recommendation_text": motion.recommendation_text})
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "edit":
                edit_form = MotionEditForm(request.POST, assembly=assembly)
                if not edit_form.is_valid():
                    raise ValidationError(NOT_SAVED)
                motions.motion_update(motion=motion, data=edit_form.cleaned_data,
                                      actor=request.user)
                done = _("Motion %(number)s has been changed.")
            elif action == "recommend":
                if not access.can_manage(request.user, assembly):
                    raise PermissionDenied
                recommend_form = RecommendForm(request.POST)
                if not recommend_form.is_valid():
                    raise ValidationError(NOT_SAVED)
                motions.motion_recommend(
                    motion=motion, recommendation=recommend_form.cleaned_data["recommendation"],
                    text=recommend_form.cleaned_data["recommendation_text"], actor=request.user)
                done = _("The board's recommendation on %(number)s has been saved.")
            elif action == "admit":
                motions.motion_admit(motion=motion, actor=request.user)
                done = _("Motion %(number)s is admitted to the vote.")
            elif action == "refer":
                motions.motion_status_change(motion=motion, status=MS.REFERRED,
                                             actor=request.user)
                done = _("Motion %(number)s has been referred.")
            elif action == "withdraw":
                motions.motion_withdraw(motion=motion, actor=request.user)
                done = _("Motion %(number)s has been withdrawn.")
            else:
                raise ValidationError(_("Please use one of the buttons on this page."))
        except ValidationError as exc:
            if action == "edit" and hasattr(exc, "error_dict"):
                add_to_form(edit_form, exc)
            messages.error(request, text_of(exc))
            status = 400
        else:
            messages.success(request, done % {"number": motion.number})
            return redirect("assemblies:motion_detail", slug, pk, motion.pk)
        motion.refresh_from_db()
    supporters = list(motion.supporters.select_related("contact").order_by("created_at", "pk"))
    if supporters:
        audit_read(actor=request.user, obj=motion, organisation=assembly.organisation,
                   what=f"supporters of motion {motion.number} ({assembly})"[:200])
    return render(request, "assemblies/motion_detail.html", {
        "assembly": assembly, "organisation": assembly.organisation, "tab": "motions",
        "motion": motion, "supporters": supporters,
        "amendments": motion.amendments.annotate(n_supporters=Count("supporters")).order_by(
            "pk"),
        "votes": [v for v in _vote_rows(assembly) if v.motion_id == motion.pk],
        "edit_form": edit_form, "recommend_form": recommend_form,
        "can_manage": access.can_manage(request.user, assembly),
        "editable": motion.status in motions.OPEN_STATUSES
        and assembly.status != Assembly.Status.CLOSED,
    }, status=status)


# --- staff: votes ----------------------------------------------------------------------------

@login_required
@require_POST
def vote_create(request, slug, pk):
    assembly = _assembly(request, slug, pk)
    form = VoteForm(request.POST, assembly=assembly)
    if form.is_valid():
        data = form.cleaned_data
        try:
            votes.vote_create(assembly=assembly, subject=data["subject"], motion=data["motion"],
                              question=data["question"], method=data["method"],
                              majority=data["majority"], actor=request.user)
        except ValidationError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("The vote has been prepared."))
            return redirect(reverse("assemblies:motions", args=[slug, pk]) + "#votes")
    messages.error(request, NOT_SAVED)
    return _page(request, assembly, vote_form=form, status=400)


@login_required
@require_POST
def vote_action(request, slug, pk, vote_pk):
    """Open, enter counts, close or delete a vote."""
    assembly = _assembly(request, slug, pk)
    vote = get_object_or_404(Vote, assembly=assembly, pk=vote_pk)
    action = request.POST.get("action", "")
    try:
        if action == "open":
            votes.vote_open(vote=vote, actor=request.user)
            done = _("Voting is open.")
        elif action in ("count", "count_close"):
            form = CountForm(request.POST)
            if not form.is_valid():
                raise ValidationError(_("Enter the yes, no and abstain counts as whole numbers "
                                        "of at least 0."))
            votes.vote_count_enter(vote=vote, actor=request.user, **form.cleaned_data)
            done = _("The counts have been saved.")
            if action == "count_close":
                votes.vote_close(vote=vote, actor=request.user)
                done = _("The vote is closed and counted.")
        elif action == "close":
            votes.vote_close(vote=vote, actor=request.user)
            done = _("The vote is closed and counted.")
        elif action == "delete":
            votes.vote_delete(vote=vote, actor=request.user)
            done = _("The vote has been deleted.")
        else:
            raise ValidationError(_("Please use one of the buttons on this page."))
    except ValidationError as exc:
        messages.error(request, text_of(exc))
    else:
        messages.success(request, done)
    return redirect(reverse("assemblies:motions", args=[slug, pk]) + f"#vote-{vote_pk}")


@login_required
@require_GET
def vote_tally(request, slug, pk, vote_pk):
    """The live "ballots cast X of Y", polled by the chair's page: 204 while nothing changed."""
    assembly = _assembly(request, slug, pk)
    vote = get_object_or_404(Vote, assembly=assembly, pk=vote_pk)
    if request.GET.get("v") == str(assembly.live_version):
        return HttpResponse(status=204)
    vote.n_cast = VoteCast.objects.filter(vote=vote).count()
    vote.on_phones = vote.method in votes.ON_PHONES
    return render(request, "assemblies/vote_tally.html", {"assembly": assembly, "vote": vote})


# --- the participant's phone -----------------------------------------------------------------

def _participant(token: str) -> Participant:
    try:
        return access.participant_by_token(token)
    except ValidationError:
        raise Http404(_("This link is not valid.")) from None


def _panel_context(participant: Participant, token: str, error: str = "") -> dict:
    """The open votes (and the open secret elections) with what this participant can do."""
    assembly = participant.assembly
    open_votes = list(Vote.objects.filter(assembly=assembly, status=Vote.Status.OPEN)
                      .annotate(n_cast=Count("casts")).order_by("opened_at", "pk"))
    voted = set(VoteCast.objects.filter(participant=participant, vote__in=open_votes)
                .values_list("vote_id", flat=True))
    for vote in open_votes:
        vote.assembly = assembly
        vote.on_phones = vote.method in votes.ON_PHONES
        vote.voted = vote.pk in voted
        vote.reason = "" if vote.voted or not vote.on_phones else votes.may_vote(vote,
                                                                                 participant)
    return {"participant": participant, "assembly": assembly, "token": token,
            "votes": open_votes, "elections": _open_elections(participant), "error": error,
            "version": assembly.live_version,
            "is_voter": participant.kind == Participant.Kind.VOTER}


def _open_elections(participant: Participant) -> list:
    try:  # the elections helper's module; the panel works without it
        from mitmachen.assemblies.elections import open_for
    except ImportError:
        return []
    return open_for(participant)


def _voting_response(request, context):
    htmx = request.headers.get("HX-Request") == "true"
    template = "assemblies/vote_panel.html" if htmx else "assemblies/participant_voting.html"
    response = render(request, template, context)
    response["X-Robots-Tag"] = "noindex"
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def participant_voting(request, token):
    """The phone's voting panel (a whole page, or the part htmx polls: 204 while the
    assembly's live version is the one the phone shows)."""
    participant = _participant(token)
    if request.headers.get("HX-Request") == "true" and request.GET.get("v") == str(
            participant.assembly.live_version):
        return HttpResponse(status=204)
    return _voting_response(request, _panel_context(participant, token))


@require_POST
def participant_vote(request, token, vote_pk):
    """A refusal is shown, not answered with 4xx: htmx swaps no 4xx response, and Django's
    request logger writes the path of every 4xx, which here holds the personal link."""
    participant = _participant(token)
    vote = get_object_or_404(Vote, assembly_id=participant.assembly_id, pk=vote_pk)
    htmx = request.headers.get("HX-Request") == "true"
    error = ""
    try:
        votes.vote_cast(vote=vote, participant=participant, choice=request.POST.get("choice"))
    except ValidationError as exc:
        error = text_of(exc)
    if htmx:
        participant.assembly.refresh_from_db(fields=["live_version"])
        return _voting_response(request, _panel_context(participant, token, error))
    if error:
        messages.error(request, error)
    else:
        # Deliberately no echo of the choice: a secret vote shows nobody what was chosen.
        messages.success(request, _("Your vote was counted."))
    return redirect("assemblies:participant_voting", token)


@require_http_methods(["GET", "POST"])
def participant_motions(request, token):
    """Read the motions; a voting member submits a motion or an amendment, supports one, or
    withdraws their own. Every action is a POST to this page. Refusals answer 200 with the
    message: a 4xx would put the personal link into Django's request log."""
    participant = _participant(token)
    assembly = participant.assembly
    contact = participant.contact
    is_voter = participant.kind == Participant.Kind.VOTER and contact is not None
    form = MotionForm(assembly=assembly)
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            # Counted per participant and address, shared with the API (like asking to speak):
            # one link cannot flood the motion book or toggle support without end.
            if action in ("submit", "support", "unsupport", "withdraw") and form_limited(
                    request, motions.throttle_key(participant), motions.PARTICIPANT_ACTIONS):
                raise ValidationError(_("Too many requests from this phone. Please wait a few "
                                        "minutes."))
            if action == "submit":
                if not is_voter:
                    raise ValidationError(_("Only voting members can submit motions."))
                form = MotionForm(request.POST, assembly=assembly)
                if not form.is_valid():
                    raise ValidationError(NOT_SAVED)
                data = form.cleaned_data
                motion = motions.motion_submit(
                    assembly=assembly, title=data["title"], text=data["text"],
                    reasoning=data["reasoning"], amends=data["amends"], submitter=contact,
                    actor=None, by_member=True)
                done = _("Your motion has been submitted as %(number)s.") % {
                    "number": motion.number}
            elif action in ("support", "unsupport", "withdraw"):
                motion = _motion_of(assembly, request.POST.get("motion"))
                if contact is None:
                    raise ValidationError(_("Only members of the organisation can support a "
                                            "motion."))
                if action == "support":
                    motions.motion_support(motion=motion, contact=contact, actor=None)
                    done = _("You support motion %(number)s.") % {"number": motion.number}
                elif action == "unsupport":
                    motions.motion_unsupport(motion=motion, contact=contact, actor=None)
                    done = _("You no longer support motion %(number)s.") % {
                        "number": motion.number}
                else:
                    motions.motion_withdraw(motion=motion, contact=contact, actor=None)
                    done = _("Motion %(number)s has been withdrawn.") % {
                        "number": motion.number}
            else:
                raise ValidationError(_("Please use one of the buttons on this page."))
        except ValidationError as exc:
            if action == "submit" and hasattr(exc, "error_dict"):
                add_to_form(form, exc)
                messages.error(request, NOT_SAVED)
            else:
                messages.error(request, text_of(exc))
        else:
            messages.success(request, done)
            return redirect("assemblies:participant_motions", token)
    rows = _motion_rows(assembly)
    supported = set(Motion.objects.filter(assembly=assembly, supporters__contact=contact)
                    .values_list("pk", flat=True)) if contact else set()
    response = render(request, "assemblies/participant_motions.html", {
        "participant": participant, "assembly": assembly, "token": token, "motions": rows,
        "supported": supported, "contact": contact, "is_voter": is_voter, "form": form,
        "closed": assembly.status == Assembly.Status.CLOSED,
        "open_statuses": list(motions.OPEN_STATUSES)})
    response["X-Robots-Tag"] = "noindex"
    return response


def _motion_of(assembly: Assembly, value) -> Motion:
    # isascii: "²".isdigit() is True, but int("²") raises.
    if not isinstance(value, str) or not (value.isascii() and value.isdigit()) \
            or len(value) > 18:
        raise ValidationError(_("Choose a motion of this assembly."))
    motion = Motion.objects.select_related("assembly").filter(assembly=assembly,
                                                              pk=int(value)).first()
    if motion is None:
        raise ValidationError(_("Choose a motion of this assembly."))
    return motion


STAFF = "staff/<slug:slug>/assemblies/<int:pk>/motions/"
urlpatterns = [
    path(STAFF, motions_page, name="motions"),
    path(f"{STAFF}book/", motion_book, name="motion_book"),
    path(f"{STAFF}<int:motion_pk>/", motion_detail, name="motion_detail"),
    path(f"{STAFF}votes/", vote_create, name="vote_create"),
    path(f"{STAFF}votes/<int:vote_pk>/", vote_action, name="vote_action"),
    path(f"{STAFF}votes/<int:vote_pk>/tally/", vote_tally, name="vote_tally"),
    path("a/<str:token>/voting/", participant_voting, name="participant_voting"),
    path("a/<str:token>/vote/<int:vote_pk>/", participant_vote, name="participant_vote"),
    path("a/<str:token>/motions/", participant_motions, name="participant_motions"),
]
