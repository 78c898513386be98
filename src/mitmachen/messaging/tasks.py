from django_tasks import task

# Below every task backend's job timeout (RQ's is raised to 15 minutes in the settings), so a
# flush is never killed halfway through a group.
FLUSH_BUDGET_SECONDS = 120


@task()
def outbox_flush() -> int:
    """Deliver whatever is due for two minutes, then hand over to a fresh task if more is due.

    Safe to run twice: claims never overlap."""
    from mitmachen.messaging.outbox import deliver, kick_worker, more_due

    delivered = deliver(budget=FLUSH_BUDGET_SECONDS)
    if more_due():
        kick_worker()
    return delivered


@task()
def mailing_due(mailing_id: int, base_url: str) -> None:
    """A scheduled mailing's time has come. Safe to run twice: a sent mailing is skipped."""
    from mitmachen.messaging.mailings import send_scheduled

    send_scheduled(base_url)
