from django_tasks import task


@task()
def outbox_flush() -> int:
    """Deliver whatever is due. Safe to run twice: claims never overlap."""
    from mitmachen.messaging.outbox import deliver

    return deliver()
