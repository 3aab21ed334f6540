from django.contrib.postgres.fields import ArrayField
from django.db import models


class Lead(models.Model):
    """crm's ``leads`` table, read as it is (Django does not manage it)."""

    id = models.UUIDField(primary_key=True)
    name = models.CharField(max_length=200)
    company = models.CharField(max_length=200, null=True)
    document = models.CharField(max_length=14, null=True)
    document_kind = models.CharField(max_length=4, null=True)
    email = models.CharField(max_length=254, null=True)
    phone = models.CharField(max_length=16, null=True)
    source = models.CharField(max_length=60, null=True)
    estimated_value = models.DecimalField(max_digits=15, decimal_places=2)
    owner_id = models.UUIDField()
    created_by = models.UUIDField()
    tags = ArrayField(models.CharField(max_length=40))
    notes = models.TextField(null=True)
    stage_id = models.UUIDField()
    status = models.CharField(max_length=4)
    close_reason = models.CharField(max_length=500, null=True)
    closed_at = models.DateTimeField(null=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    deleted_at = models.DateTimeField(null=True)

    class Meta:
        managed = False
        db_table = "leads"
