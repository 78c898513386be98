from django import forms
from django.utils.translation import gettext_lazy as _

from mitmachen.messaging.models import Mailing
from mitmachen.people.models import Consent


def kind_choices() -> list[tuple[str, str]]:
    """The channels, with WhatsApp named for how it goes out on this installation."""
    from mitmachen.messaging import whatsapp

    if not whatsapp.configured():
        return Mailing.Kind.choices
    return [(value, _("WhatsApp") if value == Mailing.Kind.WHATSAPP else label)
            for value, label in Mailing.Kind.choices]


class MailingForm(forms.Form):
    audience = forms.ChoiceField(label=_("Recipients"), choices=[
        ("members", _("all members")), ("group", _("a group")),
        ("contacts", _("the contacts of a filtered list")),
        ("event", _("the registrants of an event"))])
    group = forms.ModelChoiceField(label=_("Group"), required=False, queryset=None)
    event = forms.ModelChoiceField(
        label=_("Event"), required=False, queryset=None, help_text=_(
            "Needed for registrants; for other recipients it fills the event placeholders and "
            "attaches the date as a calendar file."))
    statuses = forms.ChoiceField(label=_("Which registrants"), required=False, choices=[
        ("confirmed", _("confirmed")), ("waiting", _("waiting list and open offers")),
        ("active", _("everyone registered"))])
    query = forms.CharField(label=_("Filter of the contact list"), required=False,
                            max_length=2000,
                            help_text=_("Filled in when you start from the contact list."))
    purpose = forms.ChoiceField(label=_("Purpose"), choices=Consent.Purpose.choices)
    kind = forms.ChoiceField(label=_("Channels"), choices=kind_choices)
    subject = forms.CharField(label=_("Subject"), max_length=300)
    body = forms.CharField(label=_("Text"), max_length=50000, widget=forms.Textarea(
        attrs={"rows": 12}), help_text=_(
        "Placeholders: {{ anrede }}, {{ vorname }}, {{ nachname }}, {{ name }}, "
        "{{ organisation }}; with an event {{ veranstaltung }}, {{ datum }}, {{ uhrzeit }}, "
        "{{ ort }}, {{ link }}, and for registrants their personal link {{ anmeldung }}. "
        "Newsletters get a personal unsubscribe link at the end."))

    def __init__(self, *args, organisation, **kwargs):
        from datetime import timedelta

        from django.utils import timezone

        from mitmachen.events.models import Event
        from mitmachen.groups.models import Group

        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = Group.objects.filter(organisation=organisation)
        self.fields["event"].queryset = Event.objects.filter(
            organisation=organisation,
            starts_at__gte=timezone.now() - timedelta(days=90)).order_by("starts_at")

    def audience_value(self) -> dict:
        data = self.cleaned_data
        about = {"event_id": data["event"].pk} if data.get("event") else {}
        if data["audience"] == "event":
            return {"kind": "event", "statuses": data.get("statuses") or "confirmed", **about}
        if data["audience"] == "group":
            return {"kind": "group", "group_id": data["group"].pk if data["group"] else None,
                    **about}
        if data["audience"] == "contacts":
            return {"kind": "contacts", "query": data["query"], **about}
        return {"kind": "members", **about}

    def clean(self):
        data = super().clean()
        if data.get("audience") == "group" and not data.get("group"):
            self.add_error("group", _("Choose a group."))
        if data.get("audience") == "event" and not data.get("event"):
            self.add_error("event", _("Choose an event."))
        return data


class ScheduleForm(forms.Form):
    when = forms.DateTimeField(label=_("Send at"), required=False, widget=forms.DateTimeInput(
        attrs={"type": "datetime-local"}))
