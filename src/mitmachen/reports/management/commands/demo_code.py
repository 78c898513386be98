import pyotp
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from mitmachen.reports.demo import DEMO_TOTP_SECRET, OFFICER


class Command(BaseCommand):
    help = "Print the current two-factor code of the demo's anti-discrimination officer."

    def handle(self, *args, **options):
        from mitmachen.core.models import TotpDevice

        # Only the published demo secret, and only in debug mode: never anyone's real code.
        device = TotpDevice.objects.filter(user__email=OFFICER, secret=DEMO_TOTP_SECRET).first()
        if not settings.DEBUG or device is None:
            raise CommandError("Only for the demo (MITMACHEN_DEBUG=true, demo data loaded).")
        self.stdout.write(f"{OFFICER}: {pyotp.TOTP(DEMO_TOTP_SECRET).now()}")
