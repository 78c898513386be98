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
from django.core.files.uploadhandler import MemoryFileUploadHandler
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_protect

from mitmachen.core import mfa
from mitmachen.core.roles import Perm
from mitmachen.core.tenancy import staff_organisation
from mitmachen.reports import access, services
from mitmachen.reports.models import OfficerKey

COOKIE_PATH = "/staff/"

# The largest request body taken where files are uploaded: the files
# (services.FILES_TOTAL_MAX) plus the texts and the multipart framing. Larger bodies are
# refused before they are read.
BODY_MAX = services.FILES_TOTAL_MAX + 1024 * 1024


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
                 key: bool = True, reader: bool = True):
    """Decorator for views taking (request, slug, ...); the view also receives `organisation`
    and `private_key` (None unless `unlocked`).

    - `two_factor`: without a confirmed authenticator app, go and set one up;
    - `verified`: with one, a code must have been entered in this session (the unlock page,
      which asks for a code itself, turns this off);
    - `key`: without a key pair, go to the set-up page;
    - `unlocked`: without the key unlocked in this session and browser, go to the unlock page;
    - `reader`: an officer not yet approved as a reader (decision 0020) sees only the access
      page, which tells them who has to approve them — not even the inbox's metadata.
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
                if reader and not access.is_reader(request.user, organisation):
                    return no_store(redirect("reports:access", slug=organisation.slug))
            response = view(request, slug, *args, organisation=organisation,
                            private_key=private_key, **kwargs)
            return no_store(response)

        return wrapped

    return decorator


# --- uploads: in memory only (officers' and reporters' pages) -----------------------------

class InMemoryUploads(MemoryFileUploadHandler):
    """Keeps every upload in memory whatever its size; BODY_MAX caps the total. Django would
    write a file over 2.5 MB to a temporary file, leaving the plaintext of an attachment on
    disk after the request."""

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.activated = True


def body_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def uploads_in_memory(too_large):
    """Decorator for a view that takes files: a body over BODY_MAX gets `too_large(request,
    *args, **kwargs)` without being read, any other is parsed by InMemoryUploads.

    The view must also be csrf_exempt (outermost): the CSRF middleware would read the body
    before the handlers are set. csrf_protect checks here, right after, so the check is only
    deferred, never skipped."""

    def decorator(view):
        protected = csrf_protect(view)

        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if body_length(request) > BODY_MAX:
                return too_large(request, *args, **kwargs)
            request.upload_handlers = [InMemoryUploads(request)]
            return protected(request, *args, **kwargs)

        return wrapped

    return decorator
