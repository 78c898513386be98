from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from mitmachen.core.roles import Role


class LoginForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("E-mail address and password do not match an active account. "
                           "Please try again."),
        "throttled": _("Too many failed attempts for this address. Please wait 15 minutes "
                       "or reset your password."),
    }

    def clean(self):
        from mitmachen.core.auth import too_many_failures

        email = self.cleaned_data.get("username")
        if email and too_many_failures(email):
            raise forms.ValidationError(self.error_messages["throttled"], code="throttled")
        return super().clean()


class RoleGrantForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address of the account"), max_length=254)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    include_descendants = forms.BooleanField(
        label=_("Also for subordinate organisations"), required=False, initial=True
    )


class TokenCreateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100,
                           help_text=_("What the token is for, e.g. “newsletter sync”."))
    organisation = forms.ModelChoiceField(label=_("Organisation"), queryset=None)

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(label=_("Action"), required=False)
    q = forms.CharField(label=_("Actor or object contains"), required=False, max_length=100)

    def __init__(self, *args, **kwargs):
        from mitmachen.core.models import AuditEntry

        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", _("all"))] + list(AuditEntry.Action.choices)
