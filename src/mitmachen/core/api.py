from ninja import Router, Schema

from mitmachen.api.auth import bearer
from mitmachen.core import permissions

router = Router(tags=["account"])


class RoleOut(Schema):
    organisation_id: int
    organisation: str
    role: str
    include_descendants: bool


class MeOut(Schema):
    email: str
    name: str
    token_organisation_id: int
    roles: list[RoleOut]


@router.get("/me", response=MeOut, auth=bearer, summary="The account behind the token")
def me(request):
    token = request.auth
    return {
        "email": request.user.email,
        "name": request.user.name,
        "token_organisation_id": token.organisation_id,
        "roles": [
            {"organisation_id": a.organisation_id, "organisation": a.organisation.name,
             "role": a.role, "include_descendants": a.include_descendants}
            for a in permissions.assignments(request.user)
        ],
    }
