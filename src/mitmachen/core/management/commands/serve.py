import signal
import subprocess
import sys

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the web server and the task worker together; Ctrl-C stops both."

    def add_arguments(self, parser):
        parser.add_argument("address", nargs="?", default="127.0.0.1:8000")
        parser.add_argument("--no-worker", action="store_true")

    def handle(self, *args, address, no_worker, **options):
        # Ctrl-C and a plain `kill` both end in the `finally` below, so the worker never outlives
        # the server (a shell may start us with SIGINT ignored; restore it).
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        worker = None
        if not no_worker:
            worker = subprocess.Popen([sys.executable, "-m", "mitmachen", "worker"])
            self.stdout.write(f"Task worker started (pid {worker.pid}).")
        try:
            call_command("runserver", address, use_reloader=False, insecure_serving=True)
        finally:
            if worker is not None and worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
                try:
                    worker.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    worker.kill()
