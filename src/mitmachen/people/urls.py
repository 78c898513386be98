from django.urls import path

from mitmachen.people import views

app_name = "people"

urlpatterns = [
    path("staff/<slug:slug>/contacts/", views.contact_list, name="contact_list"),
    path("staff/<slug:slug>/contacts/new/", views.contact_edit, name="contact_create"),
    path("staff/<slug:slug>/contacts/bulk/", views.contact_bulk, name="contact_bulk"),
    path("staff/<slug:slug>/contacts/<int:pk>/", views.contact_detail, name="contact_detail"),
    path("staff/<slug:slug>/contacts/<int:pk>/edit/", views.contact_edit, name="contact_edit"),
    path("staff/<slug:slug>/contacts/<int:pk>/status/", views.contact_status,
         name="contact_status"),
    path("staff/<slug:slug>/contacts/<int:pk>/consent/", views.contact_consent,
         name="contact_consent"),
    path("staff/<slug:slug>/contacts/<int:pk>/export/", views.contact_export,
         name="contact_export"),
    path("staff/<slug:slug>/contacts/<int:pk>/erase/", views.contact_erase,
         name="contact_erase"),
    path("staff/<slug:slug>/jobs/<int:pk>/", views.job_progress, name="job"),
]
