"""E-mails to people about their application, consents and logins, through the outbox.

The texts are templates in the person's language; links that log someone in or confirm
something make the message sensitive (no content in logs or staff lists).
"""

from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode


def _send(request, contact, template: str, context: dict) -> None:
    from mitmachen.messaging.outbox import email_from_templates

    context = {"contact": contact, "organisation": contact.organisation,
               "site": request.build_absolute_uri("/").rstrip("/"), **context}
    email_from_templates(to=contact.email, template=f"people/email/{template}",
                         context=context, language=contact.language,
                         organisation=contact.organisation, contact=contact, sensitive=True)


def application_received(request, contact, token: str) -> None:
    _send(request, contact, "application_confirm", {
        "url": request.build_absolute_uri(reverse("people:application_confirm", args=[token]))})


def join_request_received(request, join_request, token: str) -> None:
    _send(request, join_request.contact, "join_confirm", {
        "group": join_request.group,
        "url": request.build_absolute_uri(reverse("groups:public_join_confirm", args=[token]))})


def account_ready(request, contact, new_account: bool) -> None:
    context = {"login_url": request.build_absolute_uri(reverse("core:login"))}
    if new_account:
        user = contact.user
        context["set_password_url"] = request.build_absolute_uri(reverse(
            "core:password_reset_confirm",
            args=[urlsafe_base64_encode(force_bytes(user.pk)),
                  default_token_generator.make_token(user)]))
    _send(request, contact, "account_ready", context)


def already_member(request, organisation, email: str) -> None:
    from mitmachen.people.models import Contact

    contact = Contact.objects.filter(organisation=organisation, email=email.strip().lower(),
                                     erased_at__isnull=True).first()
    if contact is not None:
        _send(request, contact, "already_member", {})


def application_decided(request, application, new_account: bool) -> None:
    context = {"application": application}
    user = application.contact.user
    if new_account and user is not None:
        context["set_password_url"] = request.build_absolute_uri(reverse(
            "core:password_reset_confirm",
            args=[urlsafe_base64_encode(force_bytes(user.pk)),
                  default_token_generator.make_token(user)]))
    _send(request, application.contact, "application_decided", context)


def consent_requested(request, contact, token: str, purpose_label: str) -> None:
    _send(request, contact, "consent_confirm", {
        "purpose": purpose_label,
        "url": request.build_absolute_uri(reverse("people:consent_confirm", args=[token]))})
