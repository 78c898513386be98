"""German first: pages speak German unless the person chose English.

Django's LocaleMiddleware would follow the browser's Accept-Language, so a German party office
computer set up in English would show English pages. Here the choice is explicit: the language
switch (cookie), then the account's language, then German. The API, used by programs, still
follows Accept-Language.
"""

from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers

SUPPORTED = {code for code, _name in settings.LANGUAGES}


class LanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = self._choose(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        if request.path.startswith("/api/"):
            patch_vary_headers(response, ("Accept-Language",))
        response.headers.setdefault("Content-Language", language)
        translation.deactivate()
        return response

    @staticmethod
    def _choose(request) -> str:
        if request.path.startswith("/api/"):
            return translation.get_language_from_request(request, check_path=False)
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        if chosen in SUPPORTED:
            return chosen
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.language in SUPPORTED:
            return user.language
        return settings.LANGUAGE_CODE
