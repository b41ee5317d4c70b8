from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from firstmile.core.errors import NotFound

from . import error_codes
from .addresses import ParsedAddress, parse_address
from .models import Division


def ancestor_codes(code: str) -> list[str]:
    """Codes that may sit above a division, nearest first (some may not exist).

    GB/T 2260 codes nest by prefix: town 441900125 → 441900 → 440000. Levels
    that a region lacks are simply absent from the table.
    """
    candidates = []
    if len(code) > 6:
        candidates.append(code[:6])
    base = code[:6]
    for candidate in (base[:4] + "00", base[:2] + "0000"):
        if candidate != code and candidate not in candidates:
            candidates.append(candidate)
    return candidates


def division_get(code: str, *, field: str = "division") -> Division:
    division = Division.objects.filter(code=(code or "").strip()).first()
    if division is None:
        raise NotFound(
            error_codes.DIVISION_UNKNOWN,
            _("Unknown administrative division code: %(code)s.") % {"code": code},
            field=field,
        )
    return division


def division_children(parent_code: str | None = None) -> QuerySet[Division]:
    """The divisions one level below ``parent_code``, or the provinces."""
    if parent_code:
        division_get(parent_code, field="parent")
        return Division.objects.filter(parent_id=parent_code).order_by("code")
    return Division.objects.filter(parent__isnull=True).order_by("code")


# Divisions are reference data loaded by a migration and never edited (see the
# model), so each process keeps the rows it has read: a region's name costs no
# query after the first time. A process started before a new divisions release is
# loaded knows the new codes anyway (they are read on first use); renamed
# divisions show their new names after the restart the upgrade does.
_KNOWN: dict[str, Division] = {}


def _divisions(codes) -> dict[str, Division]:
    missing = [c for c in codes if c not in _KNOWN]
    if missing:
        for d in Division.objects.filter(code__in=missing).only("code", "name", "level", "parent_id"):
            _KNOWN[d.code] = Division(code=d.code, name=d.name, level=d.level, parent_id=d.parent_id)
    return {c: _KNOWN[c] for c in codes if c in _KNOWN}


def division_kept(code: str) -> Division:
    """The division with ``code`` as this process keeps it (read once; divisions are never edited)."""
    return _divisions([code])[code]


def division_path(division: Division) -> list[Division]:
    """From the province down to the division itself."""
    above = _divisions(ancestor_codes(division.code))
    path = [division]
    while path[0].parent_id:
        path.insert(0, above[path[0].parent_id])
    return path


_FULL_NAMES: dict[str, str] = {}


def division_full_name(division: Division | str) -> str:
    """The division's name with its ancestors' (广东省东莞市洪梅镇), from the division or its code.

    Kept per process like the rows above: a page of warehouses names each row's
    region, and most rows share a few regions.
    """
    code = division if isinstance(division, str) else division.code
    name = _FULL_NAMES.get(code)
    if name is None:
        if isinstance(division, str):
            division = _divisions([code])[code]
        name = _FULL_NAMES[code] = "".join(d.name for d in division_path(division))
    return name


def region_names(division: Division | str) -> list[str]:
    """The names from the province down to the division; a municipality's city level (北京市 under 北京市) once."""
    code = division if isinstance(division, str) else division.code
    known = _divisions([code])
    if code not in known:
        return [code]
    names: list[str] = []
    for d in division_path(known[code]):
        if not names or names[-1] != d.name:
            names.append(d.name)
    return names


def address_text(division: Division | str | None, detail: str = "") -> str:
    """One address as every page shows it: province, city, county and town names, then the detail
    line without the region names a merchant typed into it again (长安镇 长安镇振安路5号 → 长安镇 振安路5号)."""
    names = region_names(division) if division else []
    rest = (detail or "").strip()
    for name in names:
        if rest.startswith(name):
            rest = rest[len(name) :].lstrip(" ,，")
    return " ".join([*names, rest] if rest else names)


def division_has_children(division: Division) -> bool:
    return Division.objects.filter(parent_id=division.code).exists()


def address_parse(text: str) -> ParsedAddress:
    return parse_address(text)
