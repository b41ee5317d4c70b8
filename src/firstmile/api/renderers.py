from datetime import datetime

from django.utils import timezone
from ninja.renderers import JSONRenderer
from ninja.responses import NinjaJSONEncoder


class BeijingJSONEncoder(NinjaJSONEncoder):
    """Instants leave the API in Beijing time with their offset (…+08:00)."""

    def default(self, o):
        if isinstance(o, datetime) and timezone.is_aware(o):
            return timezone.localtime(o).isoformat()
        return super().default(o)


class BeijingJSONRenderer(JSONRenderer):
    encoder_class = BeijingJSONEncoder
    json_dumps_params = {"ensure_ascii": False}
