"""Personal links: how applicants reach their application without an account.

The token is derived from the application's key and its nonce, not stored: an e-mail sent
weeks later can carry the same link, and a new nonce invalidates every link sent before.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from mitmachen.mentoring.models import Application

TOKEN_SALT = "mitmachen.mentoring.application"  # noqa: S105 (an HMAC salt, not a secret)
TOKEN_MAX = 80
# A bigint has at most 19 digits; a longer "key" would overflow the database's integer.
PK_DIGITS_MAX = 18


def personal_token(application: Application) -> str:
    """"<pk>-<hmac>": the secret in the applicant's personal link."""
    mac = salted_hmac(TOKEN_SALT, f"{application.pk}:{application.nonce}").hexdigest()[:32]
    return f"{application.pk}-{mac}"


def application_by_token(token) -> Application:
    """The application the link belongs to; ValidationError for anything else.

    Every kind of wrong link gets the same message, so that a probe learns nothing about
    which keys exist.
    """
    invalid = ValidationError(_("This link is not valid."), code="invalid_link")
    if not isinstance(token, str) or not token or len(token) > TOKEN_MAX or "\x00" in token:
        raise invalid
    pk, _sep, mac = token.partition("-")
    # isdigit() alone accepts "²" or Arabic-Indic digits, which int() would read as a key.
    if not (pk.isascii() and pk.isdigit()) or len(pk) > PK_DIGITS_MAX or not mac:
        raise invalid
    application = (Application.objects.select_related("programme", "programme__organisation",
                                                      "user")
                   .filter(pk=int(pk)).first())
    if application is None or not constant_time_compare(personal_token(application), token):
        raise invalid
    return application


def personal_url(application: Application) -> str:
    """The path of the applicant's personal page (prefix settings.SITE_URL for e-mails)."""
    return reverse("mentoring:personal", args=[personal_token(application)])
