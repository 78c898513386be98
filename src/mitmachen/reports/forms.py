"""Forms of the officers' pages. They check the shape of the input; the services decide (and
raise ValidationErrors that core.errors.add_to_form puts back onto these forms)."""

from __future__ import annotations

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from mitmachen.reports import access
from mitmachen.reports.models import Category, ChannelSettings, EntryKind, Status
from mitmachen.reports.services import NOTE_KINDS, TEXT_MAX

PASSPHRASES_DIFFER = _("The two passphrases are not the same.")


def _passphrase(label, autocomplete: str, **extra) -> forms.CharField:
    # strip=False: a passphrase is used exactly as typed, spaces at either end included.
    return forms.CharField(label=label, strip=False, max_length=access.PASSPHRASE_MAX,
                           widget=forms.PasswordInput(attrs={"autocomplete": autocomplete}),
                           **extra)


def _code() -> forms.CharField:
    return forms.CharField(
        label=_("Code from your authenticator app"), max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric",
                                      "pattern": "[0-9 ]*", "size": 8}))


def _text(label, rows=5, **extra) -> forms.CharField:
    return forms.CharField(label=label, max_length=TEXT_MAX,
                           widget=forms.Textarea(attrs={"rows": rows}), **extra)


def _minimum() -> str:
    # Formatted per request: a lazy string formatted at import would freeze one language.
    return gettext("At least %(n)d characters.") % {"n": access.PASSPHRASE_MIN}


class _NewPassphrase(forms.Form):
    """A new passphrase typed twice; `new_field` names the first of the two."""

    new_field = "passphrase"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[self.new_field].help_text = _minimum()

    def clean(self):
        data = super().clean()
        first, second = data.get(self.new_field), data.get("confirm")
        if first is not None and second is not None and first != second:
            self.add_error("confirm", PASSPHRASES_DIFFER)
        return data


class KeyCreateForm(_NewPassphrase):
    passphrase = _passphrase(_("Passphrase"), "new-password")
    confirm = _passphrase(_("Passphrase again"), "new-password")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["passphrase"].help_text = " ".join([_minimum(), gettext(
            "A few unrelated words are easy to remember and hard to guess. Nobody can reset it "
            "for you: without it, you cannot read the reports.")])


class KeyResetForm(_NewPassphrase):
    passphrase = _passphrase(_("New passphrase"), "new-password")
    confirm = _passphrase(_("New passphrase again"), "new-password")
    code = _code()
    understood = forms.BooleanField(
        label=_("I understand that I lose access to every report I can read now, until another "
                "officer grants it to me again."))


class UnlockForm(forms.Form):
    passphrase = _passphrase(_("Passphrase"), "current-password")
    code = _code()
    next = forms.CharField(required=False, widget=forms.HiddenInput, max_length=2000)


class PassphraseForm(_NewPassphrase):
    new_field = "new_passphrase"

    passphrase = _passphrase(_("Current passphrase"), "current-password")
    new_passphrase = _passphrase(_("New passphrase"), "new-password")
    confirm = _passphrase(_("New passphrase again"), "new-password")


class StatusFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("All"))] + list(Status.choices))


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field; the service checks their number, size and type."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class ReplyForm(forms.Form):
    text = _text(_("Your answer to the person who reported"), rows=6,
                 help_text=_("The person reads this with their receipt code. It is stored "
                             "encrypted."))
    files = MultipleFileField(label=_("Files (optional)"), required=False,
                              help_text=_("PDF, images or office documents; at most 5 files, "
                                          "25 MB together."))


class EntryForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of entry"),
                             choices=[(k.value, k.label) for k in EntryKind if k in NOTE_KINDS])
    text = _text(_("Text"), rows=4,
                 help_text=_("Only the officers read the case record, never the person who "
                             "reported."))


class UpdateForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Status.choices)
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    deadline = forms.DateField(label=_("Deadline"), required=False,
                               widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                               help_text=_("Leave empty for no deadline."))
    reason = forms.CharField(label=_("Reason (optional)"), required=False, max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 2}),
                             help_text=_("Entered in the case record with the change."))


class DeleteForm(forms.Form):
    reason = forms.CharField(
        label=_("Why delete it now?"), max_length=150,
        help_text=_("Required. It goes into the audit log, which administrators can read: no "
                    "names and no details of the case."))
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)


class GrantForm(forms.Form):
    officer = forms.IntegerField(widget=forms.HiddenInput)


def _setting(name: str) -> forms.Field:
    model_field = ChannelSettings._meta.get_field(name)
    bounds = {}
    # The model's own limits, also on the form: a number out of range is a field error before
    # any date arithmetic (a huge one would overflow it), and the browser can say so early.
    for validator in model_field.validators:
        if isinstance(validator, MinValueValidator):
            bounds["min_value"] = validator.limit_value
        elif isinstance(validator, MaxValueValidator):
            bounds["max_value"] = validator.limit_value
    field = model_field.formfield(**bounds)
    field.label = capfirst(field.label)
    return field


class SettingsForm(forms.Form):
    retention_days = _setting("retention_days")
    warning_days = _setting("warning_days")
    introduction = _setting("introduction")

    def clean_introduction(self):
        return self.cleaned_data["introduction"] or ""
