def export_part(contact) -> dict:
    return {
        "groups": [
            {"group": m.group.name, "role": m.role, "joined_at": m.joined_at.isoformat()}
            for m in contact.group_memberships.select_related("group")
        ],
        "join_requests": [
            {"group": r.group.name, "status": r.status, "message": r.message,
             "answer": r.answer, "created_at": r.created_at.isoformat()}
            for r in contact.join_requests.select_related("group")
        ],
        "group_proposals": [
            {"name": p.name, "description": p.description, "status": p.status}
            for p in contact.group_proposals.all()
        ],
    }


def erase_part(contact) -> None:
    contact.group_memberships.all().delete()
    contact.join_requests.update(message="", answer="")
    contact.group_proposals.update(description="")
