from datetime import datetime

from django.utils import timezone
from ninja.renderers import JSONRenderer
from ninja.responses import NinjaJSONEncoder

from firstmile.core.clock import BEIJING


class BeijingJSONEncoder(NinjaJSONEncoder):
    """Instants leave the API in Beijing time with their offset (…+08:00)."""

    def default(self, o):
        if isinstance(o, datetime) and timezone.is_aware(o):
            # Always Beijing, whatever zone a request may have activated; and
            # astimezone skips localtime's lookup of the active zone, which a
            # 20-row page paid 60 times.
            return o.astimezone(BEIJING).isoformat()
        return super().default(o)


class BeijingJSONRenderer(JSONRenderer):
    encoder_class = BeijingJSONEncoder
    json_dumps_params = {"ensure_ascii": False}
