from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the task worker of the configured backend (database by default, RQ with Redis)."

    def add_arguments(self, parser):
        parser.add_argument("--burst", action="store_true",
                            help="run the tasks that are waiting, then stop")

    def handle(self, *args, burst=False, **options):
        if settings.TASKS["default"]["BACKEND"].startswith("django_tasks_rq"):
            # The backend's own job class runs django-tasks tasks; RQ's plain one cannot.
            call_command("rqworker", "default", with_scheduler=not burst, burst=burst,
                         job_class="django_tasks_rq.backend.Job")
        elif burst:
            call_command("db_worker", batch=True)
        else:
            call_command("db_worker")
