from django_tasks import task


@task()
def outbox_flush() -> int:
    """Deliver whatever is due. Safe to run twice: claims never overlap."""
    from mitmachen.messaging.outbox import deliver

    return deliver()


@task()
def mailing_due(mailing_id: int, base_url: str) -> None:
    """A scheduled mailing's time has come. Safe to run twice: a sent mailing is skipped."""
    from mitmachen.messaging.mailings import send_scheduled

    send_scheduled(base_url)
