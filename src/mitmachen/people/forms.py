from django import forms
from django.utils.translation import gettext_lazy as _

from mitmachen.organisations.models import District
from mitmachen.people.models import Consent, Contact
from mitmachen.people.services import CONTACT_FIELDS


def _districts(organisation):
    if organisation.municipality_id:
        return District.objects.filter(municipality=organisation.municipality)
    return District.objects.none()


class ContactForm(forms.ModelForm):
    class Meta:
        model = Contact
        fields = CONTACT_FIELDS
        widgets = {"birthday": forms.DateInput(attrs={"type": "date"}),
                   "notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["district"].queryset = _districts(organisation)

    def _post_clean(self):
        # The service validates the whole record (phone numbers included) when it saves.
        pass


class ContactFilterForm(forms.Form):
    q = forms.CharField(label=_("Name, e-mail or phone"), required=False, max_length=100)
    status = forms.ChoiceField(label=_("Status"), required=False)
    district = forms.ModelChoiceField(label=_("District"), required=False, queryset=None)
    group = forms.ModelChoiceField(label=_("Group"), required=False, queryset=None)
    consent = forms.ChoiceField(label=_("Reachable by"), required=False)
    order = forms.ChoiceField(label=_("Sort by"), required=False, choices=[
        ("name", _("name A–Z")), ("-name", _("name Z–A")), ("-created", _("newest first")),
        ("created", _("oldest first")), ("status", _("status"))])

    def __init__(self, *args, organisation, **kwargs):
        from mitmachen.groups.models import Group

        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("all"))] + list(Contact.Status.choices)
        self.fields["district"].queryset = _districts(organisation)
        self.fields["district"].empty_label = _("all")
        self.fields["group"].queryset = Group.objects.filter(organisation=organisation)
        self.fields["group"].empty_label = _("all")
        self.fields["consent"].choices = [("", _("any"))] + [
            (f"{c}:{p}", f"{c_label} – {p_label}")
            for c, c_label in Consent.Channel.choices for p, p_label in Consent.Purpose.choices]


class StatusChangeForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=Contact.Status.choices)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=300)
    membership_number = forms.CharField(label=_("Membership number"), required=False,
                                        max_length=30)


class ConsentForm(forms.Form):
    channel = forms.ChoiceField(label=_("Channel"), choices=Consent.Channel.choices)
    purpose = forms.ChoiceField(label=_("Purpose"), choices=Consent.Purpose.choices)
    granted = forms.TypedChoiceField(label=_("Consent"), coerce=lambda v: v == "yes",
                                     choices=[("yes", _("granted")), ("no", _("withdrawn"))])
    text_version = forms.CharField(label=_("Version of the text shown"), max_length=40,
                                   initial="staff-2026-11")


class BulkForm(forms.Form):
    action = forms.ChoiceField(label=_("Action"), choices=[
        ("add_to_group", _("add to group")), ("change_status", _("change status"))])
    group = forms.ModelChoiceField(label=_("Group"), required=False, queryset=None)
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", "–")] + list(Contact.Status.choices))
    contacts = forms.CharField(widget=forms.HiddenInput, max_length=2_000_000)

    def __init__(self, *args, organisation, **kwargs):
        from mitmachen.groups.models import Group

        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = Group.objects.filter(organisation=organisation)

    def clean_contacts(self):
        try:
            ids = [int(part) for part in self.cleaned_data["contacts"].split(",") if part]
        except ValueError:
            raise forms.ValidationError(_("The selection is not valid.")) from None
        if not ids:
            raise forms.ValidationError(_("Select at least one contact."))
        return ids

    def clean(self):
        data = super().clean()
        if data.get("action") == "add_to_group" and not data.get("group"):
            self.add_error("group", _("Choose a group."))
        if data.get("action") == "change_status" and not data.get("status"):
            self.add_error("status", _("Choose a status."))
        return data


class ApplicationForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=100)
    last_name = forms.CharField(label=_("Last name"), max_length=100)
    pronouns = forms.CharField(label=_("Pronouns (optional)"), max_length=40, required=False)
    email = forms.EmailField(label=_("E-mail"), max_length=254)
    phone = forms.CharField(label=_("Phone (optional)"), max_length=40, required=False)
    street = forms.CharField(label=_("Street and number"), max_length=200)
    postcode = forms.CharField(label=_("Postcode"), max_length=10)
    city = forms.CharField(label=_("City"), max_length=100)
    message = forms.CharField(label=_("Message to the board (optional)"), max_length=2000,
                              required=False, widget=forms.Textarea(attrs={"rows": 3}))
    invitations = forms.BooleanField(
        label=_("Yes, send me invitations to meetings and assemblies by e-mail."),
        required=False)
    privacy = forms.BooleanField(label=_("I agree that my data is stored to process my "
                                         "application (privacy notice)."))
    # Bots fill every field; people never see this one.
    website = forms.CharField(required=False, label=_("Leave this field empty"),
                              widget=forms.TextInput(attrs={"autocomplete": "off",
                                                            "tabindex": "-1"}))


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=[
        ("accept", _("accept")), ("decline", _("decline"))], widget=forms.RadioSelect)
    membership_number = forms.CharField(label=_("Membership number"), max_length=30,
                                        required=False)
    answer = forms.CharField(label=_("Message to the applicant"), max_length=5000,
                             required=False, widget=forms.Textarea(attrs={"rows": 3}))


class ProfileForm(forms.ModelForm):
    """What members change themselves; status, notes and numbers stay with the staff."""

    class Meta:
        model = Contact
        fields = ["first_name", "last_name", "pronouns", "gender", "quota_category", "street",
                  "postcode", "city", "phone", "messenger_phone", "language"]

    def _post_clean(self):
        pass  # validated by the service


class ProposalForm(forms.Form):
    name = forms.CharField(label=_("Name of the group"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=[])
    description = forms.CharField(label=_("What the group wants to do"), max_length=5000,
                                  widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, **kwargs):
        from mitmachen.groups.models import Group

        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = Group.Kind.choices


class JoinForm(forms.Form):
    message = forms.CharField(label=_("A few words to the coordinators (optional)"),
                              max_length=2000, required=False,
                              widget=forms.Textarea(attrs={"rows": 2}))


class ImportForm(forms.Form):
    file = forms.FileField(label=_("CSV or Excel file"),
                           help_text=_("UTF-8 or Windows-1252, separated by “;” or “,”. The "
                                       "first row names the columns, e.g. Vorname; Nachname; "
                                       "E-Mail; Telefon; Straße; PLZ; Ort; Stadtteil; "
                                       "Geburtstag; Status; Mitgliedsnummer."))
