from django.contrib import admin
from django.urls import include, path

from home import views
from inbox.urls import chat_patterns

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/", include("api.urls")),
    path("inbox/", include("inbox.urls")),
    path("chat/", include(chat_patterns)),
]

# A database outage anywhere in a request is a 503 with Retry-After, not a 500.
handler500 = "studio.unavailable.server_error"
