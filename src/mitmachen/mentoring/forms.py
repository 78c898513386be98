"""Forms of the mentoring pages: the application (and the profile edit), the accompaniment of a
pair, and the coordinator's programme and rules.

The forms only read the input into Python values; the services decide what is allowed and
answer with messages keyed by the same field names, which the views put back onto the form
(core.errors.add_to_form). So a choice is never checked twice with two different messages.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mitmachen.core.roles import Role
from mitmachen.mentoring import vocabulary
from mitmachen.mentoring.models import Application, Goal, Meeting, PairRule, Programme
from mitmachen.mentoring.services import GONE, HOURS, PROGRAMME_TRANSITIONS

MENTEE, MENTOR = Application.Role.MENTEE.value, Application.Role.MENTOR.value


def _date_input():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _checkboxes(choices, label, help_text=""):
    return forms.MultipleChoiceField(label=label, choices=choices, required=False,
                                     widget=forms.CheckboxSelectMultiple, help_text=help_text)


def _text(label, max_length, rows=4, help_text=""):
    return forms.CharField(label=label, max_length=max_length, required=False,
                           help_text=help_text,
                           widget=forms.Textarea(attrs={"rows": rows}))


# --- the application -------------------------------------------------------------------------

class ApplicationForm(forms.Form):
    """One form for mentees and mentors, applying or editing their profile (`edit=True`: no
    e-mail, audience, consent or honeypot). `fieldsets` groups the fields for the page."""

    name = forms.CharField(label=_("Name"), max_length=200)
    email = forms.EmailField(label=_("E-mail"), max_length=254, help_text=_(
        "Your personal link and the proposal of a partner go to this address."))
    phone = forms.CharField(label=_("Phone (optional)"), max_length=40, required=False)
    gender = forms.ChoiceField(label=_("Gender (optional)"), required=False, initial="",
                               choices=vocabulary.Gender.choices, widget=forms.RadioSelect)
    fields = _checkboxes(vocabulary.Field.choices, _("Fields of interest"))
    bodies = _checkboxes(vocabulary.Body.choices, _("Kinds of body"))
    activities = _checkboxes(vocabulary.Activity.choices, _("Activities"))
    hours_per_month = forms.IntegerField(
        label=_("Hours per month"), min_value=HOURS[0], max_value=HOURS[1],
        help_text=_("About how many hours a month you can give to the mentoring."))
    times = _checkboxes(vocabulary.TimeSlot.choices, _("Preferred times"))
    district = forms.CharField(label=_("District (optional)"), max_length=100,
                               required=False)
    languages = _checkboxes(vocabulary.Language.choices, _("Languages"),
                            _("Please choose at least one."))
    needs = _checkboxes(vocabulary.Need.choices, _("Accessibility needs"))
    offers = _checkboxes(vocabulary.Need.choices, _("What I can offer for our meetings"))
    capacity = forms.IntegerField(label=_("How many mentees I can take"), min_value=1,
                                  initial=1)
    other_commitments = _text(_("Other roles and commitments"), 2000, help_text=_(
        "Offices, committees, groups you coordinate, family: so that mentoring does not "
        "become one task too many."))
    goals = _text(_("Goals"), 4000)
    experience = _text(_("Experience"), 4000)
    avoid = _text(_("People I would rather not be paired with (optional)"), 1000, rows=2,
                  help_text=_("Names of people you would rather not have as partner, for "
                              "whatever reason; you need not give one. Only the coordinator "
                              "reads this and makes sure the matching never pairs you."))
    requires = _checkboxes(vocabulary.Requirement.choices, _("Binding wishes"), _(
        "Only what you tick here is binding for the matching; the fewer, the sooner we find "
        "a mentor for you."))
    audience_confirmed = forms.BooleanField(required=False)
    consent = forms.BooleanField(required=False, label=_(
        "I agree that my details are stored and used for this mentoring programme as "
        "described above."))
    website = forms.CharField(required=False, label=_("Leave this field empty"),
                              widget=forms.TextInput(attrs={"autocomplete": "off",
                                                            "tabindex": "-1"}))

    def __init__(self, data=None, *, programme: Programme, role: str, edit: bool = False,
                 initial=None):
        super().__init__(data, initial=initial)
        self.programme, self.role, self.edit = programme, role, edit
        mentor = role == MENTOR
        drop = {"offers", "capacity", "other_commitments"} if not mentor else {"requires"}
        if edit:
            drop |= {"email", "audience_confirmed", "consent", "website"}
        elif not self.audience_asked(programme, role):
            drop.add("audience_confirmed")
        for name in drop:
            del self.fields[name]
        if "capacity" in self.fields:
            # The programme's own limit: a mentor cannot offer more than it allows.
            most = programme.max_mentees_per_mentor
            self.fields["capacity"] = forms.IntegerField(
                label=self.fields["capacity"].label, min_value=1, max_value=most, initial=1,
                help_text=_("At most %(n)d in this programme.") % {"n": most})
        if "audience_confirmed" in self.fields:
            self.fields["audience_confirmed"].label = _(
                "I belong to the audience of this programme: %(audience)s.") % {
                "audience": programme.get_audience_display()}
        if mentor:
            self.fields["goals"].label = _("What you would like to pass on")
            self.fields["experience"].label = _("Your experience")
            self.fields["needs"].label = _("My own accessibility needs")
        else:
            self.fields["goals"].label = _("Your goals")
            self.fields["goals"].help_text = _(
                "What would you like to learn or reach? A personal goal, or just a look behind "
                "the scenes.")
            self.fields["experience"].label = _("Your experience so far (optional)")
        for name, autocomplete in (("name", "name"), ("email", "email"), ("phone", "tel")):
            if name in self.fields:
                self.fields[name].widget.attrs["autocomplete"] = autocomplete
        if "phone" in self.fields:
            self.fields["phone"].widget.input_type = "tel"

    @staticmethod
    def audience_asked(programme: Programme, role: str) -> bool:
        return programme.audience != Programme.Audience.EVERYONE and (
            role == MENTEE or programme.audience_applies_to_mentors)

    def fieldsets(self):
        groups = [
            ("about", _("About you"), ["name", "email", "phone", "gender"]),
            ("interests", _("Interests"), ["fields", "bodies", "activities"]),
            ("time", _("Time"), ["hours_per_month", "times"]),
            ("how", _("Where and how"), ["district", "languages", "needs", "offers",
                                         "capacity", "other_commitments"]),
            ("goals", _("Goals and experience"), ["goals", "experience"]),
            ("wishes", _("Binding wishes"), ["requires"]),
            ("avoid", _("Partners to avoid"), ["avoid"]),
        ]
        return [{"key": key, "legend": legend,
                 "fields": [self[name] for name in names if name in self.fields]}
                for key, legend, names in groups
                if any(name in self.fields for name in names)]

    def service_data(self) -> dict:
        """What the services read: every profile field of this form (not consent)."""
        return {name: value for name, value in self.cleaned_data.items()
                if name not in ("consent", "website")}


def application_initial(application: Application) -> dict:
    names = ("name", "phone", "gender", "fields", "bodies", "activities", "hours_per_month",
             "times", "district", "languages", "needs", "offers", "capacity",
             "other_commitments", "goals", "experience", "requires", "avoid")
    return {name: getattr(application, name) for name in names}


# --- the accompaniment of a pair -------------------------------------------------------------

class MeetingForm(forms.Form):
    held_on = forms.DateField(label=_("Date"), widget=_date_input())
    kind = forms.ChoiceField(label=_("Kind"), choices=Meeting.Kind.choices)
    minutes = forms.IntegerField(label=_("Duration (minutes)"), min_value=5, max_value=720,
                                 initial=60)
    summary = _text(_("Summary for both of us (optional)"), 4000, rows=3, help_text=_(
        "Your partner reads it too; the coordinator only sees that you met and for how "
        "long."))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"held_on": timezone.localdate(), "minutes": 60})
        super().__init__(*args, **kwargs)


class GoalForm(forms.Form):
    title = forms.CharField(label=_("New shared goal"), max_length=200)


class GoalStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Goal.Status.choices)


class NoteForm(forms.Form):
    text = forms.CharField(label=_("New private note"), max_length=4000,
                           widget=forms.Textarea(attrs={"rows": 3}), help_text=_(
                               "Only you can read your notes: not your partner, not the "
                               "coordinator."))


class FeedbackForm(forms.Form):
    RATINGS = [(5, _("5 – very good")), (4, _("4 – good")), (3, _("3 – all right")),
               (2, _("2 – not so good")), (1, _("1 – bad"))]
    rating = forms.TypedChoiceField(label=_("How was the mentoring for you?"), coerce=int,
                                    choices=RATINGS, widget=forms.RadioSelect)
    text = _text(_("What went well, what could be better? (optional)"), 4000, rows=3,
                 help_text=_("The coordinator reads your rating and what you write here; "
                             "your partner does not. It helps the next cohort."))


# --- the coordinator -------------------------------------------------------------------------

def coordinators_of(organisation):
    """Who may coordinate a programme of `organisation`: mentoring coordinators there, or
    above it with the role covering the organisations below (as core.permissions reads it)."""
    return get_user_model().objects.filter(
        Q(role_assignments__organisation=organisation)
        | Q(role_assignments__organisation_id__in=organisation.ancestor_ids,
            role_assignments__include_descendants=True),
        role_assignments__role=Role.MENTORING_COORDINATOR, is_active=True,
    ).distinct().order_by("name", "pk")


class ProgrammeForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    slug = forms.SlugField(label=_("Short name in the address"), max_length=80, help_text=_(
        "Letters, digits and hyphens, e.g. mentoring-2026."))
    description = _text(_("Description"), 10000, rows=6)
    audience = forms.ChoiceField(label=_("Audience"), choices=Programme.Audience.choices)
    audience_applies_to_mentors = forms.BooleanField(
        label=_("Mentors must belong to the audience too"), required=False)
    cohort_starts = forms.DateField(label=_("Cohort starts"), widget=_date_input())
    cohort_ends = forms.DateField(label=_("Cohort ends"), widget=_date_input())
    mentee_window_opens = forms.DateField(label=_("Mentee applications open"),
                                          widget=_date_input())
    mentee_window_closes = forms.DateField(label=_("Mentee applications close"),
                                           widget=_date_input())
    mentor_window_opens = forms.DateField(label=_("Mentor applications open"),
                                          widget=_date_input())
    mentor_window_closes = forms.DateField(label=_("Mentor applications close"),
                                           widget=_date_input())
    coordinator = forms.ModelChoiceField(label=_("Coordinator"), required=False,
                                         queryset=get_user_model().objects.none(),
                                         empty_label=_("nobody yet"))
    contact_email = forms.EmailField(label=_("Contact e-mail (shown publicly)"),
                                     required=False)
    max_mentees_per_mentor = forms.IntegerField(label=_("Most mentees one mentor may take"),
                                                min_value=1, max_value=10, initial=3)
    status = forms.ChoiceField(label=_("Status"))

    def __init__(self, data=None, *, organisation, programme: Programme | None = None,
                 initial=None):
        super().__init__(data, initial=initial)
        self.fields["coordinator"].queryset = coordinators_of(organisation)
        current = programme.status if programme is not None else Programme.Status.DRAFT
        allowed = {current, *PROGRAMME_TRANSITIONS[Programme.Status(current)]}
        self.fields["status"].choices = [(value, label) for value, label
                                         in Programme.Status.choices if value in allowed]
        self.fields["status"].initial = current

    def service_data(self) -> dict:
        return {name: value for name, value in self.cleaned_data.items() if name != "status"}


PROGRAMME_INITIAL = ("title", "slug", "description", "audience", "audience_applies_to_mentors",
                     "cohort_starts", "cohort_ends", "mentee_window_opens",
                     "mentee_window_closes", "mentor_window_opens", "mentor_window_closes",
                     "coordinator", "contact_email", "max_mentees_per_mentor", "status")


def programme_initial(programme: Programme) -> dict:
    initial = {name: getattr(programme, name) for name in PROGRAMME_INITIAL}
    initial["coordinator"] = programme.coordinator_id
    return initial


class ApplicationChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.get_status_display()})"


class RuleForm(forms.Form):
    """A fixed or forbidden pair. `person` given: that side is set, only the partner is
    chosen (the coordinator's page of one application)."""

    mentee = ApplicationChoice(label=_("Mentee"), queryset=Application.objects.none())
    mentor = ApplicationChoice(label=_("Mentor"), queryset=Application.objects.none())
    kind = forms.ChoiceField(label=_("Rule"), widget=forms.RadioSelect, choices=[
        (PairRule.Kind.FIX, _("Fix: always pair these two")),
        (PairRule.Kind.FORBID, _("Forbid: never pair these two"))])
    reason = forms.CharField(label=_("Reason (optional)"), max_length=300, required=False)

    def __init__(self, data=None, *, programme: Programme, person: Application | None = None):
        super().__init__(data)
        active = programme.applications.exclude(status__in=GONE).order_by("name", "pk")
        self.fields["mentee"].queryset = active.filter(role=MENTEE)
        self.fields["mentor"].queryset = active.filter(role=MENTOR)
        self.person = person
        if person is not None:
            del self.fields[person.role]
            partner = MENTOR if person.role == MENTEE else MENTEE
            self.fields[partner].label = _("Partner")

    def pair(self) -> tuple[Application, Application]:
        data = self.cleaned_data
        return data.get("mentee", self.person), data.get("mentor", self.person)


class DeclineForm(forms.Form):
    note = forms.CharField(label=_("Note (only for the coordinators)"), max_length=2000,
                           required=False, widget=forms.Textarea(attrs={"rows": 2}))
