from django.core.management.base import BaseCommand

from mitmachen.mentoring import retention


class Command(BaseCommand):
    help = ("Delete applicants' details of mentoring programmes that ended more than "
            f"{retention.RETENTION_DAYS} days ago, as the application form promises: close the "
            "programme, anonymise its applications, delete meeting summaries, private notes and "
            "feedback texts (ratings and counts stay). Safe to repeat; run it daily from cron.")

    def handle(self, *args, **options):
        done = retention.purge()
        self.stdout.write(
            f"programmes purged: {done['programmes']}, applications anonymised: "
            f"{done['applications']}, meeting summaries deleted: {done['meetings']}, private "
            f"notes deleted: {done['notes']}, feedback texts deleted: {done['feedback']}")
