from django.core.management.base import BaseCommand, CommandError

from mitmachen.core.demo import DEMO_LOGINS, DEMO_PASSWORD, DemoLoader
from mitmachen.core.demo_people import MEMBER_LOGIN


class Command(BaseCommand):
    help = "Load the demo organisations of the seeds, with invented people (safe to repeat)."

    def add_arguments(self, parser):
        parser.add_argument("--quiet-logins", action="store_true",
                            help="do not print the demo logins")
        parser.add_argument("--force", action="store_true",
                            help="load even when not in debug mode (accounts with a known "
                                 "password!)")

    def handle(self, *args, **options):
        from django.conf import settings

        if not settings.DEBUG and not options["force"]:
            raise CommandError("The demo creates accounts with a published password. It runs "
                               "only with MITMACHEN_DEBUG=true, or with --force.")
        DemoLoader(out=self.stdout.write).load()
        if not options["quiet_logins"]:
            self.stdout.write(logins_text())


def logins_text() -> str:
    lines = ["", f"Demo logins (password for all: {DEMO_PASSWORD}):"]
    lines += [f"  {email:<46} {role.label} · {slug}" for email, slug, role in DEMO_LOGINS]
    lines.append(f"  {MEMBER_LOGIN:<46} member (no staff role) · die-linke-kassel")
    from mitmachen.reports.demo import DEMO_PASSPHRASE, DEMO_TOTP_SECRET, OFFICER

    lines += ["", f"The reporting channel ({OFFICER}) asks for a code from an authenticator app",
              f"  (secret {DEMO_TOTP_SECRET}; or `.venv/bin/mitmachen demo_code` prints the",
              f"  current one) and the passphrase {DEMO_PASSPHRASE}."]
    return "\n".join(lines)
