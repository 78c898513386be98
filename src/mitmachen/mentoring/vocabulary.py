"""The words profiles are made of. Fixed in code so that matching compares like with like;
labels are translated. Seed 004: interests ("Fachgebiet"), the kind of body (council, board,
committee), activities (e.g. organising events), the time each can invest."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Field(models.TextChoices):
    HOUSING = "housing", _("Housing and rent")
    SOCIAL = "social", _("Social policy")
    LABOUR = "labour", _("Work and trade unions")
    CLIMATE = "climate", _("Climate and environment")
    TRANSPORT = "transport", _("Transport")
    EDUCATION = "education", _("Education and schools")
    HEALTH = "health", _("Health and care")
    CULTURE = "culture", _("Culture")
    BUDGET = "budget", _("Budget and finance")
    EQUALITY = "equality", _("Gender equality and feminism")
    MIGRATION = "migration", _("Migration and anti-racism")
    URBAN = "urban", _("Urban development")
    DIGITAL = "digital", _("Digital matters")
    YOUTH = "youth", _("Children and youth")
    PEACE = "peace", _("Peace and international affairs")


class Body(models.TextChoices):
    COUNCIL = "council", _("City council")
    DISTRICT_COUNCIL = "district_council", _("District council")
    COMMITTEE = "committee", _("Committee")
    BOARD = "board", _("Party board")
    PARLIAMENTARY_GROUP = "group", _("Parliamentary group")
    WORKING_GROUP = "working_group", _("Working group")


class Activity(models.TextChoices):
    EVENTS = "events", _("Organising events")
    SPEAKING = "speaking", _("Speaking in public")
    MOTIONS = "motions", _("Writing motions")
    PRESS = "press", _("Press work")
    SOCIAL_MEDIA = "social_media", _("Social media")
    CAMPAIGNS = "campaigns", _("Campaigns and canvassing")
    CHAIRING = "chairing", _("Chairing meetings")
    NEGOTIATING = "negotiating", _("Negotiating")


class TimeSlot(models.TextChoices):
    WEEKDAY_MORNING = "weekday_morning", _("Weekday mornings")
    WEEKDAY_AFTERNOON = "weekday_afternoon", _("Weekday afternoons")
    WEEKDAY_EVENING = "weekday_evening", _("Weekday evenings")
    WEEKEND = "weekend", _("Weekends")


class Language(models.TextChoices):
    DE = "de", _("German")
    EN = "en", _("English")
    TR = "tr", _("Turkish")
    AR = "ar", _("Arabic")
    PL = "pl", _("Polish")
    RU = "ru", _("Russian")
    UK = "uk", _("Ukrainian")
    FR = "fr", _("French")
    ES = "es", _("Spanish")
    DGS = "dgs", _("German Sign Language")


class Gender(models.TextChoices):
    WOMAN = "woman", _("Woman")
    MAN = "man", _("Man")
    NONBINARY = "nonbinary", _("Non-binary")
    INTER = "inter", _("Inter")
    TRANS = "trans", _("Trans")
    AGENDER = "agender", _("Agender")
    UNSTATED = "", _("Prefer not to say")


class Need(models.TextChoices):
    """Accessibility needs of a mentee; a mentor offers the same words."""

    STEP_FREE = "step_free", _("Step-free meeting places")
    QUIET = "quiet", _("Quiet places, few people")
    SIGN_LANGUAGE = "sign_language", _("Sign language")
    EASY_LANGUAGE = "easy_language", _("Plain language")
    ONLINE = "online", _("Meeting online")
    CHILDCARE = "childcare", _("Times that fit childcare")


class Requirement(models.TextChoices):
    """What a mentee can make binding (see mentoring/scoring.py)."""

    MENTOR_WOMAN = "mentor_woman", _("My mentor should be a woman/FLINTA*")
    SAME_LANGUAGE = "same_language", _("My mentor speaks all my languages")
    STEP_FREE = "step_free", _("We meet at step-free places only")
