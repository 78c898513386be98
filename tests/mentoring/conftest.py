"""Düsseldorf's feminist mentoring programme (seed 004) and a quick way to apply to it."""

from datetime import timedelta
from itertools import count

import pytest
from django.utils import timezone

from mitmachen.mentoring import services
from mitmachen.mentoring.models import Programme

_numbers = count(1)


def programme_data(**overrides) -> dict:
    """A programme whose application windows are open today."""
    today = timezone.localdate()
    data = {
        "title": "Feministisches Mentoring 2026", "slug": "mentoring-2026",
        "description": "Frauen* begleiten Frauen* in die Kommunalpolitik.",
        "audience": Programme.Audience.WOMEN, "audience_applies_to_mentors": False,
        "cohort_starts": today + timedelta(days=30), "cohort_ends": today + timedelta(days=300),
        "mentee_window_opens": today - timedelta(days=10),
        "mentee_window_closes": today + timedelta(days=20),
        "mentor_window_opens": today - timedelta(days=10),
        "mentor_window_closes": today + timedelta(days=20),
        "contact_email": "mentoring@duesseldorf.example.org", "max_mentees_per_mentor": 3,
    }
    data.update(overrides)
    return data


@pytest.fixture
def coordinator(world):
    return world.users["duesseldorf_mentoring"]


@pytest.fixture
def make_programme(world, coordinator):
    def _make(status=Programme.Status.OPEN, **overrides):
        data = programme_data(slug=f"mentoring-{next(_numbers)}", **overrides)
        programme = services.programme_create(organisation=world.duesseldorf, actor=coordinator,
                                              data=data)
        if status != Programme.Status.DRAFT:
            services.programme_set_status(programme=programme, status=Programme.Status.OPEN,
                                          actor=coordinator)
        if status in (Programme.Status.RUNNING, Programme.Status.FINISHED):
            services.programme_set_status(programme=programme, status=Programme.Status.RUNNING,
                                          actor=coordinator)
        if status == Programme.Status.FINISHED:
            services.programme_set_status(programme=programme,
                                          status=Programme.Status.FINISHED, actor=coordinator)
        programme.refresh_from_db()
        return programme

    return _make


@pytest.fixture
def programme(make_programme):
    return make_programme()


def mentee_data(name=None, **overrides) -> dict:
    name = name or f"Mentee {next(_numbers)}"
    data = {
        "name": name, "email": f"{name.lower().replace(' ', '.')}@example.org",
        "phone": "0211 123456", "fields": ["housing", "equality"], "bodies": ["council"],
        "activities": ["speaking"], "times": ["weekday_evening"], "languages": ["de"],
        "hours_per_month": 4, "district": "Bilk", "gender": "woman",
        "goals": "Im Stadtrat reden.", "audience_confirmed": True,
    }
    data.update(overrides)
    return data


def mentor_data(name=None, **overrides) -> dict:
    name = name or f"Mentor {next(_numbers)}"
    data = {
        "name": name, "email": f"{name.lower().replace(' ', '.')}@example.org",
        "phone": "0211 654321", "fields": ["housing", "equality", "budget"],
        "bodies": ["council", "committee"], "activities": ["speaking", "motions"],
        "times": ["weekday_evening", "weekend"], "languages": ["de", "en"],
        "hours_per_month": 8, "district": "Bilk", "gender": "woman", "capacity": 1,
        "experience": "Zehn Jahre Ratsfrau.", "offers": ["step_free"],
    }
    data.update(overrides)
    return data


@pytest.fixture
def apply():
    """apply(programme, "mentee", name=..., **profile) → the application (token dropped)."""

    def _apply(programme, role, name=None, user=None, **overrides):
        data = (mentee_data if role == "mentee" else mentor_data)(name, **overrides)
        application, _token = services.application_submit(
            programme=programme, role=role, data=data, consent=True, user=user)
        return application

    return _apply
