"""Filled in by its author; see urls.py."""

urlpatterns: list = []
