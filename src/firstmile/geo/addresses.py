"""Free-text Chinese addresses → division codes plus the remaining detail.

For ERP and spreadsheet imports, where an address arrives as one string such as
``广东省东莞市洪梅镇洪屋涡村工业路3号``. The parser walks down the division tree
matching the longest division name (or its usual short form: 广东, 东莞, 洪梅)
at the current position, so it also reads addresses that skip the province
(``深圳市福田区…``) or repeat a level (``东莞市东莞市…``), as ERPs often do.

jionlp and cpca parse such strings too but stop at county level, while the
forward flow needs towns (东莞 has no counties), so this reads our own table.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from django.utils.translation import gettext_lazy as _

from firstmile.core.errors import ApplicationError

from . import error_codes
from .models import Division, DivisionLevel

# Longest first, so 壮族自治区 is stripped before 自治区.
_SUFFIXES = {
    DivisionLevel.PROVINCE: ("壮族自治区", "回族自治区", "维吾尔自治区", "特别行政区", "自治区", "省", "市"),
    DivisionLevel.CITY: ("自治州", "地区", "市", "盟"),
    DivisionLevel.COUNTY: ("自治县", "自治旗", "新区", "区", "县", "市", "旗"),
    DivisionLevel.TOWN: ("街道办事处", "街道", "镇", "乡"),
}
_MAX_NAME = 16
# A short form followed by one of these is really a different division's full
# name: "朝阳区" must not read as 朝阳(市) followed by "区…".
_LEVEL_CHARS = set("省市区县镇乡旗州盟")


@dataclass(frozen=True)
class _Node:
    code: str
    name: str
    level: str
    parent: str | None


@dataclass
class ParsedAddress:
    divisions: list[_Node] = field(default_factory=list)
    detail: str = ""

    @property
    def division_code(self) -> str | None:
        return self.divisions[-1].code if self.divisions else None

    @property
    def is_lowest_level(self) -> bool:
        """Whether the address reached a division with nothing below it."""
        index = _index()
        return bool(self.divisions) and not index.has_children(self.divisions[-1].code)

    def as_dict(self) -> dict:
        by_level = {n.level: {"code": n.code, "name": n.name} for n in self.divisions}
        return {
            "division_code": self.division_code,
            "province": by_level.get(DivisionLevel.PROVINCE),
            "city": by_level.get(DivisionLevel.CITY),
            "county": by_level.get(DivisionLevel.COUNTY),
            "town": by_level.get(DivisionLevel.TOWN),
            "detail": self.detail,
            "is_lowest_level": self.is_lowest_level,
        }


class _Index:
    def __init__(self, nodes: list[_Node]) -> None:
        self.nodes = {n.code: n for n in nodes}
        self.by_name: dict[str, list[_Node]] = {}
        self.by_short_form: dict[str, list[_Node]] = {}
        self._parents_with_children = {n.parent for n in nodes if n.parent}
        for n in nodes:
            self.by_name.setdefault(n.name, []).append(n)
            for form in self._short_forms(n) - {n.name}:
                self.by_short_form.setdefault(form, []).append(n)

    @staticmethod
    def _short_forms(node: _Node) -> set[str]:
        forms = set()
        for suffix in _SUFFIXES[node.level]:
            if node.name.endswith(suffix) and len(node.name) - len(suffix) >= 2:
                forms.add(node.name[: -len(suffix)])
                break
        return forms

    def has_children(self, code: str) -> bool:
        return code in self._parents_with_children

    def is_below(self, node: _Node, ancestor: _Node | None) -> bool:
        if ancestor is None:
            return True
        parent = node.parent
        while parent:
            if parent == ancestor.code:
                return True
            parent = self.nodes[parent].parent
        return False

    def matches_at(self, text: str, pos: int, under: _Node | None) -> list[tuple[int, _Node]]:
        """(length, division) for each division below ``under`` named at text[pos:], longest first.

        A town or street is read only below a city or county written before it:
        China has 41,000 of them, hundreds share a name (城关镇, 工业路街道 reads
        "工业路"), and an address that starts with one is a street address whose
        city was left out, not a place to guess.
        """
        found: dict[str, tuple[int, _Node]] = {}
        for length in range(min(_MAX_NAME, len(text) - pos), 1, -1):
            key = text[pos : pos + length]
            candidates = list(self.by_name.get(key, ()))
            if text[pos + length : pos + length + 1] not in _LEVEL_CHARS:
                candidates += self.by_short_form.get(key, ())
            for node in candidates:
                if under is None and node.level == DivisionLevel.TOWN:
                    continue
                if node.code not in found and self.is_below(node, under):
                    found[node.code] = (length, node)
        return list(found.values())


@lru_cache(maxsize=1)
def _index() -> _Index:
    rows = Division.objects.values_list("code", "name", "level", "parent_id")
    return _Index([_Node(*row) for row in rows])


def clear_cache() -> None:
    _index.cache_clear()


def _normalise(text: str) -> str:
    # NFKC folds full-width digits and punctuation that spreadsheets are full of.
    return "".join(unicodedata.normalize("NFKC", text or "").split())


def _walk(index: _Index, text: str, pos: int, under: _Node | None) -> tuple[list[_Node], int]:
    """The deepest chain of divisions readable from pos, and where it ends."""
    # A level repeated verbatim (东莞市东莞市…) is skipped, as people mean it once.
    if under is not None:
        for form in sorted({under.name, *index._short_forms(under)}, key=len, reverse=True):
            if text.startswith(form, pos) and not index.matches_at(text, pos, under):
                pos += len(form)
                break
    best: tuple[list[_Node], int] = ([], pos)
    for length, node in index.matches_at(text, pos, under):
        chain, end = _walk(index, text, pos + length, node)
        candidate = ([node, *chain], end)
        if len(candidate[0]) > len(best[0]):
            best = candidate
    return best


def parse_address(text: str) -> ParsedAddress:
    """Split a free-text address into its divisions and the remaining detail."""
    normalised = _normalise(text)
    if not normalised:
        raise ApplicationError(error_codes.ADDRESS_UNPARSEABLE, _("The address is empty."), field="address")
    index = _index()
    chain, end = _walk(index, normalised, 0, None)
    if not chain:
        raise ApplicationError(
            error_codes.ADDRESS_UNPARSEABLE,
            _("No province, city or district of China was recognised at the start of the address."),
            field="address",
        )
    _reject_ambiguous_start(index, normalised, chain)
    path = division_path_nodes(index, chain[-1])
    return ParsedAddress(divisions=path, detail=normalised[end:])


def _reject_ambiguous_start(index: _Index, text: str, chain: list[_Node]) -> None:
    # 朝阳区 is in Beijing and in Changchun: when nothing above it was written
    # and nothing below it tells them apart, guessing would misroute a parcel.
    rivals = []
    for length, node in index.matches_at(text, 0, None):
        if node.code == chain[0].code:
            continue
        other, _end = _walk(index, text, length, node)
        if len(other) + 1 == len(chain):
            rivals.append(node)
    if rivals:
        names = "、".join("".join(n.name for n in division_path_nodes(index, r)) for r in [chain[0], *rivals])
        raise ApplicationError(
            error_codes.ADDRESS_AMBIGUOUS,
            _("The address could be in more than one place (%(places)s): add the province or city.")
            % {"places": names},
            field="address",
        )


def division_path_nodes(index: _Index, node: _Node) -> list[_Node]:
    path = [node]
    while path[0].parent:
        path.insert(0, index.nodes[path[0].parent])
    return path
