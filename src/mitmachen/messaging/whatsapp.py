"""WhatsApp through Meta's Cloud API, when an organisation has set it up.

Without WHATSAPP_PHONE_NUMBER_ID and WHATSAPP_TOKEN, WhatsApp messages stay in the outbox for
the organiser to send from their phone (the mailing page lists wa.me links); with them, the
outbox worker sends them like Signal messages.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from django.conf import settings


def configured() -> bool:
    return bool(settings.WHATSAPP_PHONE_NUMBER_ID and settings.WHATSAPP_TOKEN)


def _api_error_code(error: urllib.error.HTTPError) -> str:
    """Meta's numeric error code (131030 and the like) from the answer, if there is one.

    Only the number goes into `last_error`: the answer's text can quote the recipient or the
    message, and it is shown on staff pages."""
    try:
        code = json.loads(error.read(4096) or b"{}").get("error", {}).get("code")
    except (ValueError, AttributeError, OSError):
        return ""
    return f" (error {code})" if isinstance(code, int) else ""


def send(message) -> None:
    """POST one text message; anything but a 2xx answer raises, and the outbox retries."""
    base = settings.WHATSAPP_API_URL.rstrip("/")
    if not configured() or not base.startswith(("http://", "https://")):
        raise RuntimeError("WhatsApp is not configured (WHATSAPP_API_URL, "
                           "WHATSAPP_PHONE_NUMBER_ID, WHATSAPP_TOKEN)")
    body = json.dumps({
        "messaging_product": "whatsapp",
        "to": message.to_address.lstrip("+"),  # E.164 digits, without the plus
        "type": "text",
        "text": {"body": message.body_text},
    }).encode()
    request = urllib.request.Request(  # noqa: S310 (an http(s) URL from the settings)
        f"{base}/{settings.WHATSAPP_PHONE_NUMBER_ID}/messages", data=body, method="POST",
        headers={"Content-Type": "application/json",
                 "Authorization": f"Bearer {settings.WHATSAPP_TOKEN}"})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310
            if response.status >= 300:
                raise RuntimeError(f"WhatsApp API answered {response.status}")
    except urllib.error.HTTPError as error:
        # Raised afresh so neither the request (with the token) nor the answer travels on.
        raise RuntimeError(f"WhatsApp API answered {error.code}"
                           f"{_api_error_code(error)}") from None
    except urllib.error.URLError as error:
        raise RuntimeError(f"WhatsApp API not reachable: {error.reason}") from None
