from django import forms
from django.utils.translation import gettext_lazy as _

from mitmachen.organisations.models import District, Organisation, Place
from mitmachen.organisations.services import PLACE_FIELDS, PROFILE_FIELDS


class OrganisationProfileForm(forms.ModelForm):
    website = forms.URLField(label=_("website"), required=False, max_length=200,
                             assume_scheme="https")

    class Meta:
        model = Organisation
        fields = PROFILE_FIELDS
        widgets = {"about": forms.Textarea(attrs={"rows": 6}),
                   "how_to_join": forms.Textarea(attrs={"rows": 6})}


class PlaceForm(forms.ModelForm):
    class Meta:
        model = Place
        fields = PLACE_FIELDS
        widgets = {"accessibility_notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, organisation: Organisation, **kwargs):
        super().__init__(*args, **kwargs)
        district = self.fields["district"]
        district.queryset = (
            District.objects.filter(municipality=organisation.municipality)
            if organisation.municipality_id else District.objects.none()
        )
        district.empty_label = _("— none —")
