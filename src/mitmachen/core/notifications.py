"""E-mails about accounts, through the outbox."""

from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode


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
    from mitmachen.messaging.outbox import email_from_templates

    email_from_templates(to=user.email, template="core/email/role_granted", context=context,
                         language=user.language, organisation=assignment.organisation,
                         sensitive=invite)
