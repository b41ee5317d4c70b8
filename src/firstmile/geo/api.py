from ninja import Field, Router, Schema

from .selectors import address_parse, division_children, division_get, division_path

router = Router()


class DivisionOut(Schema):
    code: str
    name: str
    level: str
    parent_code: str | None = Field(None, alias="parent_id")


class DivisionDetailOut(DivisionOut):
    path: list[DivisionOut]


class DivisionRef(Schema):
    code: str
    name: str


class AddressIn(Schema):
    address: str = Field(..., max_length=500, description="e.g. 广东省东莞市洪梅镇洪屋涡村工业路3号")


class ParsedAddressOut(Schema):
    division_code: str | None
    province: DivisionRef | None
    city: DivisionRef | None
    county: DivisionRef | None
    town: DivisionRef | None
    detail: str
    is_lowest_level: bool


@router.get("/divisions", response=list[DivisionOut], summary="Divisions one level below `parent` (or provinces)")
def list_divisions(request, parent: str | None = None):
    return list(division_children(parent))


@router.get("/divisions/{code}", response=DivisionDetailOut, summary="One division with its path from the province")
def get_division(request, code: str):
    division = division_get(code)
    return {
        "code": division.code,
        "name": division.name,
        "level": division.level,
        "parent_id": division.parent_id,
        "path": division_path(division),
    }


@router.post("/parse-address", response=ParsedAddressOut, summary="Split a free-text address into division codes")
def parse_address(request, payload: AddressIn):
    return address_parse(payload.address).as_dict()
