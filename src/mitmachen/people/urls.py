from django.urls import path

from mitmachen.people import import_views, member, public, views

app_name = "people"

urlpatterns = [
    path("staff/<slug:slug>/contacts/", views.contact_list, name="contact_list"),
    path("staff/<slug:slug>/contacts/new/", views.contact_edit, name="contact_create"),
    path("staff/<slug:slug>/contacts/bulk/", views.contact_bulk, name="contact_bulk"),
    path("staff/<slug:slug>/contacts/import/", import_views.import_upload, name="import"),
    path("staff/<slug:slug>/contacts/import/run/", import_views.import_run, name="import_run"),
    path("staff/<slug:slug>/contacts/<int:pk>/", views.contact_detail, name="contact_detail"),
    path("staff/<slug:slug>/contacts/<int:pk>/edit/", views.contact_edit, name="contact_edit"),
    path("staff/<slug:slug>/contacts/<int:pk>/status/", views.contact_status,
         name="contact_status"),
    path("staff/<slug:slug>/contacts/<int:pk>/consent/", views.contact_consent,
         name="contact_consent"),
    path("staff/<slug:slug>/contacts/<int:pk>/account/", views.contact_account,
         name="contact_account"),
    path("staff/<slug:slug>/contacts/<int:pk>/export/", views.contact_export,
         name="contact_export"),
    path("staff/<slug:slug>/contacts/<int:pk>/erase/", views.contact_erase,
         name="contact_erase"),
    path("staff/<slug:slug>/jobs/<int:pk>/", views.job_progress, name="job"),
    path("staff/<slug:slug>/applications/", views.application_queue, name="application_queue"),
    path("staff/<slug:slug>/applications/<int:pk>/decide/", views.application_decide,
         name="application_decide"),
    path("me/", member.me, name="me"),
    path("me/<slug:slug>/", member.me_organisation, name="me_organisation"),
    path("me/<slug:slug>/consent/", member.me_consent, name="me_consent"),
    path("me/<slug:slug>/groups/<int:group_id>/join/", member.me_join, name="me_join"),
    path("me/<slug:slug>/groups/propose/", member.me_propose, name="me_propose"),
    path("me/<slug:slug>/requests/<int:request_id>/decide/", member.me_decide,
         name="me_decide"),
    path("o/<slug:slug>/join/", public.apply, name="apply"),
    path("o/<slug:slug>/join/sent/", public.application_sent, name="application_sent"),
    path("join/confirm/<str:token>/", public.application_confirm, name="application_confirm"),
    path("consent/confirm/<str:token>/", public.consent_confirm, name="consent_confirm"),
]
