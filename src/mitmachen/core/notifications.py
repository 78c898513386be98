"""E-mails about accounts. Sent after the transaction commits (see decision 0004: these move to
the outbox when it exists)."""

from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import override


def notify_role_granted(*, request, assignment, invite: bool) -> None:
    """Tell the person about their new role; a new account gets a link to set its password."""
    user = assignment.user
    context = {"assignment": assignment, "organisation": assignment.organisation,
               "role": assignment.get_role_display, "invite": invite,
               "site": request.build_absolute_uri("/").rstrip("/")}
    if invite:
        context["set_password_url"] = request.build_absolute_uri(reverse(
            "core:password_reset_confirm",
            args=[urlsafe_base64_encode(force_bytes(user.pk)),
                  default_token_generator.make_token(user)]))
    with override(user.language):
        subject = render_to_string("core/email/role_granted_subject.txt", context).strip()
        body = render_to_string("core/email/role_granted.txt", context)
    transaction.on_commit(lambda: send_mail(subject, body, None, [user.email]))
