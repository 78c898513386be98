from django_tasks import task


@task()
def bulk_contacts(job_id: int) -> None:
    from mitmachen.people.bulk import bulk_run

    bulk_run(job_id=job_id)


@task()
def import_contacts(job_id: int) -> None:
    from mitmachen.people.import_views import run_import

    run_import(job_id=job_id)
