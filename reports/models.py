import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse


class ExportStatus(models.TextChoices):
    QUEUED = "queued", "Waiting"
    RUNNING = "running", "Being made"
    DONE = "done", "Ready"
    FAILED = "failed", "Failed"


class ExportJob(models.Model):
    """A large export made in the background, and the file it made.

    The only rows the reports app writes: the shop's records are only read.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    report = models.CharField(max_length=60)  # the report's slug
    query = models.TextField(blank=True)  # the report's filters, as in its URL
    format = models.CharField(max_length=4)  # xlsx or pdf
    status = models.CharField(
        max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    filename = models.CharField(max_length=200, blank=True)
    content = models.BinaryField(null=True, blank=True, editable=False)
    error = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        permissions = [("view_reports", "Can see reports and export them")]

    def __str__(self):
        return self.filename or f"Export of {self.report}"

    def get_absolute_url(self):
        return reverse("reports:export_job", args=[self.pk])

    @property
    def percent(self):
        if self.status == ExportStatus.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(99, 100 * self.rows_done // self.rows_total)

    @property
    def finished(self):
        return self.status in (ExportStatus.DONE, ExportStatus.FAILED)
