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
        ("contacts", _("the contacts of a filtered list"))])
    group = forms.ModelChoiceField(label=_("Group"), required=False, queryset=None)
    query = forms.CharField(label=_("Filter of the contact list"), required=False,
                            max_length=2000,
                            help_text=_("Filled in when you start from the contact list."))
    purpose = forms.ChoiceField(label=_("Purpose"), choices=Consent.Purpose.choices)
    kind = forms.ChoiceField(label=_("Channels"), choices=kind_choices)
    subject = forms.CharField(label=_("Subject"), max_length=300)
    body = forms.CharField(label=_("Text"), max_length=50000, widget=forms.Textarea(
        attrs={"rows": 12}), help_text=_(
        "Placeholders: {{ anrede }}, {{ vorname }}, {{ nachname }}, {{ name }}, "
        "{{ organisation }}. Newsletters get a personal unsubscribe link at the end."))

    def __init__(self, *args, organisation, **kwargs):
        from mitmachen.groups.models import Group

        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = Group.objects.filter(organisation=organisation)

    def audience_value(self) -> dict:
        data = self.cleaned_data
        if data["audience"] == "group":
            return {"kind": "group", "group_id": data["group"].pk if data["group"] else None}
        if data["audience"] == "contacts":
            return {"kind": "contacts", "query": data["query"]}
        return {"kind": "members"}

    def clean(self):
        data = super().clean()
        if data.get("audience") == "group" and not data.get("group"):
            self.add_error("group", _("Choose a group."))
        return data


class ScheduleForm(forms.Form):
    when = forms.DateTimeField(label=_("Send at"), required=False, widget=forms.DateTimeInput(
        attrs={"type": "datetime-local"}))
