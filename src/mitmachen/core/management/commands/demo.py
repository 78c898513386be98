from django.core.management.base import BaseCommand

from mitmachen.core.demo import DEMO_LOGINS, DEMO_PASSWORD, DemoLoader


class Command(BaseCommand):
    help = "Load the demo organisations of the seeds, with invented people (safe to repeat)."

    def add_arguments(self, parser):
        parser.add_argument("--quiet-logins", action="store_true",
                            help="do not print the demo logins")

    def handle(self, *args, **options):
        DemoLoader(out=self.stdout.write).load()
        if not options["quiet_logins"]:
            self.stdout.write(logins_text())


def logins_text() -> str:
    lines = ["", f"Demo logins (password for all: {DEMO_PASSWORD}):"]
    lines += [f"  {email:<46} {role.label} · {slug}" for email, slug, role in DEMO_LOGINS]
    return "\n".join(lines)
