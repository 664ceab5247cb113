"""Large exports, made in the background while the page shows their progress."""

import logging
import threading

from celery import shared_task
from django.conf import settings
from django.db import close_old_connections, transaction
from django.http import QueryDict
from django.utils import timezone

from accounts.models import ShopSettings

from .models import ExportJob, ExportStatus

logger = logging.getLogger(__name__)


def start_export(job):
    """Make `job`'s file after commit: on a Celery worker when a broker is set,
    else in a thread of this process (or at once, with EXPORTS_IN_THREAD off)."""
    if settings.CELERY_BROKER_URL:
        transaction.on_commit(lambda: make_export.delay(str(job.pk)))
    elif settings.EXPORTS_IN_THREAD:

        def work():
            try:
                run_export(job.pk)
            finally:
                close_old_connections()

        transaction.on_commit(
            lambda: threading.Thread(target=work, daemon=True).start()
        )
    else:
        transaction.on_commit(lambda: run_export(job.pk))


@shared_task
def make_export(job_id):
    run_export(job_id)


def run_export(job_id):
    from . import exports, views  # views holds the report rendering helpers

    job = ExportJob.objects.get(pk=job_id)
    ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.RUNNING)
    try:
        report, filterset = views.report_and_filters(job.report, QueryDict(job.query))
        params = filterset.params()
        rows = report.rows(filterset.qs, params)
        total = views.count_rows(rows)
        ExportJob.objects.filter(pk=job.pk).update(rows_total=total)
        totals = report.totals(filterset.qs, params)
        shop = ShopSettings.load()

        def progress(done):
            ExportJob.objects.filter(pk=job.pk).update(rows_done=done)

        if job.format == "xlsx":
            output = exports.write_excel(
                report, views.iterate(rows), totals, params, shop=shop,
                progress=progress,
            )  # fmt: skip
            content = output.read()
        else:
            content = exports.write_pdf(
                report, views.iterate(rows), totals, params, shop=shop,
                chart_svg=views.pdf_chart(report, rows, params),
            )  # fmt: skip
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportStatus.DONE,
            rows_done=total,
            content=content,
            finished_at=timezone.now(),
        )
    except Exception:
        logger.exception("Export %s failed", job.pk)
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportStatus.FAILED,
            error="The export failed; try again, or narrow the filters.",
            finished_at=timezone.now(),
        )
