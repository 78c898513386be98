"""The gate in front of every officer page of the reporting channel.

Each step that is missing sends the officer to the page that supplies it, in this order: log in,
the officer role for this organisation, an authenticator app, a code entered in this session, a
key pair, and the key unlocked in this browser. Strangers get 404 and other roles 403
(permissions.require), never a hint about the reports.
"""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from mitmachen.core import mfa
from mitmachen.core.roles import Perm
from mitmachen.core.tenancy import staff_organisation
from mitmachen.reports import access
from mitmachen.reports.models import OfficerKey

COOKIE_PATH = "/staff/"


def no_store(response):
    """Nothing of an officer page may stay in a browser's or a proxy's cache."""
    add_never_cache_headers(response)
    patch_cache_control(response, no_store=True, private=True)
    return response


def set_key_cookie(response, value: str) -> None:
    # A session cookie (no max_age): closing the browser forgets the key's other half. Strict,
    # so that no other site can make the browser use it; HttpOnly, so no script can read it.
    response.set_cookie(access.COOKIE, value, httponly=True, samesite="Strict",
                        secure=settings.SESSION_COOKIE_SECURE, path=COOKIE_PATH)


def delete_key_cookie(response) -> None:
    response.delete_cookie(access.COOKIE, path=COOKIE_PATH, samesite="Strict")


def _with_next(url_name: str, path: str, *args) -> str:
    return f"{reverse(url_name, args=args)}?{urlencode({'next': path})}"


def officer_page(unlocked: bool = True, *, two_factor: bool = True, verified: bool = True,
                 key: bool = True):
    """Decorator for views taking (request, slug, ...); the view also receives `organisation`
    and `private_key` (None unless `unlocked`).

    - `two_factor`: without a confirmed authenticator app, go and set one up;
    - `verified`: with one, a code must have been entered in this session (the unlock page,
      which asks for a code itself, turns this off);
    - `key`: without a key pair, go to the set-up page;
    - `unlocked`: without the key unlocked in this session and browser, go to the unlock page.
    """

    def decorator(view):
        @wraps(view)
        def wrapped(request, slug, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            organisation = staff_organisation(request, slug, Perm.REPORT_HANDLE)
            here = request.get_full_path()
            enrolled = mfa.is_enrolled(request.user)
            if not enrolled:
                if two_factor:
                    messages.info(request, _("The reporting channel needs two-factor "
                                             "authentication. Please set up an authenticator "
                                             "app first."))
                    return no_store(redirect(_with_next("core:mfa_setup", here)))
            elif verified and not mfa.session_verified(request):
                return no_store(redirect(_with_next("core:login_code", here)))
            if key and not OfficerKey.objects.filter(user=request.user).exists():
                return no_store(redirect("reports:setup", slug=organisation.slug))
            private_key = None
            if unlocked:
                private_key = access.unlocked_key(request)
                if private_key is None:
                    return no_store(redirect(_with_next("reports:unlock", here,
                                                        organisation.slug)))
            response = view(request, slug, *args, organisation=organisation,
                            private_key=private_key, **kwargs)
            return no_store(response)

        return wrapped

    return decorator
