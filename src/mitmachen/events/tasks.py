from django_tasks import task


@task()
def offer_expire(registration_id: int) -> int:
    """A seat offer's deadline has passed. Safe to run twice: an accepted or expired offer is
    left alone."""
    from mitmachen.events.registrations import offers_expire

    return offers_expire(registration_id=registration_id)


@task()
def event_remind(event_id: int, hours: int) -> int:
    """Send one configured reminder. Safe to run twice: each registrant gets it once."""
    from mitmachen.events.models import Event
    from mitmachen.events.services import reminders_send

    event = Event.objects.filter(pk=event_id).first()
    return reminders_send(event=event, hours=hours) if event else 0
