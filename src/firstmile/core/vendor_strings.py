"""Words the admin shows from libraries without a Simplified Chinese catalogue (django-axes,
django-tasks-db) and from Django admin's own newer strings: marked here so makemessages puts
them into Firstmile's catalogue, which Django consults for every msgid whatever app it came from.

Nothing imports this module; it only has to be found by makemessages.
"""

from django.utils.translation import gettext_lazy as _

VENDOR_STRINGS = (
    # django-axes: login lockouts
    _("access attempt"),
    _("access attempts"),
    _("access failure"),
    _("access failures"),
    _("access log"),
    _("access logs"),
    _("User Agent"),
    _("IP Address"),
    _("Username"),
    _("HTTP Accept"),
    _("Path"),
    _("Attempt Time"),
    _("Logout Time"),
    _("GET Data"),
    _("POST Data"),
    _("Failed Logins"),
    _("Access lock out"),
    _("Session key hash (sha256)"),
    # django-tasks-db: background task results
    _("Task Result"),
    _("Task Results"),
    # Django admin's index table headings (visually hidden, read by screen readers)
    _("Model name"),
    _("Add link"),
    _("Change or view list link"),
    _("Firstmile admin"),
)
