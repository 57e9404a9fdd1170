from django.urls import path

from . import views

app_name = "conversation"

urlpatterns = [
    # The circle's home is its conversation (circles' own page about the circle is c/<slug>/about/).
    path("c/<slug:slug>/", views.home, name="home"),
    path("c/<slug:slug>/post/", views.post, name="post"),
    path("c/<slug:slug>/read/", views.read, name="read"),
    path("c/<slug:slug>/search/", views.search, name="search"),
    path("c/<slug:slug>/mentions/", views.mentions, name="mentions"),
    path("c/<slug:slug>/m/<int:message_id>/", views.message, name="message"),
    path("c/<slug:slug>/m/<int:message_id>/edit/", views.edit, name="edit"),
    path("c/<slug:slug>/m/<int:message_id>/delete/", views.delete, name="delete"),
    path("c/<slug:slug>/m/<int:message_id>/hide/", views.hide, name="hide"),
    path("c/<slug:slug>/m/<int:message_id>/caught/", views.caught, name="caught"),
    path("c/<slug:slug>/m/<int:message_id>/close/", views.close, name="close"),
    path("c/<slug:slug>/m/<int:envelope_card_id>/grab/", views.grab, name="grab"),
    path("c/<slug:slug>/m/<int:meetup_card_id>/rsvp/", views.rsvp, name="rsvp"),
    # The organizer's and admins' settings of the conversation (slow mode), and what the page posts.
    path("c/<slug:slug>/conversation/settings/", views.settings_page, name="settings"),
    path("c/<slug:slug>/conversation/slow-mode/", views.slow_mode, name="slow_mode"),
]
