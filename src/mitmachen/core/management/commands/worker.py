from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the task worker of the configured backend (database by default, RQ with Redis)."

    def handle(self, *args, **options):
        if settings.TASKS["default"]["BACKEND"].startswith("django_tasks_rq"):
            call_command("rqworker", "default", with_scheduler=True)
        else:
            call_command("db_worker")
