"""Staff forms for calling an assembly: the statutes, the assembly, its agenda and guests.

Every choice of a related object (event, place, chair, parent item) is limited to the
organisation's own, so another organisation's id is refused as an invalid choice; the services
check again when they save."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.text import capfirst, format_lazy
from django.utils.translation import gettext_lazy as _

from mitmachen.assemblies.models import AgendaItem, Assembly, AssemblyRules, QuotaCategory
from mitmachen.assemblies.services import RULE_FIELDS
from mitmachen.events.models import Event

LOCAL_INPUT = "%Y-%m-%dT%H:%M"
SHARE_TOO_HIGH = _("A share is a percentage: at most 100.")
# The rules the members were invited under: the invitation states them (lead time, reminder,
# quorum), so they stay as they were once it went out.
INVITED_UNDER = ["lead_days", "reminder_days", "quorum_kind", "quorum_value"]


def _local_input():
    return forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_INPUT)


def _date_input():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def people_of(organisation):
    """Who may chair or take the minutes: staff of the organisation and its members with an
    account (the same rule as services._check_people)."""
    return get_user_model().objects.filter(
        Q(role_assignments__organisation=organisation)
        | Q(contacts__organisation=organisation, contacts__erased_at__isnull=True),
        is_active=True).distinct().order_by("name", "pk")


def _label(name: str):
    return capfirst(Assembly._meta.get_field(name).verbose_name)


def _fieldsets(form, groups):
    return [(legend, [form[name] for name in names if name in form.fields])
            for legend, names in groups]


def _check_share(form) -> None:
    data = form.cleaned_data
    if data.get("quorum_kind") == AssemblyRules.Quorum.SHARE and (
            data.get("quorum_value") or 0) > 100:
        form.add_error("quorum_value", SHARE_TOO_HIGH)


class RulesForm(forms.ModelForm):
    """The organisation's statutes; copied onto each assembly when it is created."""

    class Meta:
        model = AssemblyRules
        fields = RULE_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in RULE_FIELDS:
            self.fields[name] = _rule_field(name)

    def clean(self):
        super().clean()
        _check_share(self)
        return self.cleaned_data

    def _post_clean(self):
        pass  # the service validates the whole object when it saves


def _rule_field(name: str) -> forms.Field:
    """A form field for an assembly's copy of a rule, labelled and bounded like the statutes
    (the copies on Assembly carry neither verbose names nor limits)."""
    model_field = AssemblyRules._meta.get_field(name)
    field = model_field.formfield()
    field.validators = [*field.validators, *model_field.validators]
    return field


class _PeopleMixin:
    def _limit_people(self, organisation) -> None:
        for name in ("chair", "minute_taker"):
            field = self.fields[name]
            field.queryset = people_of(organisation)
            field.label_from_instance = lambda user: user.name or user.email
            field.empty_label = _("— nobody yet —")


class AssemblyForm(_PeopleMixin, forms.ModelForm):
    """The assembly itself (not its event: date and place are edited on the event)."""

    class Meta:
        model = Assembly
        fields = ["reference_date", "chair", "minute_taker", "invitation_text", *RULE_FIELDS]
        widgets = {"reference_date": _date_input(),
                   "invitation_text": forms.Textarea(attrs={"rows": 8})}

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        for name in RULE_FIELDS:
            self.fields[name] = _rule_field(name)
        self._limit_people(organisation)
        if self.instance.invited_at is not None:
            # A disabled field keeps the stored value whatever is posted.
            for name in INVITED_UNDER:
                field = self.fields[name]
                field.disabled = True
                fixed = _("Fixed: the invitations have gone out under this rule, so it can "
                          "no longer change for this assembly.")
                field.help_text = format_lazy("{} {}", field.help_text, fixed) \
                    if field.help_text else fixed

    def clean(self):
        super().clean()
        _check_share(self)
        return self.cleaned_data

    def _post_clean(self):
        pass  # assembly_update validates and saves; the instance stays as stored until then

    def fieldsets(self):
        return _fieldsets(self, [
            (_("The assembly"), ["reference_date", "chair", "minute_taker", "invitation_text"]),
            (_("Statutes for this assembly"), RULE_FIELDS),
        ])

    def assembly_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class AssemblyCreateForm(_PeopleMixin, forms.Form):
    """Call an assembly: for an event already planned, or with a new event made here."""

    EXISTING, NEW = "existing", "new"

    source = forms.ChoiceField(label=_("Which event?"), widget=forms.RadioSelect, choices=[
        (EXISTING, _("An assembly already planned as an event")),
        (NEW, _("A new event"))], initial=NEW)
    event = forms.ModelChoiceField(label=_("Planned event"), queryset=Event.objects.none(),
                                   required=False, empty_label=_("— choose —"))
    title = forms.CharField(label=_("Title"), max_length=200, required=False,
                            initial=_("General meeting"))
    starts_at = forms.DateTimeField(label=_("Starts"), required=False, widget=_local_input())
    ends_at = forms.DateTimeField(label=_("Ends"), required=False, widget=_local_input())
    place = forms.ModelChoiceField(label=_("Place"), queryset=None, required=False)
    venue_note = forms.CharField(
        label=_("Venue note"), max_length=200, required=False,
        help_text=_('For example "to be decided" or "probably at Camsin e. V."'))
    visibility = forms.ChoiceField(label=_("Visibility of the event"),
                                   choices=Event.Visibility.choices,
                                   initial=Event.Visibility.MEMBERS)
    reference_date = forms.DateField(
        label=_label("reference_date"), required=False,
        widget=_date_input(),
        help_text=_("Members in good standing on this day may vote. Empty: the day of the "
                    "assembly."))
    chair = forms.ModelChoiceField(label=_label("chair"),
                                   queryset=None, required=False)
    minute_taker = forms.ModelChoiceField(
        label=_label("minute_taker"), queryset=None,
        required=False)
    invitation_text = forms.CharField(
        label=_label("invitation_text"), max_length=20000,
        required=False, widget=forms.Textarea(attrs={"rows": 8}))
    # Set when the staff member has seen the lead-time warning and creates the assembly anyway.
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, organisation, **kwargs):
        from mitmachen.organisations.models import Place

        super().__init__(*args, **kwargs)
        self.fields["event"].queryset = candidate_events(organisation)
        self.fields["event"].label_from_instance = (
            lambda e: f"{e.title} ({e.starts_at:%d.%m.%Y %H:%M})")
        self.fields["place"].queryset = Place.objects.filter(organisation=organisation)
        self.fields["place"].empty_label = _("— none —")
        self._limit_people(organisation)
        self.has_candidates = self.fields["event"].queryset.exists()
        if self.has_candidates:
            self.initial.setdefault("source", self.EXISTING)
        else:
            # Nothing planned yet: there is nothing to choose, only a new event to describe.
            self.fields["source"].choices = [(self.NEW, _("A new event"))]
            self.fields["source"].widget = forms.HiddenInput()
            self.initial["source"] = self.NEW

    def clean(self):
        data = super().clean()
        if data.get("source") == self.EXISTING:
            if not data.get("event") and "event" not in self.errors:
                self.add_error("event", _("Please choose the event."))
        elif data.get("source") == self.NEW:
            if not (data.get("title") or "").strip():
                self.add_error("title", _("Please give a title."))
            if not data.get("starts_at") and "starts_at" not in self.errors:
                self.add_error("starts_at", _("Please give the start."))
        return data

    def fieldsets(self):
        return _fieldsets(self, [
            (None, ["source"]),
            (_("An assembly already planned as an event"),
             ["event"] if self.has_candidates else []),
            (_("A new event"), ["title", "starts_at", "ends_at", "place", "venue_note",
                                "visibility"]),
            (_("The assembly"), ["reference_date", "chair", "minute_taker", "invitation_text",
                                 "confirmed"]),
        ])

    def assembly_start(self):
        data = self.cleaned_data
        return data["event"].starts_at if data["source"] == self.EXISTING else data["starts_at"]

    def event_data(self) -> dict:
        """Arguments of events.services.event_create for a new event."""
        data = self.cleaned_data
        return {"title": data["title"].strip(), "kind": Event.Kind.ASSEMBLY,
                "starts_at": data["starts_at"], "ends_at": data["ends_at"],
                "place": data["place"], "venue_note": data["venue_note"],
                "visibility": data["visibility"]}

    def assembly_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in ("reference_date", "chair",
                                                            "minute_taker", "invitation_text")}


def candidate_events(organisation):
    """The organisation's events of kind assembly that are not yet an assembly."""
    return Event.objects.filter(organisation=organisation, kind=Event.Kind.ASSEMBLY,
                                assembly__isnull=True).order_by("starts_at", "pk")


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=Assembly.Status.choices)
    confirm = forms.BooleanField(required=False)


class ItemForm(forms.ModelForm):
    class Meta:
        model = AgendaItem
        fields = ["title", "parent", "kind", "minutes_estimate", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, assembly, **kwargs):
        super().__init__(*args, **kwargs)
        # Only top-level items of this assembly can hold sub-items.
        parents = AgendaItem.objects.filter(assembly=assembly, parent__isnull=True)
        if self.instance.pk:
            parents = parents.exclude(pk=self.instance.pk)
        self.fields["parent"].queryset = parents
        self.fields["parent"].empty_label = _("— a main item —")
        self.fields["parent"].required = False

    def _post_clean(self):
        pass  # item_create / item_update validate and save

    def item_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class DocumentForm(forms.Form):
    title = forms.CharField(label=_("Title"), required=False, max_length=200,
                            help_text=_("Empty: the file's name."))
    file = forms.FileField(label=_("File"), help_text=_(
        "PDF, PNG, JPEG or an office document (ODT, DOCX, XLSX, …), at most 10 MB."))


class GuestForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    quota_category = forms.ChoiceField(
        label=_("counts for the quota as"), required=False,
        choices=[("", _("— not given —")), *QuotaCategory.choices])


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search by name"), required=False, max_length=100)


class ResolutionFilterForm(forms.Form):
    year = forms.TypedChoiceField(label=_("Year"), required=False, coerce=int,
                                  empty_value=None)
    q = forms.CharField(label=_("Title or text contains"), required=False, max_length=100)

    def __init__(self, *args, years, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [("", _("all years"))] + [(y, str(y)) for y in years]
