from django.urls import re_path

from trove_mr_dashboard.instances import views

INSTANCE = r'^(?P<instance_id>[^/]+)/'

urlpatterns = [
    re_path(r'^$', views.IndexView.as_view(), name='index'),
    re_path(r'^create/$', views.CreateView.as_view(), name='create'),
    re_path(INSTANCE + r'$', views.DetailView.as_view(), name='detail'),
    re_path(INSTANCE + r'replica/$', views.CreateReplicaView.as_view(),
            name='replica'),
    re_path(INSTANCE + r'backup/$', views.CreateBackupView.as_view(),
            name='backup'),
    re_path(INSTANCE + r'resize_flavor/$', views.ResizeFlavorView.as_view(),
            name='resize_flavor'),
    re_path(INSTANCE + r'resize_volume/$', views.ResizeVolumeView.as_view(),
            name='resize_volume'),
    re_path(INSTANCE + r'enable_root/$', views.EnableRootView.as_view(),
            name='enable_root'),
]
