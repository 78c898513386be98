from django.urls import path

from mitmachen.events import feeds, public, views

app_name = "events"

urlpatterns = [
    # public pages (public.py)
    path("events/", public.calendar, name="calendar"),
    path("o/<slug:slug>/events/", public.calendar, name="org_calendar"),
    path("o/<slug:slug>/events/<int:pk>/", public.detail, name="public_detail"),
    path("o/<slug:slug>/events/<int:pk>/register/", public.register, name="register"),
    path("o/<slug:slug>/events/<int:pk>/event.ics", public.event_ics_view, name="event_ics"),
    path("o/<slug:slug>/series/<int:pk>/", public.series_detail, name="series_detail"),
    path("o/<slug:slug>/plan/<int:year>/", public.yearly_plan, name="yearly_plan"),
    path("r/<str:token>/", public.personal, name="personal"),
    # Not under me/: people's me/<slug>/ comes first in the root URLconf and would catch it.
    path("my/events/", public.my_events, name="my_events"),
    path("o/<slug:slug>/events/<int:pk>/files/<int:file_pk>/", public.event_file,
         name="event_file"),
    # feeds (feeds.py)
    path("o/<slug:slug>/events.ics", feeds.organisation_ics, name="feed_organisation"),
    path("o/<slug:slug>/groups/<int:pk>/events.ics", feeds.group_ics, name="feed_group"),
    path("o/<slug:slug>/topics/<slug:topic>/events.ics", feeds.topic_ics, name="feed_topic"),
    path("o/<slug:slug>/events.atom", feeds.organisation_atom, name="feed_atom"),
    path("calendar/<str:token>.ics", feeds.personal_ics, name="feed_personal"),
    # staff pages (views.py)
    path("staff/<slug:slug>/events/", views.staff_list, name="staff_list"),
    path("staff/<slug:slug>/events/new/", views.staff_create, name="staff_create"),
    path("staff/<slug:slug>/events/topics/", views.topics, name="topics"),
    path("staff/<slug:slug>/events/series/new/", views.series_create, name="series_create"),
    path("staff/<slug:slug>/events/series/<int:pk>/", views.series_edit, name="series_edit"),
    path("staff/<slug:slug>/events/<int:pk>/", views.staff_detail, name="staff_detail"),
    path("staff/<slug:slug>/events/<int:pk>/edit/", views.staff_edit, name="staff_edit"),
    path("staff/<slug:slug>/events/<int:pk>/status/", views.status, name="status"),
    path("staff/<slug:slug>/events/<int:pk>/register/", views.staff_register,
         name="staff_register"),
    path("staff/<slug:slug>/events/<int:pk>/checkin/", views.checkin, name="checkin"),
    path("staff/<slug:slug>/events/<int:pk>/checkin/print/", views.checkin_print,
         name="checkin_print"),
    path("staff/<slug:slug>/events/<int:pk>/export.<str:fmt>", views.export, name="export"),
    path("staff/<slug:slug>/registrations/<int:pk>/<str:action>/", views.registration_action,
         name="registration_action"),
]
