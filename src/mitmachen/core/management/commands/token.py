from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from mitmachen.core import services
from mitmachen.core.errors import messages_of
from mitmachen.core.models import ApiToken, User
from mitmachen.organisations.models import Organisation


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = "Create, list or revoke API tokens."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a token and print it once")
        create.add_argument("--email", required=True)
        create.add_argument("--organisation", required=True, help="organisation slug")
        create.add_argument("--name", default="command line")
        create.add_argument("--days", type=_positive, default=None,
                            help="expire after N days (at least 1)")
        listing = sub.add_parser("list", help="list an account's tokens")
        listing.add_argument("--email", required=True)
        revoke = sub.add_parser("revoke", help="revoke a token by its key id")
        revoke.add_argument("key_id")

    def handle(self, *args, action, **options):
        getattr(self, f"_{action}")(**options)

    def _user(self, email):
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            raise CommandError(f"No account with e-mail {email!r}.")
        return user

    def _create(self, email, organisation, name, days, **_):
        user = self._user(email)
        target = Organisation.objects.filter(slug=organisation).first()
        if target is None:
            raise CommandError(f"No organisation with slug {organisation!r}.")
        expires = timezone.now() + timedelta(days=days) if days else None
        try:
            _token, plaintext = services.token_create(user=user, organisation=target, name=name,
                                                      expires_at=expires)
        except ValidationError as exc:
            raise CommandError("; ".join(m for ms in messages_of(exc).values() for m in ms)) \
                from None
        self.stdout.write(plaintext)

    def _list(self, email, **_):
        for token in self._user(email).api_tokens.select_related("organisation"):
            state = "revoked" if token.revoked_at else ("active" if token.is_usable else "expired")
            self.stdout.write(f"{token.key_id}  {state:<8} {token.organisation.slug:<24} "
                              f"{token.name}")

    def _revoke(self, key_id, **_):
        token = ApiToken.objects.filter(key_id=key_id).first()
        if token is None:
            raise CommandError(f"No token with key id {key_id!r}.")
        services.token_revoke(token=token)
        self.stdout.write(f"Revoked {key_id}.")
