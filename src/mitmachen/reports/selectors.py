"""Reads of the reporting channel."""

from __future__ import annotations

from django.db.models import Sum
from django.utils import timezone

from mitmachen.reports.models import Category, ChannelSettings, Report, ReportKey, Tally

SUPPRESS_BELOW = 3


def channel_settings_of(organisation) -> ChannelSettings:
    """The channel's settings, or the defaults (unsaved): a page view writes nothing."""
    found = ChannelSettings.objects.filter(organisation=organisation).first()
    return found or ChannelSettings(organisation=organisation)


def inbox(*, organisation, officer, status: str = ""):
    """The organisation's live reports with whether this officer holds a key to each."""
    today = timezone.localdate()
    reports = Report.objects.filter(organisation=organisation, expires_on__gt=today)
    if status:
        reports = reports.filter(status=status)
    readable = set(ReportKey.objects.filter(officer=officer, report__organisation=organisation)
                   .values_list("report_id", flat=True))
    rows = list(reports.order_by("-number"))
    for report in rows:
        report.readable = report.pk in readable
    return rows


def suppress(count: int) -> int | None:
    """None for a cell that would say something about fewer than three people."""
    return count if count >= SUPPRESS_BELOW else None


def statistics(*, organisation, year: int) -> dict:
    """Reports per quarter and category for one year; every cell below three (zero included)
    is suppressed, and no totals are given: a total next to a suppressed cell would reveal it."""
    counts = {(row["quarter"], row["category"]): row["n"] for row in
              Tally.objects.filter(organisation=organisation, year=year)
              .values("quarter", "category").annotate(n=Sum("count"))}
    rows = []
    for value, label in Category.choices:
        rows.append({"category": value, "label": label,
                     "cells": [suppress(counts.get((q, value), 0)) for q in range(1, 5)]})
    return {"year": year, "rows": rows, "threshold": SUPPRESS_BELOW}


def statistics_years(organisation) -> list[int]:
    years = set(Tally.objects.filter(organisation=organisation).values_list("year", flat=True))
    years.add(timezone.localdate().year)
    return sorted(years, reverse=True)
