from django.core.management.base import BaseCommand

from mitmachen.events.registrations import offers_expire
from mitmachen.events.series import series_extend_all
from mitmachen.events.services import reminders_due


class Command(BaseCommand):
    help = ("Expire lapsed seat offers, send due reminders and extend meeting series. The "
            "worker does this on schedule; run it from cron as a safety net.")

    def handle(self, *args, **options):
        expired = offers_expire()
        reminded = reminders_due()
        added = series_extend_all()
        self.stdout.write(f"offers expired: {expired}, reminders sent: {reminded}, "
                          f"occurrences added: {added}")
