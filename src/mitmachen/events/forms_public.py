"""Forms of the public event pages: the calendar filter and the registration form.

The registration form's field names (first_name, last_name, email, phone, category,
q<question id>, privacy, website) are a contract: benchmarks and other clients post them.
"""

from __future__ import annotations

from django import forms
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from mitmachen.core.widgets import FastSelect
from mitmachen.events.models import Event, Kind, Question, Topic
from mitmachen.events.registrations import ANSWER_MAX
from mitmachen.organisations.models import District, Organisation

TEXT_MAX = 100
FIRST_YEAR, LAST_YEAR = 1900, 2200  # beyond these, time zone arithmetic overflows


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class DistrictChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.municipality.name})"


class CalendarFilterForm(forms.Form):
    """GET filters. A value that cannot be read is dropped (see `usable`), never an error page."""

    WHERE = [("", _("online and on site")), ("online", _("online only")),
             ("onsite", _("on site only"))]

    organisation = forms.ModelChoiceField(
        label=_("Organisation"), required=False, to_field_name="slug",
        queryset=Organisation.objects.filter(is_public=True).order_by("path"),
        empty_label=_("all organisations"), widget=FastSelect)
    topic = forms.SlugField(label=_("Topic"), required=False, max_length=100)
    district = DistrictChoice(label=_("District"), required=False,
                              queryset=District.objects.select_related("municipality"),
                              empty_label=_("all districts"), widget=FastSelect)
    where = forms.ChoiceField(label=_("Where"), choices=WHERE, required=False,
                              widget=FastSelect)
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("Until"), required=False, widget=DateInput())
    kind = forms.ChoiceField(label=_("Kind"), required=False, widget=FastSelect,
                             choices=[("", _("all kinds")), *Kind.choices])
    q = forms.CharField(label=_("Search in titles"), required=False, max_length=TEXT_MAX,
                        widget=forms.TextInput(attrs={"type": "search"}))

    def __init__(self, data, *, organisation: Organisation | None = None):
        """`organisation` fixes the organisation (its own calendar page): the organisation
        field goes, and topics become a choice of that organisation's topics."""
        # A NUL byte would reach the database through the choice lookups (PostgreSQL refuses
        # it with an error); such a value counts as unreadable.
        self.unreadable = [key for key, value in data.items() if "\x00" in value]
        super().__init__({k: v for k, v in data.items() if k not in self.unreadable})
        chosen = organisation
        if organisation is not None:
            del self.fields["organisation"]
        elif self.data.get("organisation"):
            chosen = Organisation.objects.filter(is_public=True,
                                                 slug=self.data["organisation"][:100]).first()
        if chosen is not None:
            topics = Topic.objects.filter(organisation=chosen).values_list("slug", "name")
            self.fields["topic"] = forms.ChoiceField(
                label=_("Topic"), required=False, widget=FastSelect,
                choices=[("", _("all topics")), *topics])
            if chosen.municipality_id:
                self.fields["district"].queryset = self.fields["district"].queryset.filter(
                    municipality_id=chosen.municipality_id)

    def usable(self) -> tuple[dict, list[str]]:
        """The values that could be read, and the labels of the fields that were dropped."""
        self.is_valid()
        values = dict(self.cleaned_data)
        bad = [name for name in self.fields if name in self.errors or name in self.unreadable]
        for name in ("date_from", "date_to"):
            day = values.get(name)
            if day and not FIRST_YEAR <= day.year <= LAST_YEAR:
                bad.append(name)
        start, end = values.get("date_from"), values.get("date_to")
        if start and end and end < start:
            bad.append("date_to")
        for name in bad:
            values.pop(name, None)
        return values, [str(self.fields[name].label) for name in dict.fromkeys(bad)]


class PublicRegistrationForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=100)
    last_name = forms.CharField(label=_("Last name"), max_length=100, required=False)
    email = forms.EmailField(label=_("E-mail"), max_length=254,
                             help_text=_("The confirmation and your personal link go here."))
    phone = forms.CharField(label=_("Phone (optional)"), max_length=40, required=False)
    privacy = forms.BooleanField(label=_(
        "I agree that my details are stored and used to organise this event, as described in "
        "the privacy notice above."))
    website = forms.CharField(required=False, label=_("Leave this field empty"),
                              widget=forms.TextInput(attrs={"autocomplete": "off",
                                                            "tabindex": "-1"}))

    def __init__(self, data=None, *, event: Event, initial=None):
        super().__init__(data, initial=initial)
        self.event = event
        self.fields["email"].widget.attrs["autocomplete"] = "email"
        self.fields["first_name"].widget.attrs["autocomplete"] = "given-name"
        self.fields["last_name"].widget.attrs["autocomplete"] = "family-name"
        self.fields["phone"].widget.attrs["autocomplete"] = "tel"
        self.fields["phone"].widget.input_type = "tel"
        categories = list(event.categories.all())
        if categories:
            self.fields["category"] = forms.ModelChoiceField(
                label=_("Ticket"), queryset=event.categories.all(), empty_label=None,
                widget=forms.RadioSelect)
            self.fields["category"].label_from_instance = _category_label
        self.questions = list(event.questions.all())
        for question in self.questions:
            self.fields[f"q{question.pk}"] = _question_field(question)
        # The privacy consent and the honeypot come last, after the organiser's questions.
        for name in ("privacy", "website"):
            self.fields[name] = self.fields.pop(name)

    def answers(self) -> dict:
        return {str(q.pk): self.cleaned_data.get(f"q{q.pk}") for q in self.questions}


def _category_label(category) -> str:
    if category.price is None:
        return category.name
    return f"{category.name} ({formats.localize(category.price)} €)"


def _question_field(question: Question) -> forms.Field:
    label = question.label
    if question.kind == Question.Kind.YES_NO:
        return forms.BooleanField(label=label, required=question.required)
    if question.kind == Question.Kind.CHOICE:
        choices = [(c, c) for c in question.choices]
        return forms.ChoiceField(label=label, required=question.required,
                                 choices=[("", _("please choose")), *choices])
    return forms.CharField(label=label, required=question.required, max_length=ANSWER_MAX)
