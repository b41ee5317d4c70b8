from django import template

from firstmile.geo.selectors import address_text, region_names

register = template.Library()


@register.filter
def address(place) -> str:
    """A warehouse's, sorting centre's, request's or registration's address: region names, then the detail."""
    if not place:
        return ""
    if isinstance(place, dict):  # a registration checked but not saved yet
        division = place.get("division")
        return address_text(getattr(division, "code", division), place.get("address_detail", ""))
    return address_text(getattr(place, "division_id", None), getattr(place, "address_detail", ""))


@register.filter
def region(division) -> str:
    """A region by its names from the province down (广东省 东莞市 长安镇), from a division or its code."""
    if not division:
        return ""
    return " ".join(region_names(division if isinstance(division, str) else division.code))


@register.filter
def sender_address(waybill) -> str:
    """The address a label was printed with (kept on the waybill), in the one address format."""
    return address_text(waybill.sender_division_id, waybill.sender_address)
