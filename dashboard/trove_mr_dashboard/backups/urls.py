from django.urls import re_path

from trove_mr_dashboard.backups import views

urlpatterns = [
    re_path(r'^$', views.IndexView.as_view(), name='index'),
    re_path(r'^(?P<backup_id>[^/]+)/restore/$', views.RestoreView.as_view(),
            name='restore'),
]
