from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, SetPasswordForm
from django.utils.translation import gettext_lazy as _

from mitmachen.core import throttle
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
        email = self.cleaned_data.get("username")
        if email and self.request is not None and throttle.is_locked(self.request, email):
            raise forms.ValidationError(self.error_messages["throttled"], code="throttled")
        return super().clean()


class PasswordResetRequestForm(PasswordResetForm):
    """Django's reset form, but the mail goes through the outbox like every other message."""

    def send_mail(self, subject_template_name, email_template_name, context, from_email,
                  to_email, html_email_template_name=None):
        from mitmachen.messaging.outbox import email_from_templates

        user = context.get("user")
        email_from_templates(to=to_email, template="core/email/password_reset",
                             context=context, language=getattr(user, "language", "de"),
                             sensitive=True)


class PasswordSetForm(SetPasswordForm):
    """The reset form, saving through the audited service and lifting the login lock."""

    def __init__(self, user, *args, request=None, **kwargs):
        self.request = request
        super().__init__(user, *args, **kwargs)

    def save(self, commit=True):
        from mitmachen.core.services import user_set_password

        user_set_password(user=self.user, password=self.cleaned_data["new_password1"],
                          actor=None)
        if self.request is not None:
            throttle.clear(self.request, self.user.email)
        return self.user


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


class TotpCodeForm(forms.Form):
    """A six-digit code from the authenticator app; the check itself is in core/mfa.py."""

    code = forms.CharField(
        label=_("Six-digit code from your authenticator app"),
        max_length=32,
        widget=forms.TextInput(attrs={
            "autocomplete": "one-time-code", "inputmode": "numeric", "size": 8,
            "autocapitalize": "off", "spellcheck": "false",
        }),
    )

    def __init__(self, *args, autofocus: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if autofocus:
            self.fields["code"].widget.attrs["autofocus"] = True
