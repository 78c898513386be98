from django.urls import path

from mitmachen.organisations import views

app_name = "organisations"

urlpatterns = [
    path("o/<slug:slug>/", views.detail, name="detail"),
    path("cooperations/<slug:slug>/", views.cooperation, name="cooperation"),
    path("municipalities/<slug:slug>/", views.municipality, name="municipality"),
    path("staff/<slug:slug>/profile/", views.profile_edit, name="profile_edit"),
    path("staff/<slug:slug>/places/", views.places, name="places"),
    path("staff/<slug:slug>/places/new/", views.place_edit, name="place_create"),
    path("staff/<slug:slug>/places/<int:pk>/", views.place_edit, name="place_edit"),
    path("staff/<slug:slug>/places/<int:pk>/delete/", views.place_delete, name="place_delete"),
]
