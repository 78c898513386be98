from django.urls import path

from mitmachen.reports import public_views, views  # noqa: F401

app_name = "reports"

urlpatterns = [
    # The reporter: no account, no session, nothing in the URL that identifies anybody.
    path("report/<slug:slug>/", public_views.report_form, name="form"),
    path("report/<slug:slug>/follow-up/", public_views.follow_up, name="follow_up"),
    path("report/<slug:slug>/follow-up/reply/", public_views.follow_up_reply,
         name="follow_up_reply"),
    path("report/<slug:slug>/follow-up/file/<int:pk>/", public_views.follow_up_file,
         name="follow_up_file"),
    # Officers.
    path("staff/<slug:slug>/reports/", views.inbox, name="inbox"),
    path("staff/<slug:slug>/reports/setup/", views.setup, name="setup"),
    path("staff/<slug:slug>/reports/unlock/", views.unlock, name="unlock"),
    path("staff/<slug:slug>/reports/lock/", views.lock, name="lock"),
    path("staff/<slug:slug>/reports/passphrase/", views.passphrase, name="passphrase"),
    path("staff/<slug:slug>/reports/access/", views.access_page, name="access"),
    path("staff/<slug:slug>/reports/settings/", views.channel_settings, name="settings"),
    path("staff/<slug:slug>/reports/statistics/", views.statistics, name="statistics"),
    path("staff/<slug:slug>/reports/log/", views.log, name="log"),
    path("staff/<slug:slug>/reports/<int:number>/", views.detail, name="detail"),
    path("staff/<slug:slug>/reports/<int:number>/reply/", views.reply, name="reply"),
    path("staff/<slug:slug>/reports/<int:number>/entry/", views.entry, name="entry"),
    path("staff/<slug:slug>/reports/<int:number>/update/", views.update, name="update"),
    path("staff/<slug:slug>/reports/<int:number>/files/<int:pk>/", views.attachment,
         name="attachment"),
]
