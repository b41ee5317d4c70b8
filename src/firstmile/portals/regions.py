"""The cascading region picker: one <select> per level, the next level loaded by htmx."""

from __future__ import annotations

from dataclasses import dataclass

from firstmile.geo.models import Division
from firstmile.geo.selectors import division_children, division_path


@dataclass
class PickerLevel:
    options: list[Division]
    selected: str
    parent_code: str  # what choosing "please select" at this level falls back to


@dataclass
class RegionPicker:
    field: str
    value: str
    levels: list[PickerLevel]
    complete: bool  # the value is a division with nothing below it


def build_picker(field: str, code: str | None) -> RegionPicker:
    division = Division.objects.filter(code=code).first() if code else None
    path = division_path(division) if division else []
    levels = []
    parent_code = ""
    for step in path:
        levels.append(PickerLevel(list(division_children(parent_code or None)), step.code, parent_code))
        parent_code = step.code
    below = list(division_children(parent_code or None))
    if below:
        levels.append(PickerLevel(below, "", parent_code))
    return RegionPicker(field=field, value=division.code if division else "", levels=levels, complete=not below)
