import logging
import time

from django.conf import settings

from mitmachen.core.audit import current_channel

log = logging.getLogger("mitmachen.request")


# The reporting channel's public pages (reports/urls.py): no account and no session there.
REPORTER_PREFIX = "/report/"


class ReporterPagesMiddleware:
    """On the reporter's pages, a visitor is nobody: the session cookie is dropped before the
    SessionMiddleware sees it (this runs before it), so a logged-in member's session is neither
    loaded nor saved nor sent back, and no row of django_session records the moment of a report
    next to the account. Everything after (authentication, language, the request log) sees an
    anonymous visitor. The cookie stays in the browser for the member's other pages."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.startswith(REPORTER_PREFIX):
            request.COOKIES.pop(settings.SESSION_COOKIE_NAME, None)
        return self.get_response(request)


class RequestLogMiddleware:
    """Logs one structured line per request and marks writes made during it as coming from web."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.htmx_target = request.headers.get("HX-Target", "") \
            if request.headers.get("HX-Request") == "true" else ""
        channel = "api" if request.path.startswith("/api/") else "web"
        reset = current_channel.set(channel)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
        finally:
            current_channel.reset(reset)
        log.info(
            "request",
            extra={
                "method": request.method,
                "path": _loggable_path(request),
                "status": response.status_code,
                "ms": round((time.perf_counter() - started) * 1000, 1),
                "user": getattr(getattr(request, "user", None), "pk", None),
            },
        )
        return response


# URLs whose last part is a secret (personal links, calendar feeds, unsubscribe and confirmation
# tokens): the log keeps the route, not the secret.
SECRET_ROUTES = {"events:personal", "events:feed_personal", "messaging:unsubscribe",
                 "people:application_confirm", "people:consent_confirm",
                 "groups:public_join_confirm", "core:password_reset_confirm",
                 # An assembly participant's phone, the door's QR code, the hall projector.
                 "assemblies:participant", "assemblies:participant_speak",
                 "assemblies:participant_voting", "assemblies:participant_vote",
                 "assemblies:participant_motions", "assemblies:participant_election",
                 "assemblies:checkin_code", "assemblies:projector", "assemblies:live_json",
                 "assemblies:live_events",
                 # A mentee's or mentor's personal mentoring page.
                 "mentoring:personal", "mentoring:answer", "mentoring:meeting",
                 "mentoring:goal", "mentoring:note", "mentoring:feedback",
                 "mentoring:profile", "mentoring:withdraw"}


def _loggable_path(request) -> str:
    match = getattr(request, "resolver_match", None)
    if match is not None and match.view_name in SECRET_ROUTES:
        return "/" + match.route
    return request.path
