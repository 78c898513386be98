"""Forms of the reporter's pages.

They parse and render; the services decide what is valid (lengths, file types, the number of
files), so a rule lives in one place. Where a form refuses something itself (a missing text or
choice), it uses the service's own words.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from mitmachen.reports.models import Category, Wish

# What the services accept (events.services.checked_upload); the browser's file picker offers
# these first, the server checks the content anyway.
ACCEPT = ".pdf,.png,.jpg,.jpeg,.odt,.ods,.docx,.xlsx,.pptx,application/pdf,image/png,image/jpeg"
NO_WISH = _("Please choose what you would like us to do.")
NO_CATEGORY = _("Please choose a category from the list.")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files under one name; the services check how many and what they are."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        uploads = data if isinstance(data, list | tuple) else [data]
        return [cleaned for cleaned in (single(upload, initial) for upload in uploads)
                if cleaned]


def _text_input(**attrs):
    return forms.TextInput(attrs={"autocomplete": "off", **attrs})


class ReportForm(forms.Form):
    what = forms.CharField(
        label=_("What happened?"), widget=forms.Textarea(attrs={"rows": 8}),
        error_messages={"required": _("Please describe what happened.")},
        help_text=_("In your own words. Details you give here (names, places, times) can also "
                    "show who you are; write only what you are comfortable with."))
    when = forms.CharField(
        label=_("When did it happen?"), required=False, widget=_text_input(),
        help_text=_("A date or a rough time is enough, for example “last summer”."))
    where = forms.CharField(
        label=_("Where did it happen?"), required=False, widget=_text_input(),
        help_text=_("For example a meeting, an event, a group chat or a place."))
    who = forms.CharField(
        label=_("Who was involved?"), required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("You do not have to name anyone."))
    wish = forms.ChoiceField(
        label=_("What would you like us to do?"), choices=Wish.choices,
        widget=forms.RadioSelect,
        error_messages={"required": NO_WISH, "invalid_choice": NO_WISH})
    category = forms.ChoiceField(
        label=_("What kind of discrimination was it?"), required=False,
        choices=[("", _("I am not sure / I do not want to say"))] + list(Category.choices),
        error_messages={"invalid_choice": NO_CATEGORY},
        help_text=_("It helps the officers and, counted without any details, the "
                    "organisation's yearly statistics."))
    contact = forms.CharField(
        label=_("How can we reach you?"), required=False, widget=_text_input(),
        help_text=_("For example an e-mail address or a phone number. Leave it empty to stay "
                    "anonymous. Contact details are stored encrypted with your report."))
    files = MultipleFileField(
        label=_("Attachments"),
        help_text=_("Up to 5 files (PDF, PNG or JPEG images, office documents), at "
                    "most 10 MB each and 25 MB together. Photos and documents can contain "
                    "hidden details such as the place and time a photo was taken or the "
                    "author's name; a screenshot leaves most of them out."))


class ReceiptForm(forms.Form):
    receipt = forms.CharField(
        label=_("Your receipt code"), max_length=100,
        error_messages={"required": _("Please enter your receipt code.")},
        widget=_text_input(spellcheck="false", autocapitalize="characters",
                           autocorrect="off"),
        help_text=_("The code you were shown after sending your report, for example "
                    "“7K2M-…”. Upper or lower case and spaces do not matter."))


class ReplyForm(forms.Form):
    text = forms.CharField(
        label=_("Your message"), widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": _("Please write a message.")})
    files = MultipleFileField(
        label=_("Attachments"),
        help_text=_("Up to 5 files (PDF, PNG or JPEG images, office documents), at "
                    "most 10 MB each and 25 MB together. Photos can contain the place and time "
                    "they were taken."))
