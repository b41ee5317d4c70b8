from django.shortcuts import render

from firstmile.core.errors import ApplicationError


class ApplicationErrorMiddleware:
    """A domain error escaping a portal view becomes a page saying what is wrong.

    (The API has its own handlers; this only catches what a portal view lets through,
    e.g. another merchant's warehouse id → 404.)
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, ApplicationError) or request.path.startswith("/api/"):
            return None
        return render(request, "portals/error.html", {"error": exception}, status=int(exception.kind))
