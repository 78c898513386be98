from django.core.management.base import BaseCommand

from mitmachen.assemblies.invitations import reminders_due


class Command(BaseCommand):
    help = ("Send the assemblies' reminders that are due. The worker does this on schedule; run "
            "it from cron as a safety net.")

    def handle(self, *args, **options):
        self.stdout.write(f"assembly reminders sent: {reminders_due()}")
