from django.urls import path

from . import views

app_name = "meetups"

urlpatterns = [
    path("c/<slug:slug>/meetups/", views.meetup_list, name="list"),
    path("c/<slug:slug>/meetups/new/", views.meetup_new, name="create"),
    path("c/<slug:slug>/meetups/calendar/", views.feed_create, name="feed_create"),
    path("c/<slug:slug>/meetups/calendar/revoke/", views.feed_revoke, name="feed_revoke"),
    path("c/<slug:slug>/meetups/<int:meetup_id>/", views.meetup_detail, name="detail"),
    path("c/<slug:slug>/meetups/<int:meetup_id>/rsvp/", views.rsvp, name="rsvp"),
    path("c/<slug:slug>/meetups/<int:meetup_id>/checkin/", views.checkin, name="checkin"),
    path("c/<slug:slug>/meetups/<int:meetup_id>/notes/", views.notes, name="notes"),
    path("c/<slug:slug>/meetups/<int:meetup_id>/followups/", views.followup, name="followup"),
    path("c/<slug:slug>/meetups/<int:meetup_id>/meetup.ics", views.meetup_ics, name="ics"),
    path("c/<slug:slug>/trips/", views.trip_new, name="trip_create"),
    path("c/<slug:slug>/trips/<int:trip_id>/", views.trip_detail, name="trip"),
    path("c/<slug:slug>/trips/<int:trip_id>/invite/", views.trip_invite, name="trip_invite"),
    path("calendar/<str:token>.ics", views.feed, name="feed"),
]
