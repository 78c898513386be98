"""Staff pages for importing contacts: upload → dry run report → import (a task when large)."""

import secrets
import time
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mitmachen.core.models import Job
from mitmachen.core.roles import Perm
from mitmachen.core.tenancy import staff_organisation
from mitmachen.people.forms import ImportForm
from mitmachen.people.imports import MAX_BYTES, Importer

IMMEDIATE_BYTES = 200 * 1024


KEEP_SECONDS = 24 * 60 * 60


def _upload_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    # Uploads that were checked but never imported hold personal data: a day is enough.
    cutoff = time.time() - KEEP_SECONDS
    for old in path.iterdir():
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    return path


@login_required
def import_upload(request, slug):
    organisation = staff_organisation(request, slug, Perm.CONTACT_CHANGE)
    form = ImportForm(request.POST or None, request.FILES or None)
    report = key = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            form.add_error("file", _("The file is larger than 50 MB."))
        else:
            data = upload.read()
            try:
                report = Importer(organisation).run(data, commit=False)
            except ValidationError as exc:
                form.add_error("file", " ".join(exc.messages))
            else:
                # Kept privately (never served) until the import runs or is abandoned.
                key = secrets.token_hex(16)
                (_upload_dir() / f"{organisation.pk}-{key}").write_bytes(data)
    return render(request, "people/import.html", {
        "organisation": organisation, "form": form, "report": report, "key": key,
        "problems": report.problems[:200] if report else []})


@login_required
@require_POST
def import_run(request, slug):
    organisation = staff_organisation(request, slug, Perm.CONTACT_CHANGE)
    key = request.POST.get("key", "")
    path = _upload_dir() / f"{organisation.pk}-{key}"
    if not key.isalnum() or len(key) != 32 or not path.exists():
        messages.error(request, _("The uploaded file is no longer available. Please upload it "
                                  "again."))
        return redirect("people:import", slug=slug)
    # Claim the file by renaming it: a second click finds it gone instead of importing twice.
    claimed = path.with_name(f"{path.name}.{secrets.token_hex(4)}.claimed")
    try:
        path.rename(claimed)
    except FileNotFoundError:
        messages.error(request, _("This file is being imported already."))
        return redirect("people:contact_list", slug=slug)
    job = Job.objects.create(organisation=organisation, created_by=request.user,
                             kind="import", params={"path": str(claimed)})
    if claimed.stat().st_size <= IMMEDIATE_BYTES:
        run_import(job_id=job.pk)
    else:
        from mitmachen.people.tasks import import_contacts

        transaction.on_commit(lambda: import_contacts.enqueue(job.pk))
    return redirect("people:job", slug=slug, pk=job.pk)


def run_import(*, job_id: int) -> None:
    """Run an import job once; the file is removed afterwards. Safe to run twice."""
    job = Job.objects.select_related("organisation", "created_by").get(pk=job_id)
    path = Path(job.params["path"])
    if job.status == Job.Status.DONE or not path.exists():
        return
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING)
    data = path.read_bytes()
    importer = Importer(job.organisation)
    try:
        preview = importer.run(data, commit=False)
        Job.objects.filter(pk=job.pk).update(total=preview.valid)
        report = Importer(job.organisation).run(data, commit=True, actor=job.created_by,
                                                progress=job.progress_write)
    except Exception as exc:
        Job.objects.filter(pk=job.pk).update(status=Job.Status.FAILED, message=str(exc)[:500])
        raise
    finally:
        path.unlink(missing_ok=True)
        job.progress_clear()
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.DONE, done=report.valid, total=report.valid,
        message=_("%(created)d contacts imported, %(skipped)d rows skipped.")
        % {"created": report.valid, "skipped": len(report.problems)})
