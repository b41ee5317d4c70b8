from .access import portal_for


def party(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"portal": None}
    return {"portal": portal_for(user), "organisation": user.organisation}
