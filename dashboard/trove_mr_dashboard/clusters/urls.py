from django.urls import re_path

from trove_mr_dashboard.clusters import views

urlpatterns = [
    re_path(r'^$', views.IndexView.as_view(), name='index'),
    re_path(r'^create/$', views.CreateView.as_view(), name='create'),
    re_path(r'^(?P<cluster_id>[^/]+)/$', views.DetailView.as_view(),
            name='detail'),
    re_path(r'^(?P<cluster_id>[^/]+)/grow/$', views.GrowView.as_view(),
            name='grow'),
]
