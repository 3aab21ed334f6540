from rest_framework import permissions, viewsets

from leads.models import Lead
from leads.serializers import LeadSerializer


class LeadViewSet(viewsets.ModelViewSet):
    """Live leads in creation order, 50 a page, for authenticated users."""

    queryset = Lead.objects.filter(deleted_at__isnull=True).order_by("created_at", "id")
    serializer_class = LeadSerializer
    permission_classes = [permissions.IsAuthenticated]
