"""Staff forms for events, series and registrations. The services validate again when they
save; these forms turn browser input (comma lists, plan lines, local times) into their
arguments and show a message at the field that caused it."""

from __future__ import annotations

import re
from datetime import date, datetime, time

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mitmachen.events.models import Event, EventSeries, Question, Registration, Topic
from mitmachen.events.services import EDITABLE

LOCAL_INPUT = "%Y-%m-%dT%H:%M"
NOT_IN_FORM = ("status", "status_note", "tags", "reminder_hours")
LIST_MAX = 1100


def _local_input():
    return forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_INPUT)


def _comma_list(text: str) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def _organisation_choices(form, organisation) -> None:
    from mitmachen.groups.models import Group
    from mitmachen.organisations.models import Cooperation, Place

    choices = {
        "place": Place.objects.filter(organisation=organisation),
        "group": Group.objects.filter(organisation=organisation),
        "cooperation": Cooperation.objects.filter(partners=organisation),
        "topics": Topic.objects.filter(organisation=organisation),
    }
    for name, queryset in choices.items():
        if name in form.fields:
            form.fields[name].queryset = queryset
            if name != "topics":
                form.fields[name].empty_label = _("— none —")


class EventForm(forms.ModelForm):
    """Create or edit an event. A cancellation or postponement goes through StatusForm,
    which notifies the registrants, so the status is only chosen here on creation."""

    status = forms.ChoiceField(label=_("Status"), choices=[
        (Event.Status.PLANNED, Event.Status.PLANNED.label),
        (Event.Status.TENTATIVE, Event.Status.TENTATIVE.label),
        (Event.Status.CONFIRMED, Event.Status.CONFIRMED.label)], initial=Event.Status.PLANNED)
    tags = forms.CharField(label=_("Tags"), required=False, max_length=LIST_MAX,
                           help_text=_("Separated by commas, e.g. volunteering, district"))
    reminder_hours = forms.CharField(
        label=_("Reminders (hours before the start)"), required=False, max_length=100,
        help_text=_("Separated by commas: 168, 24 sends one a week and one a day before."))

    FIELDSETS = [
        (_("What"), ["title", "kind", "status", "description", "topics", "tags",
                     "visibility", "group", "cooperation"]),
        (_("When and where"), ["starts_at", "ends_at", "place", "is_online", "venue_note",
                               "accessibility_note"]),
        (_("Fee and contact"), ["fee", "fee_note", "contact_name", "contact_email",
                                "contact_phone"]),
        (_("Registration"), ["registration", "capacity", "registration_opens_at",
                             "registration_closes_at", "approval_required", "double_opt_in",
                             "offer_hours", "reminder_hours"]),
    ]

    class Meta:
        model = Event
        fields = [f for f in EDITABLE if f not in NOT_IN_FORM] + ["topics"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 6}),
            "accessibility_note": forms.Textarea(attrs={"rows": 3}),
            "topics": forms.CheckboxSelectMultiple,
            "starts_at": _local_input(), "ends_at": _local_input(),
            "registration_opens_at": _local_input(), "registration_closes_at": _local_input(),
        }

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        _organisation_choices(self, organisation)
        if self.instance.pk:
            del self.fields["status"]
            self.initial["tags"] = ", ".join(self.instance.tags)
            self.initial["reminder_hours"] = ", ".join(
                str(h) for h in self.instance.reminder_hours)
        else:
            self.initial.setdefault("reminder_hours", "24")

    def fieldsets(self):
        return [(legend, [self[name] for name in names if name in self.fields])
                for legend, names in self.FIELDSETS]

    def _keep_seconds(self, name):
        # A datetime-local input has minutes only; an unchanged field keeps the stored value,
        # so saving the form unchanged changes nothing (and reschedules no reminder).
        value = self.cleaned_data.get(name)
        stored = getattr(self.instance, name, None) if self.instance.pk else None
        if value and stored and stored.replace(second=0, microsecond=0) == value:
            return stored
        return value

    def clean_starts_at(self):
        return self._keep_seconds("starts_at")

    def clean_ends_at(self):
        return self._keep_seconds("ends_at")

    def clean_registration_opens_at(self):
        return self._keep_seconds("registration_opens_at")

    def clean_registration_closes_at(self):
        return self._keep_seconds("registration_closes_at")

    def clean_tags(self):
        return _comma_list(self.cleaned_data["tags"])

    def clean_reminder_hours(self):
        try:
            return [int(part) for part in _comma_list(self.cleaned_data["reminder_hours"])]
        except ValueError:
            raise forms.ValidationError(_("Please enter whole hours separated by commas, "
                                          "e.g. 168, 24.")) from None

    def _post_clean(self):
        pass  # the service validates the whole event (end after start, …) when it saves

    def event_data(self) -> tuple[dict, list]:
        """The fields for services.event_create/event_update, and the topics."""
        data = {name: self.cleaned_data[name] for name in self.fields if name != "topics"}
        return data, list(self.cleaned_data["topics"])


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=Event.Status.choices)
    reason = forms.CharField(label=_("Reason (sent to the registrants)"), required=False,
                             max_length=300)
    confirm = forms.BooleanField(required=False)


class AccessForm(forms.Form):
    url = forms.URLField(label=_("Meeting link"), required=False, max_length=500,
                         assume_scheme="https")
    meeting_id = forms.CharField(label=_("Meeting ID"), required=False, max_length=100)
    passcode = forms.CharField(label=_("Passcode"), required=False, max_length=100)
    note = forms.CharField(label=_("Dial-in and other notes"), required=False, max_length=500)


class SpeakerForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    affiliation = forms.CharField(label=_("Organisation"), required=False, max_length=200)
    contribution = forms.CharField(label=_("Input"), required=False, max_length=300)


class FileForm(forms.Form):
    title = forms.CharField(label=_("Title"), required=False, max_length=200,
                            help_text=_("Empty: the file's name."))
    file = forms.FileField(label=_("File"), help_text=_(
        "PDF, PNG, JPEG or an office document (ODT, DOCX, XLSX, …), at most 10 MB."))


class QuestionForm(forms.Form):
    label = forms.CharField(label=_("Question"), max_length=300)
    kind = forms.ChoiceField(label=_("Kind of answer"), choices=Question.Kind.choices)
    choices = forms.CharField(label=_("Answers to choose from (one per line)"), required=False,
                              max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    required = forms.BooleanField(label=_("An answer is required"), required=False)

    def clean_choices(self):
        return [line.strip() for line in self.cleaned_data["choices"].splitlines()
                if line.strip()]


class CategoryForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    capacity = forms.IntegerField(label=_("Seats"), required=False, min_value=0,
                                  help_text=_("Empty for no limit of its own."))
    price = forms.DecimalField(label=_("Price (EUR)"), required=False, min_value=0,
                               max_digits=8, decimal_places=2, help_text=_("Empty when free."))


class TopicForm(forms.Form):
    name = forms.CharField(label=_("New topic"), max_length=100)


# --- series ----------------------------------------------------------------------------------

PRESETS = [
    ("weekly", _("every week"), "FREQ=WEEKLY"),
    ("biweekly", _("every 2 weeks"), "FREQ=WEEKLY;INTERVAL=2"),
    ("monthly", _("monthly (same day of the month)"), "FREQ=MONTHLY"),
    ("bimonthly", _("every 2 months"), "FREQ=MONTHLY;INTERVAL=2"),
    ("quarterly", _("quarterly"), "FREQ=MONTHLY;INTERVAL=3"),
    ("yearly", _("yearly"), "FREQ=YEARLY"),
]
PRESET_RULES = {key: rule for key, _label, rule in PRESETS}
CUSTOM = "custom"

_DAY = r"(\d{4}-\d{1,2}-\d{1,2}|\d{1,2}\.\d{1,2}\.\d{4})"
_TIME = r"(\d{1,2}[:.]\d{2})"
PLAN_LINE = re.compile(rf"^{_DAY}\s+{_TIME}(?:\s*(?:-|–|bis|to)\s*{_TIME})?(?:\s*Uhr)?$",
                       re.IGNORECASE)
EXDATE_LINE = re.compile(rf"^{_DAY}(?:\s+{_TIME})?$")


def _day(text: str) -> date:
    if "." in text:
        day, month, year = text.split(".")
        return date(int(year), int(month), int(day))
    return date.fromisoformat("-".join(part.zfill(2) for part in text.split("-")))


def _time(text: str) -> time:
    hours, minutes = re.split(r"[:.]", text)
    return time(int(hours), int(minutes))


def parse_plan(text: str) -> list[tuple[datetime, datetime | None]]:
    """Lines like "2026-02-12 13:00-16:00" (or "12.02.2026 13:00") → (start, end) in Berlin
    time. An error names the line, so a long plan can be fixed where it went wrong."""
    berlin = timezone.get_default_timezone()
    dates = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        found = PLAN_LINE.match(line)
        try:
            if not found:
                raise ValueError
            day = _day(found.group(1))
            start = datetime.combine(day, _time(found.group(2)), tzinfo=berlin)
            end = (datetime.combine(day, _time(found.group(3)), tzinfo=berlin)
                   if found.group(3) else None)
        except ValueError:
            raise forms.ValidationError(
                _("Line %(n)d (“%(line)s”) is not a date with a time such as "
                  "2026-02-12 13:00-16:00."), params={"n": number, "line": line[:60]}
            ) from None
        if end is not None and end <= start:
            raise forms.ValidationError(_("Line %(n)d (“%(line)s”): the end lies before the "
                                          "start."), params={"n": number, "line": line[:60]})
        dates.append((start, end))
    return dates


def parse_exceptions(text: str, start_time: time) -> list[datetime]:
    """One date per line; a date without a time means the series' usual start that day."""
    found = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        match = EXDATE_LINE.match(line)
        try:
            if not match:
                raise ValueError
            at = _time(match.group(2)) if match.group(2) else start_time
            found.append(datetime.combine(_day(match.group(1)), at))
        except ValueError:
            raise forms.ValidationError(
                _("Line %(n)d (“%(line)s”) is not a date such as 2026-12-23."),
                params={"n": number, "line": line[:60]}) from None
    return found


def exceptions_text(series: EventSeries) -> str:
    return "\n".join(value.replace("T", " ") for value in series.exdates)


class RuleFields(forms.Form):
    """The rule of a series: a preset or an RFC 5545 rule, and the dates left out."""

    preset = forms.ChoiceField(label=_("Repeats"), choices=[
        *[(key, label) for key, label, _rule in PRESETS],
        (CUSTOM, _("custom rule (advanced)"))], required=False)
    rrule = forms.CharField(label=_("Custom rule (RFC 5545)"), required=False, max_length=500,
                            help_text=_("For example FREQ=MONTHLY;BYDAY=2TU for every second "
                                        "Tuesday."))
    exdates = forms.CharField(label=_("Left out (one date per line)"), required=False,
                              max_length=10000, widget=forms.Textarea(attrs={"rows": 3}),
                              help_text=_("For example 2026-12-23, or 2026-12-23 19:00."))

    def rule(self) -> str:
        preset = self.cleaned_data.get("preset")
        if preset == CUSTOM:
            return self.cleaned_data.get("rrule", "")
        return PRESET_RULES.get(preset, "")

    def start_time(self) -> time:
        raise NotImplementedError

    def _clean_rule(self, data: dict) -> None:
        if not data.get("preset"):
            self.add_error("preset", _("Please choose how often it repeats."))
        elif data["preset"] == CUSTOM and not data.get("rrule") and not self.has_error("rrule"):
            self.add_error("rrule", _("Please enter a recurrence rule."))
        if "exdates" in data:
            try:
                data["exdates"] = parse_exceptions(data["exdates"], self.start_time())
            except forms.ValidationError as exc:
                self.add_error("exdates", exc)


class SeriesRuleForm(RuleFields):
    def __init__(self, *args, series: EventSeries, **kwargs):
        self.series = series
        preset = next((key for key, rule in PRESET_RULES.items() if rule == series.rrule),
                      CUSTOM)
        kwargs.setdefault("initial", {"preset": preset, "rrule": series.rrule,
                                      "exdates": exceptions_text(series)})
        super().__init__(*args, **kwargs)
        self.fields["preset"].required = True

    def start_time(self) -> time:
        return timezone.localtime(self.series.dtstart).time().replace(second=0,
                                                                      microsecond=0)

    def clean(self):
        data = super().clean()
        self._clean_rule(data)
        return data


class SeriesForm(RuleFields):
    BY_RULE, BY_PLAN = "rule", "plan"

    title = forms.CharField(label=_("Title"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=Event.Kind.choices)
    mode = forms.ChoiceField(label=_("Dates"), widget=forms.RadioSelect, initial=BY_RULE,
                             choices=[(BY_RULE, _("by a rule (e.g. every 2 months)")),
                                      (BY_PLAN, _("by a plan: a list of dates"))])
    dtstart = forms.DateTimeField(label=_("First start"), required=False,
                                  widget=_local_input())
    duration_minutes = forms.IntegerField(label=_("Duration (minutes)"), min_value=1,
                                          max_value=24 * 60, initial=120)
    dates = forms.CharField(
        label=_("Plan (one date per line)"), required=False, max_length=20000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("One line per date: 2026-02-12 13:00-16:00 (or 12.02.2026 13:00-16:00). "
                    "Without an end time the duration above applies."))
    description = forms.CharField(label=_("Description"), required=False, max_length=20000,
                                  widget=forms.Textarea(attrs={"rows": 4}))
    visibility = forms.ChoiceField(label=_("Visibility"), choices=Event.Visibility.choices)
    topics = forms.ModelMultipleChoiceField(label=_("Topics"), required=False,
                                            queryset=Topic.objects.none(),
                                            widget=forms.CheckboxSelectMultiple)
    group = forms.ModelChoiceField(label=_("Group"), required=False, queryset=None)
    place = forms.ModelChoiceField(label=_("Place"), required=False, queryset=None)
    is_online = forms.BooleanField(label=_("Online"), required=False)
    registration = forms.ChoiceField(label=_("Registration"),
                                     choices=Event.Registration.choices)
    capacity = forms.IntegerField(label=_("Seats"), required=False, min_value=0,
                                  help_text=_("Empty for no limit."))

    FIELDSETS = [
        (_("What"), ["title", "kind", "description", "topics", "visibility", "group"]),
        (_("When"), ["mode", "duration_minutes"]),
        (_("By a rule"), ["dtstart", "preset", "rrule", "exdates"]),
        (_("By a plan"), ["dates"]),
        (_("Every date"), ["place", "is_online", "registration", "capacity"]),
    ]

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["preset"].initial = "monthly"
        _organisation_choices(self, organisation)

    def fieldsets(self):
        return [(legend, [self[name] for name in names]) for legend, names in self.FIELDSETS]

    def start_time(self) -> time:
        start = self.cleaned_data.get("dtstart")
        return timezone.localtime(start).time() if start else time(19, 0)

    def clean(self):
        data = super().clean()
        if data.get("mode") == self.BY_PLAN:
            try:
                data["dates"] = parse_plan(data.get("dates", ""))
            except forms.ValidationError as exc:
                self.add_error("dates", exc)
                return data
            if not data["dates"]:
                self.add_error("dates", _("Please enter at least one date."))
        else:
            if not data.get("dtstart") and not self.has_error("dtstart"):
                self.add_error("dtstart", _("Please give the first start."))
            self._clean_rule(data)
        return data

    def series_data(self) -> dict:
        data = self.cleaned_data
        common = {name: data[name] for name in (
            "title", "kind", "duration_minutes", "description", "visibility", "group", "place",
            "is_online", "registration", "capacity")}
        common["topics"] = list(data["topics"])
        if data["mode"] == self.BY_PLAN:
            dates = sorted(data["dates"], key=lambda pair: pair[0])
            return {**common, "dtstart": dates[0][0], "dates": dates}
        return {**common, "dtstart": data["dtstart"], "rrule": self.rule(),
                "exdates": data["exdates"]}


# --- registrations ---------------------------------------------------------------------------

class PhoneRegistrationForm(forms.Form):
    """Staff enter a registration taken on the phone. The questions of the event become
    fields named q<id>, the keys the registration service reports its errors under."""

    first_name = forms.CharField(label=_("First name"), max_length=100)
    last_name = forms.CharField(label=_("Last name"), required=False, max_length=100)
    phone = forms.CharField(label=_("Phone"), required=False, max_length=40)
    email = forms.EmailField(label=_("E-mail"), required=False, max_length=254)
    language = forms.ChoiceField(label=_("Language of messages"),
                                 choices=[("de", "Deutsch"), ("en", "English")])
    category = forms.ModelChoiceField(label=_("Ticket"), required=False, queryset=None)
    staff_note = forms.CharField(label=_("Note"), required=False, max_length=500)
    privacy = forms.BooleanField(label=_("The person agreed to the privacy notice."))

    def __init__(self, *args, event: Event, **kwargs):
        super().__init__(*args, **kwargs)
        categories = event.categories.all()
        self.fields["category"].queryset = categories
        if categories:
            self.fields["category"].required = True
        else:
            del self.fields["category"]
        self.questions = list(event.questions.all())
        for question in self.questions:
            self.fields[f"q{question.pk}"] = _answer_field(question)
        self.order_fields(["first_name", "last_name", "phone", "email", "language",
                           "category", *[f"q{q.pk}" for q in self.questions]])

    def clean(self):
        data = super().clean()
        if not data.get("phone") and not data.get("email") and not self.has_error("email"):
            self.add_error("phone", _("Please give a phone number or an e-mail address."))
        return data

    def registration_data(self) -> dict:
        data = self.cleaned_data
        return {
            "first_name": data["first_name"], "last_name": data["last_name"],
            "phone": data["phone"], "email": data["email"], "language": data["language"],
            "category": data.get("category"), "staff_note": data["staff_note"],
            "privacy_accepted": data["privacy"],
            "answers": {str(q.pk): data.get(f"q{q.pk}") for q in self.questions},
            "source": Registration.Source.PHONE,
        }


def _answer_field(question: Question) -> forms.Field:
    if question.kind == Question.Kind.YES_NO:
        return forms.BooleanField(label=question.label, required=question.required)
    if question.kind == Question.Kind.CHOICE:
        return forms.ChoiceField(label=question.label, required=question.required,
                                 choices=[("", "–"), *[(c, c) for c in question.choices]])
    return forms.CharField(label=question.label, required=question.required, max_length=1000)

