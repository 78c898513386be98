"""Every page of assemblies. Each area keeps its routes next to its views.

Staff pages live under staff/<slug>/assemblies/<pk>/...; a participant's phone uses the personal
link a/<token>/...; the hall projector assembly/<pk>/projector/<token>/."""

from mitmachen.assemblies import (
    attendance_views,
    election_views,
    invitation_views,
    live_views,
    minutes_views,
    motion_views,
    speaker_views,
    views,
)

app_name = "assemblies"

urlpatterns = [
    *views.urlpatterns,
    *invitation_views.urlpatterns,
    *attendance_views.urlpatterns,
    *speaker_views.urlpatterns,
    *live_views.urlpatterns,
    *motion_views.urlpatterns,
    *election_views.urlpatterns,
    *minutes_views.urlpatterns,
]
