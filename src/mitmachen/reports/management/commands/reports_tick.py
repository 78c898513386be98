from django.core.management.base import BaseCommand

from mitmachen.reports import retention


class Command(BaseCommand):
    help = ("Delete reports whose retention period has ended (with their keys), warn the "
            "officers about reports that expire soon, and remove key files without a report. "
            "Run it daily from cron; the inbox also deletes expired reports when it is opened.")

    def handle(self, *args, **options):
        deleted, warned = retention.expire()
        orphans = retention.purge_orphan_keys()
        self.stdout.write(f"reports deleted: {deleted}, reports warned about: {warned}, "
                          f"orphaned keys removed: {orphans}")
