"""The /api/v1 router: one NinjaAPI assembling each app's router, with one error format."""

import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from mitmachen.core.errors import messages_of

log = logging.getLogger("mitmachen.api")

api = NinjaAPI(
    title="mitmachen API",
    version="1",
    description="The platform's services over HTTP. Authenticate with "
    "`Authorization: Bearer <token>`; create a token with `mitmachen token create`.",
    urls_namespace="api-v1",
)


def _error(request, status: int, code: str, message: str, fields=None):
    body = {"error": {"code": code, "message": message, "fields": fields or {}}}
    return api.create_response(request, body, status=status)


@api.exception_handler(NinjaValidationError)
def _invalid_request(request, exc):
    fields: dict[str, list[str]] = {}
    for error in exc.errors:
        location = [str(part) for part in error.get("loc", []) if part not in ("body", "payload")]
        fields.setdefault(".".join(location) or "__all__", []).append(error.get("msg", ""))
    return _error(request, 422, "invalid", _("The request is not valid. Nothing was changed."),
                  fields)


@api.exception_handler(ValidationError)
def _invalid_data(request, exc):
    return _error(request, 422, "invalid", _("The data is not valid. Nothing was changed."),
                  messages_of(exc))


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return _error(request, 401, "unauthenticated",
                  _("A valid token is needed: Authorization: Bearer <token>."))


@api.exception_handler(PermissionDenied)
def _forbidden(request, exc):
    return _error(request, 403, "forbidden", _("Your role does not allow this."))


@api.exception_handler(Http404)
def _not_found(request, exc):
    return _error(request, 404, "not_found", _("Not found."))


@api.exception_handler(Exception)
def _unexpected(request, exc):
    log.exception("unhandled API error", extra={"path": request.path})
    return _error(request, 500, "server_error",
                  _("Something went wrong. The error has been logged. Nothing was changed."))


@api.exception_handler(HttpError)
def _http_error(request, exc):
    return _error(request, exc.status_code, "error", str(exc))


def _register_routers():
    from mitmachen.assemblies.api import router as assemblies_router
    from mitmachen.core.api import router as core_router
    from mitmachen.events.api import router as events_router
    from mitmachen.groups.api import router as groups_router
    from mitmachen.mentoring.api import router as mentoring_router
    from mitmachen.organisations.api import router as organisations_router
    from mitmachen.people.api import router as people_router
    from mitmachen.reports.api import router as reports_router

    api.add_router("/", core_router)
    api.add_router("/", organisations_router)
    api.add_router("/", people_router)
    api.add_router("/", groups_router)
    api.add_router("/", events_router)
    api.add_router("/", assemblies_router)
    api.add_router("/", reports_router)
    api.add_router("/", mentoring_router)


_register_routers()
