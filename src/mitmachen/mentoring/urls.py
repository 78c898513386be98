from django.urls import path

from mitmachen.mentoring import public_views, views

app_name = "mentoring"

urlpatterns = [
    # Applicants: the programme's public page, applying, and the personal page by link.
    path("o/<slug:slug>/mentoring/<slug:programme>/", public_views.programme, name="programme"),
    path("o/<slug:slug>/mentoring/<slug:programme>/apply/<str:role>/", public_views.apply,
         name="apply"),
    path("mentoring/p/<str:token>/", public_views.personal, name="personal"),
    path("mentoring/p/<str:token>/answer/", public_views.answer, name="answer"),
    path("mentoring/p/<str:token>/meetings/", public_views.meeting, name="meeting"),
    path("mentoring/p/<str:token>/goals/", public_views.goal, name="goal"),
    path("mentoring/p/<str:token>/notes/", public_views.note, name="note"),
    path("mentoring/p/<str:token>/feedback/", public_views.feedback, name="feedback"),
    path("mentoring/p/<str:token>/profile/", public_views.profile, name="profile"),
    path("mentoring/p/<str:token>/withdraw/", public_views.withdraw, name="withdraw"),
    path("mentoring/p/<str:token>/link/", public_views.new_link, name="new_link"),
    # The coordinator.
    path("staff/<slug:slug>/mentoring/", views.programmes, name="programmes"),
    path("staff/<slug:slug>/mentoring/new/", views.programme_new, name="programme_new"),
    path("staff/<slug:slug>/mentoring/log/", views.log, name="log"),
    path("staff/<slug:slug>/mentoring/<int:pk>/", views.programme_detail, name="programme_detail"),
    path("staff/<slug:slug>/mentoring/<int:pk>/edit/", views.programme_edit,
         name="programme_edit"),
    path("staff/<slug:slug>/mentoring/<int:pk>/applications/<int:app>/", views.application,
         name="application"),
    path("staff/<slug:slug>/mentoring/<int:pk>/rules/", views.rules, name="rules"),
    path("staff/<slug:slug>/mentoring/<int:pk>/matching/", views.matching, name="matching"),
    path("staff/<slug:slug>/mentoring/<int:pk>/matching/<int:run>/send/", views.matching_send,
         name="matching_send"),
    path("staff/<slug:slug>/mentoring/<int:pk>/pairs/", views.pairs, name="pairs"),
    path("staff/<slug:slug>/mentoring/<int:pk>/pairs/print/", views.pairs_print,
         name="pairs_print"),
]
