from datetime import timedelta

import pytest
from django.utils import timezone

from mitmachen.events import services
from mitmachen.events.models import Event


@pytest.fixture
def make_event(world):
    """An event of Kassel's in a week, open for registration, with `capacity` seats."""

    def _make(capacity=2, organisation=None, **fields):
        start = timezone.now() + timedelta(days=7)
        fields = {"registration": Event.Registration.OPEN, "capacity": capacity,
                  "ends_at": start + timedelta(hours=2), **fields}
        return services.event_create(organisation=organisation or world.kassel,
                                     title="Netzwerktreffen", kind=Event.Kind.NETWORK_MEETING,
                                     starts_at=start, actor=None, **fields)

    return _make


@pytest.fixture
def register():
    from mitmachen.events.registrations import registration_create

    def _register(event, name="Ana", email=None, **fields):
        return registration_create(event=event, first_name=name,
                                   email=email if email is not None else
                                   f"{str(name).lower()}@example.org",
                                   privacy_accepted=True, **fields)

    return _register
