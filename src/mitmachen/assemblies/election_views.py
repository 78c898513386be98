"""Elections: the chair's pages (list, one election with its candidates, voting, the tellers'
count and the result, its print view) and the ballot on a participant's phone.

Staff pages need Perm.ASSEMBLY_MANAGE or being the assembly's chair; another organisation's
assembly or election answers 404. The phone's page answers 404 to a wrong link."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from mitmachen.assemblies import elections
from mitmachen.assemblies.access import participant_by_token, staff_assembly
from mitmachen.assemblies.models import (
    AgendaItem,
    Assembly,
    Candidate,
    Election,
    Participant,
    QuotaCategory,
)
from mitmachen.core.errors import add_to_form, text_of

NOT_SAVED = gettext_lazy("Please correct the errors below. Nothing was saved.")
ES = Election.Status


# --- forms -----------------------------------------------------------------------------------

class ElectionForm(forms.ModelForm):
    class Meta:
        model = Election
        fields = ["title", "kind", "item", "seats", "reserved", "min_share", "fallback",
                  "votes_per_ballot", "min_votes", "method"]

    def __init__(self, *args, assembly: Assembly, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = AgendaItem.objects.filter(assembly=assembly)
        self.fields["item"].required = False
        # "places" alone is a venue elsewhere in the translations: say which places.
        self.fields["seats"].label = pgettext_lazy("election", "Places to fill")
        self.fields["seats"].widget.attrs.update(min=1, max=200)
        self.fields["min_share"].widget.attrs.update(min=0, max=100)

    def data_for_service(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class CandidateForm(forms.Form):
    participant = forms.ModelChoiceField(
        label=gettext_lazy("Participant"), queryset=Participant.objects.none(), required=False,
        empty_label=gettext_lazy("— not a participant of the assembly —"))
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200, required=False,
                           help_text=gettext_lazy("Needed only for someone not on the list "
                                                  "of participants."))
    category = forms.ChoiceField(
        label=gettext_lazy("counts for the quota as"), required=False,
        choices=[("", "—"), *QuotaCategory.choices],
        help_text=gettext_lazy("For a participant, the list of participants decides when it "
                               "says."))

    def __init__(self, *args, election: Election, **kwargs):
        super().__init__(*args, **kwargs)
        standing = election.candidates.filter(withdrawn=False, participant__isnull=False)
        self.fields["participant"].queryset = Participant.objects.filter(
            assembly_id=election.assembly_id).exclude(
            pk__in=standing.values("participant_id")).order_by("name", "pk")


class PaperForm(forms.Form):
    """The tellers' count: ballots in the box, invalid ones, abstentions, votes per candidate."""

    ballots_cast = forms.IntegerField(label=gettext_lazy("Ballots cast"), min_value=0,
                                      max_value=elections.MAX_VOTES)
    invalid = forms.IntegerField(label=gettext_lazy("of which invalid"), min_value=0,
                                 max_value=elections.MAX_VOTES, initial=0)
    abstain = forms.IntegerField(label=gettext_lazy("of which abstentions"), min_value=0,
                                 max_value=elections.MAX_VOTES, initial=0)

    def __init__(self, *args, candidates: list[Candidate], **kwargs):
        super().__init__(*args, **kwargs)
        self.candidates = candidates
        for candidate in candidates:
            self.fields[f"votes_{candidate.pk}"] = forms.IntegerField(
                label=_("Votes for %(name)s") % {"name": candidate.name}, min_value=0,
                max_value=elections.MAX_VOTES, initial=candidate.votes)

    def votes(self) -> dict[int, int]:
        return {c.pk: self.cleaned_data[f"votes_{c.pk}"] for c in self.candidates}


class BallotForm(forms.Form):
    candidates = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Candidates"), coerce=int, required=False,
        widget=forms.CheckboxSelectMultiple)
    abstain = forms.BooleanField(label=gettext_lazy("I abstain"), required=False)

    def __init__(self, *args, election: Election, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["candidates"].choices = [
            (c.pk, f"{c.name} ({QuotaCategory(c.category).label})")
            for c in election.candidates.filter(withdrawn=False)]

    def clean(self):
        data = super().clean()
        if not data.get("candidates") and not data.get("abstain"):
            raise forms.ValidationError(_("Choose candidates, or tick “I abstain”."))
        return data


def _posted(request):
    # An empty POST is still a submission: the form must be bound to show what is missing.
    return request.POST if request.method == "POST" else None


# --- what the pages show -----------------------------------------------------------------------

def _context(assembly: Assembly, **extra) -> dict:
    return {"assembly": assembly, "organisation": assembly.organisation, "tab": "elections",
            **extra}


def _election(assembly: Assembly, election_pk: int) -> Election:
    return get_object_or_404(Election.objects.select_related("item"), assembly=assembly,
                             pk=election_pk)


def rules_text(election: Election) -> list[str]:
    """The quota rules in words, for the page and the minutes."""
    lines = []
    if election.reserved != Election.Reserved.NONE:
        lines.append(_("Reserved places: %(rule)s; %(fallback)s when no woman/FLINTA* can "
                       "take one.") % {"rule": election.get_reserved_display(),
                                       "fallback": election.get_fallback_display()})
    if election.min_share:
        lines.append(_("At least %(share)d %% of the filled places go to women/FLINTA*.")
                     % {"share": election.min_share})
    if not lines:
        lines.append(_("No quota rules apply."))
    per_ballot = election.votes_per_ballot or election.seats
    lines.append(ngettext("Each ballot names one candidate at most.",
                          "Each ballot names up to %(n)d candidates.", per_ballot)
                 % {"n": per_ballot})
    lines.append(ngettext("A candidate needs at least %(n)d vote to be elected.",
                          "A candidate needs at least %(n)d votes to be elected.",
                          election.min_votes) % {"n": election.min_votes})
    return lines


def result_context(election: Election) -> dict:
    """The counted result for the templates: places, notes in the current language, ties and
    the tally check. Empty before counting."""
    if election.status != ES.COUNTED or "places" not in election.result:
        return {}
    result = election.result
    categories = dict(QuotaCategory.choices)
    places = []
    for place in result["places"]:
        row = dict(place)
        if place["candidate"]:
            row["category_label"] = categories.get(place["candidate"]["category"], "")
        places.append(row)
    ties = [{"names": ", ".join(p["name"] for p in group), "votes": group[0]["votes"]}
            for group in result.get("ties", []) if group]
    tally = result.get("tally", {})
    return {"places": places, "notes": elections.result_notes(election), "ties": ties,
            "quota_met": result.get("quota_met", True), "tally": tally,
            "valid": tally.get("ballots", 0) - tally.get("invalid", 0),
            "runoff_of": result.get("runoff_of")}


def _status_context(election: Election) -> dict:
    return {"election": election, "cast": elections.ballots_cast_now(election),
            "present": elections.present_voters(election.assembly_id)}


def _detail(request, assembly: Assembly, election: Election, *, candidate_form=None,
            paper_form=None, status=200):
    candidates = list(election.candidates.select_related("participant"))
    standing = [c for c in candidates if not c.withdrawn]
    if paper_form is None and election.method == Election.Method.PAPER \
            and election.status == ES.VOTING:
        paper_form = PaperForm(candidates=standing, initial={
            "ballots_cast": election.ballots_cast if election.result.get("paper_entered")
            else None, "invalid": election.ballots_invalid, "abstain": election.ballots_abstain})
    runoffs = Election.objects.filter(assembly=assembly, result__runoff_of__election=election.pk)
    return render(request, "assemblies/election_detail.html", _context(
        assembly, candidates=candidates, standing=standing,
        candidate_form=candidate_form or CandidateForm(election=election),
        paper_form=paper_form, rules=rules_text(election), runoffs=list(runoffs),
        free_places=sum(1 for p in election.result.get("places", [])
                        if p.get("candidate") is None),
        **result_context(election), **_status_context(election)), status=status)


def _back(slug, pk, election_pk, anchor=""):
    return redirect(reverse("assemblies:election_detail", args=[slug, pk, election_pk])
                    + anchor)


# --- staff pages -------------------------------------------------------------------------------

def _staff(request, slug, pk) -> Assembly:
    return staff_assembly(request, slug, pk, chair_ok=True)


@login_required
def election_list(request, slug, pk):
    assembly = _staff(request, slug, pk)
    form = ElectionForm(_posted(request), assembly=assembly,
                        instance=Election(assembly=assembly), initial={"seats": 1})
    if request.method == "POST":
        if form.is_valid():
            try:
                election = elections.election_create(assembly=assembly, actor=request.user,
                                                     **form.data_for_service())
            except ValidationError as exc:
                add_to_form(form, exc)
            else:
                messages.success(request, _("The election “%(title)s” has been created. "
                                            "Nominate the candidates.") % {
                    "title": election.title})
                return _back(slug, pk, election.pk)
        messages.error(request, NOT_SAVED)
    rows = assembly.elections.select_related("item").annotate(
        n_candidates=Count("candidates", filter=Q(candidates__withdrawn=False)))
    return render(request, "assemblies/elections.html", _context(
        assembly, elections=rows, form=form,
        closed=assembly.status == Assembly.Status.CLOSED), status=200)


@login_required
@require_GET
def election_detail(request, slug, pk, election_pk):
    assembly = _staff(request, slug, pk)
    return _detail(request, assembly, _election(assembly, election_pk))


@login_required
def election_edit(request, slug, pk, election_pk):
    assembly = _staff(request, slug, pk)
    election = _election(assembly, election_pk)
    if election.status != ES.NOMINATING:
        messages.error(request, _("Voting has started: the election can no longer change."))
        return _back(slug, pk, election.pk)
    form = ElectionForm(_posted(request), assembly=assembly,
                        instance=Election.objects.get(pk=election.pk))
    if request.method == "POST":
        if form.is_valid():
            try:
                elections.election_update(election=election, data=form.data_for_service(),
                                          actor=request.user)
            except ValidationError as exc:
                add_to_form(form, exc)
            else:
                messages.success(request, _("The election has been saved."))
                return _back(slug, pk, election.pk)
        messages.error(request, NOT_SAVED)
    return render(request, "assemblies/election_edit.html", _context(
        assembly, election=election, form=form))


@login_required
@require_POST
def candidate_add(request, slug, pk, election_pk):
    assembly = _staff(request, slug, pk)
    election = _election(assembly, election_pk)
    form = CandidateForm(request.POST, election=election)
    if form.is_valid():
        try:
            candidate = elections.candidate_add(
                election=election, participant=form.cleaned_data["participant"],
                name=form.cleaned_data["name"], category=form.cleaned_data["category"],
                actor=request.user)
        except ValidationError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("%(name)s has been nominated.") % {
                "name": candidate.name})
            return _back(slug, pk, election.pk, "#candidates")
    messages.error(request, NOT_SAVED)
    return _detail(request, assembly, election, candidate_form=form)


@login_required
@require_POST
def candidate_withdraw(request, slug, pk, election_pk, candidate_pk):
    assembly = _staff(request, slug, pk)
    election = _election(assembly, election_pk)
    candidate = get_object_or_404(Candidate, pk=candidate_pk, election=election)
    try:
        elections.candidate_withdraw(candidate=candidate, actor=request.user)
    except ValidationError as exc:
        messages.error(request, text_of(exc))
    else:
        messages.success(request, _("%(name)s has withdrawn.") % {"name": candidate.name})
    return _back(slug, pk, election.pk, "#candidates")


@login_required
@require_POST
def election_open(request, slug, pk, election_pk):
    assembly = _staff(request, slug, pk)
    election = _election(assembly, election_pk)
    try:
        elections.election_open(election=election, actor=request.user)
    except ValidationError as exc:
        messages.error(request, text_of(exc))
    else:
        messages.success(request, _("Voting is open."))
    return _back(slug, pk, election.pk)


@login_required
@require_POST
def election_paper(request, slug, pk, election_pk):
    assembly = _staff(request, slug, pk)
    election = _election(assembly, election_pk)
    standing = list(election.candidates.filter(withdrawn=False))
    form = PaperForm(request.POST, candidates=standing)
    if form.is_valid():
        try:
            elections.paper_result_enter(
                election=election, votes=form.votes(), actor=request.user,
                ballots_cast=form.cleaned_data["ballots_cast"],
                invalid=form.cleaned_data["invalid"], abstain=form.cleaned_data["abstain"])
        except ValidationError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("The tellers' count has been saved. Check it, then "
                                        "count the election."))
            return _back(slug, pk, election.pk, "#paper")
    messages.error(request, NOT_SAVED)
    return _detail(request, assembly, election, paper_form=form)


@login_required
@require_POST
def election_count(request, slug, pk, election_pk):
    assembly = _staff(request, slug, pk)
    election = _election(assembly, election_pk)
    try:
        elections.election_count(election=election, actor=request.user)
    except ValidationError as exc:
        messages.error(request, text_of(exc))
    else:
        messages.success(request, _("The election has been counted."))
    return _back(slug, pk, election.pk, "#result")


@login_required
@require_POST
def election_runoff(request, slug, pk, election_pk):
    assembly = _staff(request, slug, pk)
    election = _election(assembly, election_pk)
    try:
        runoff = elections.election_runoff(election=election, actor=request.user,
                                           ties=request.POST.get("ties") == "1")
    except ValidationError as exc:
        messages.error(request, text_of(exc))
        return _back(slug, pk, election.pk, "#result")
    messages.success(request, _("The new ballot has been created with the candidates who were "
                                "not elected. Add candidates if needed, then open it."))
    return _back(slug, pk, runoff.pk)


@login_required
@require_GET
def election_status(request, slug, pk, election_pk):
    """The live count of ballots cast, polled by the chair's page while voting is open."""
    assembly = _staff(request, slug, pk)
    election = _election(assembly, election_pk)
    response = render(request, "assemblies/election_status.html", _context(
        assembly, **_status_context(election)))
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def election_print(request, slug, pk, election_pk):
    assembly = _staff(request, slug, pk)
    election = _election(assembly, election_pk)
    return render(request, "assemblies/election_print.html", _context(
        assembly, election=election, rules=rules_text(election),
        candidates=list(election.candidates.all()), **result_context(election)))


# --- the phone ---------------------------------------------------------------------------------

def _refusal(election: Election, participant: Participant, voted: bool) -> str:
    """Why this participant cannot vote here now ("" when they can)."""
    if election.method != Election.Method.SECRET:
        return _("This election is held on paper ballots in the hall.")
    if election.status == ES.NOMINATING:
        return _("Voting has not been opened yet.")
    if election.status == ES.COUNTED:
        return _("Voting has closed.")
    if voted:
        return ""
    if participant.kind != Participant.Kind.VOTER:
        return _("Guests do not vote.")
    if not participant.present:
        return _("You are not checked in. Please check in at the door first.")
    return ""


@never_cache
def participant_election(request, token, election_pk):
    try:
        participant = participant_by_token(token)
    except ValidationError:
        raise Http404 from None
    election = get_object_or_404(Election, pk=election_pk, assembly_id=participant.assembly_id)
    form = BallotForm(_posted(request), election=election)
    if request.method == "POST" and form.is_valid():
        try:
            elections.ballot_cast(election=election, participant=participant,
                                  candidate_ids=form.cleaned_data["candidates"],
                                  abstain=form.cleaned_data["abstain"])
        except ValidationError as exc:
            add_to_form(form, exc)
        else:
            # Back to the page, which now says the ballot was counted (and nothing about it).
            return redirect(request.path)
    voted = elections.has_voted(election, participant)
    return render(request, "assemblies/participant_election.html", {
        "participant": participant, "assembly": participant.assembly, "election": election,
        "token": token, "form": form, "voted": voted,
        "refusal": _refusal(election, participant, voted),
        "limit": election.votes_per_ballot or election.seats, **result_context(election)})


STAFF = "staff/<slug:slug>/assemblies/<int:pk>/elections/"
ONE = f"{STAFF}<int:election_pk>/"
urlpatterns = [
    path(STAFF, election_list, name="elections"),
    path(ONE, election_detail, name="election_detail"),
    path(f"{ONE}edit/", election_edit, name="election_edit"),
    path(f"{ONE}candidates/", candidate_add, name="election_candidate_add"),
    path(f"{ONE}candidates/<int:candidate_pk>/withdraw/", candidate_withdraw,
         name="election_candidate_withdraw"),
    path(f"{ONE}open/", election_open, name="election_open"),
    path(f"{ONE}paper/", election_paper, name="election_paper"),
    path(f"{ONE}count/", election_count, name="election_count"),
    path(f"{ONE}runoff/", election_runoff, name="election_runoff"),
    path(f"{ONE}status/", election_status, name="election_status"),
    path(f"{ONE}print/", election_print, name="election_print"),
    path("a/<str:token>/elections/<int:election_pk>/", participant_election,
         name="participant_election"),
]
