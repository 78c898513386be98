from django.urls import path

from mitmachen.messaging import views

app_name = "messaging"

urlpatterns = [
    path("staff/<slug:slug>/mailings/", views.mailing_list, name="mailing_list"),
    path("staff/<slug:slug>/mailings/new/", views.mailing_create, name="mailing_create"),
    path("staff/<slug:slug>/mailings/<int:pk>/", views.mailing_detail, name="mailing_detail"),
    path("staff/<slug:slug>/mailings/<int:pk>/test/", views.mailing_test, name="mailing_test"),
    path("staff/<slug:slug>/mailings/<int:pk>/send/", views.mailing_send, name="mailing_send"),
    path("staff/<slug:slug>/mailings/<int:pk>/letters.pdf", views.mailing_letters,
         name="mailing_letters"),
    path("staff/<slug:slug>/mailings/<int:pk>/done/", views.mailing_manual_done,
         name="mailing_manual_done"),
    path("staff/<slug:slug>/messages/<int:pk>/retry/", views.message_retry,
         name="message_retry"),
    path("staff/<slug:slug>/lists/", views.distribution_lists, name="lists"),
    path("u/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
