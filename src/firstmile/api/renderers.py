import json
from datetime import datetime

import orjson
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


_default = BeijingJSONEncoder().default

# Dates and times go through the encoder above (Beijing, Django's formats); str
# keys as the standard library makes them of ints.
_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS


class BeijingJSONRenderer(JSONRenderer):
    """Responses encoded by orjson, or by the standard library where orjson refuses.

    The standard library's encoder was a tenth of a 20-row page's Python
    (bench/api_instructions.py); orjson writes the same JSON, without the blanks
    after separators, several times faster. It refuses integers beyond 64 bits,
    which the standard library writes (a hostile input echoed back in a 422's
    detail, say); such a response takes the slow path and stays the same.
    """

    encoder_class = BeijingJSONEncoder
    json_dumps_params = {"ensure_ascii": False}

    def render(self, request, data, *, response_status: int) -> bytes | str:
        try:
            return orjson.dumps(data, default=_default, option=_OPTIONS)
        except orjson.JSONEncodeError:
            return json.dumps(data, cls=self.encoder_class, **self.json_dumps_params)
