from django_tasks import task


@task()
def assembly_remind(assembly_id: int) -> int:
    """Send the assembly's reminder when its time has come. Safe to run twice, or early: each
    member is reminded once, and an assembly that moved or began is left alone."""
    from mitmachen.assemblies.invitations import reminder_if_due

    return reminder_if_due(assembly_id)
