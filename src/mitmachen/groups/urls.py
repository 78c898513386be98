from django.urls import path

from mitmachen.groups import public, views

app_name = "groups"

urlpatterns = [
    path("o/<slug:slug>/groups/<int:pk>/join/", public.join, name="public_join"),
    path("o/<slug:slug>/groups/<int:pk>/join/sent/", public.join_sent, name="public_join_sent"),
    path("groups/confirm/<str:token>/", public.join_confirm, name="public_join_confirm"),
    path("staff/<slug:slug>/groups/", views.staff_list, name="staff_list"),
    path("staff/<slug:slug>/groups/<int:pk>/", views.staff_detail, name="staff_detail"),
    path("staff/<slug:slug>/groups/<int:pk>/status/", views.group_status, name="status"),
    path("staff/<slug:slug>/groups/requests/<int:pk>/decide/", views.request_decide,
         name="request_decide"),
    path("staff/<slug:slug>/groups/proposals/<int:pk>/decide/", views.proposal_decide,
         name="proposal_decide"),
]
