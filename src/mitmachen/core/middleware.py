import logging
import time

from mitmachen.core.audit import current_channel

log = logging.getLogger("mitmachen.request")


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
                "path": request.path,
                "status": response.status_code,
                "ms": round((time.perf_counter() - started) * 1000, 1),
                "user": getattr(getattr(request, "user", None), "pk", None),
            },
        )
        return response
