from ninja.security import HttpBearer

from mitmachen.core.services import token_authenticate


class BearerToken(HttpBearer):
    """`Authorization: Bearer mm_…`. The token's organisation bounds what the request may reach."""

    def authenticate(self, request, token):
        api_token = token_authenticate(plaintext=token)
        if api_token is None:
            return None
        request.user = api_token.user
        request.token_scope = api_token.organisation
        return api_token


bearer = BearerToken()
