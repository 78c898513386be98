from django.core.management.base import BaseCommand, CommandError

from mitmachen.messaging import bounces, dsn


class Command(BaseCommand):
    help = ("Read bounce mails (delivery status notifications and plain bounces) from an mbox "
            "file or a Maildir and mark the outbox e-mails they are about. Safe to repeat.")

    def add_arguments(self, parser):
        parser.add_argument("path", help="an mbox file or a Maildir directory")
        parser.add_argument("--delete", action="store_true",
                            help="remove the mails from the mailbox once they are recorded")

    def handle(self, *args, path, delete, **options):
        try:
            box = bounces.open_mailbox(path)
        except bounces.MailboxError as error:
            raise CommandError(str(error)) from None
        try:
            if delete:  # held until the mails are gone, so a delivery in between is not lost
                box.lock()
            found = bounces.read(box)
            outcomes = bounces.record_all(found)
            if delete:
                for item in found:
                    box.discard(item.key)
                box.flush()
        finally:
            if delete:
                box.unlock()
            box.close()
        self._report(found, outcomes)

    def _report(self, found, outcomes):
        counts = dict.fromkeys(["marked", "unchanged", "unknown", "erased", "skipped"], 0)
        for item in found:
            if isinstance(item.result, dsn.Skip):
                counts["skipped"] += 1
                self.stdout.write(f"mail {item.key}: skipped, {item.result.why}")
        for item, outcome, message_id in outcomes:
            counts[outcome] += 1
            code = bounces.status_code(item.result.reason) or "no code"
            kind = "permanent" if item.result.permanent else "temporary"
            self.stdout.write(f"mail {item.key}: " + {
                bounces.MARKED: f"{message_id} marked as bounced ({code}, {kind})",
                bounces.UNCHANGED: f"{message_id} already recorded",
                bounces.UNKNOWN: "unknown Message-ID "
                                 f"{', '.join(item.result.message_ids[:3])}, ignored",
                bounces.ERASED: f"{message_id} was sent to an erased person, ignored",
            }[outcome])
        self.stdout.write(
            f"{len(found)} mails: {counts['marked']} marked as bounced, {counts['unchanged']} "
            f"already recorded, {counts['unknown']} unknown, {counts['erased']} erased, "
            f"{counts['skipped']} skipped")
