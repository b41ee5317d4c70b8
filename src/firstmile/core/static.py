"""Static files in production: hashed names and compressed copies, from `firstmile collectstatic`."""

from __future__ import annotations

from whitenoise.storage import CompressedManifestStaticFilesStorage


class CollectedStaticFilesStorage(CompressedManifestStaticFilesStorage):
    """WhiteNoise's manifest storage, that falls back to the plain name until collectstatic has run.

    Without the fallback a production machine whose operator has not run
    collectstatic yet answers every page with a 500 ("Missing staticfiles
    manifest entry"); with it, the pages work, served uncompressed from the apps'
    folders, and the start-up line warns.
    """

    manifest_strict = False

    def stored_name(self, name: str) -> str:
        try:
            return super().stored_name(name)
        except ValueError:
            return name
