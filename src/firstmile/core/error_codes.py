"""Error codes shared by every app; each app adds its own in its error_codes.py."""

INVALID_INPUT = "invalid_input"
NOT_FOUND = "not_found"
UNAUTHENTICATED = "unauthenticated"
FORBIDDEN = "forbidden"
BODY_TOO_LARGE = "body_too_large"
