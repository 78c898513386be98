import signal

from django.core.management.base import BaseCommand

from mitmachen.messaging import outbox


class Command(BaseCommand):
    help = ("Deliver the outbox in a loop (run several in parallel for volume). SIGTERM or "
            "Ctrl-C finishes the message in flight and stops.")

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="deliver what is due, then stop")
        parser.add_argument("--idle", type=float, default=1.0, help="seconds between polls")
        parser.add_argument("--batch", type=int, default=None)

    def handle(self, *args, once, idle, batch, **options):
        def stop(*_):
            outbox.stop_requested.set()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        total = 0
        from mitmachen.messaging.mailings import send_scheduled

        while not outbox.stop_requested.is_set():
            send_scheduled()
            total += outbox.deliver(batch=batch)
            if once:
                break
            outbox.stop_requested.wait(idle)
        self.stdout.write(f"delivered {total}")
