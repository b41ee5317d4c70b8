from firstmile.accounts.actor import Actor

from .access import portal_for
from .menus import portal_menu


def party(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"portal": None}
    portal = portal_for(user)
    match = getattr(request, "resolver_match", None)
    current = match.url_name if match and match.namespace == "portals" else None
    return {
        "portal": portal,
        "organisation": user.organisation,
        # Built only when a template shows it (drivers' and the public pages do not).
        "menu": lambda: portal_menu(portal, Actor.for_user(user), current) if user.organisation_id else [],
    }
