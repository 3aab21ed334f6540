from django.urls import include, path
from leads.views import LeadViewSet
from rest_framework import routers

router = routers.DefaultRouter()
router.register(r"leads", LeadViewSet)

urlpatterns = [path("", include(router.urls))]
