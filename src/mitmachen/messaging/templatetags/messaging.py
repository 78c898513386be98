from urllib.parse import quote

from django import template

register = template.Library()


@register.simple_tag
def whatsapp_link(number: str, text: str) -> str:
    """A link that opens WhatsApp on the organiser's phone with the message filled in."""
    return f"https://wa.me/{number.lstrip('+')}?text={quote(text)}"
