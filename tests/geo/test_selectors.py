import pytest

from firstmile.core.errors import ApplicationError, NotFound
from firstmile.geo.models import Division, DivisionLevel
from firstmile.geo.selectors import (
    address_parse,
    ancestor_codes,
    division_children,
    division_full_name,
    division_get,
    division_path,
)

pytestmark = pytest.mark.django_db


def test_data_migration_loads_every_province_with_its_towns():
    assert Division.objects.filter(level=DivisionLevel.PROVINCE).count() == 31
    assert Division.objects.filter(level=DivisionLevel.CITY, parent_id="440000").count() == 21
    towns = Division.objects.filter(level=DivisionLevel.TOWN)
    assert towns.count() > 40_000
    # Every province has its towns and streets, each under a division of its own province.
    by_province = {code[:2] for code in towns.values_list("code", flat=True)}
    provinces = {
        code[:2] for code in Division.objects.filter(level=DivisionLevel.PROVINCE).values_list("code", flat=True)
    }
    assert by_province == provinces
    assert not towns.filter(parent__isnull=True).exists()
    for town in towns.select_related("parent").order_by("?")[:500]:
        assert town.parent.code[:2] == town.code[:2]
    # 义乌's streets and 晋江's towns, where many merchants ship from.
    assert division_children("330782").filter(name="稠城街道").exists()
    assert division_children("350582").filter(level=DivisionLevel.TOWN).count() > 10


def test_dongguan_towns_hang_off_the_city_with_no_county_between():
    hongmei = division_get("441900125")
    assert hongmei.name == "洪梅镇"
    assert hongmei.level == DivisionLevel.TOWN
    assert [d.code for d in division_path(hongmei)] == ["440000", "441900", "441900125"]
    assert not Division.objects.filter(parent_id="441900", level=DivisionLevel.COUNTY).exists()
    assert division_children("441900").filter(name="洪梅镇").exists()


def test_zhongshan_also_has_no_county_level():
    assert [d.name for d in division_path(division_get("442000001"))] == ["广东省", "中山市", "石岐街道"]


def test_municipality_districts_hang_off_the_province():
    assert [d.code for d in division_path(division_get("110105"))] == ["110000", "110105"]


def test_full_name_of_a_shenzhen_street():
    assert division_full_name(division_get("440304004")) == "广东省深圳市福田区福田街道"


def test_full_name_from_the_code_alone_is_the_same():
    assert division_full_name("440304004") == "广东省深圳市福田区福田街道"
    assert division_full_name("110105") == division_full_name(division_get("110105"))


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("441900125", ["441900", "440000"]),
        ("440304004", ["440304", "440300", "440000"]),
        ("440304", ["440300", "440000"]),
        ("440300", ["440000"]),
        ("440000", []),
    ],
)
def test_ancestor_codes_follow_the_code_prefixes(code, expected):
    assert ancestor_codes(code) == expected


def test_unknown_division_code_is_a_not_found_naming_the_field():
    with pytest.raises(NotFound) as err:
        division_get("999999")
    assert err.value.code == "division_unknown"
    assert err.value.field == "division"


def test_children_of_nothing_are_the_provinces():
    assert division_children(None).count() == 31


@pytest.mark.parametrize(
    ("address", "codes", "detail"),
    [
        ("广东省东莞市洪梅镇洪屋涡村工业路3号", ["440000", "441900", "441900125"], "洪屋涡村工业路3号"),
        ("东莞市长安镇锦厦社区振安路5号", ["440000", "441900", "441900119"], "锦厦社区振安路5号"),
        ("广东东莞洪梅镇工业路3号", ["440000", "441900", "441900125"], "工业路3号"),
        ("广东省东莞市东莞市虎门镇连升路", ["440000", "441900", "441900121"], "连升路"),
        ("深圳市宝安区福永街道凤凰第一工业区A栋", ["440000", "440300", "440306", "440306020"], "凤凰第一工业区A栋"),
        ("广东省深圳市福田区福田街道福华三路 88 号", ["440000", "440300", "440304", "440304004"], "福华三路88号"),
        ("广州市天河区体育西路191号", ["440000", "440100", "440106"], "体育西路191号"),
        ("广州市白云区太和镇穗丰村", ["440000", "440100", "440111", "440111107"], "穗丰村"),
        ("佛山市南海区桂城街道海八路１２号", ["440000", "440600", "440605", "440605011"], "海八路12号"),
        ("北京市朝阳区建国路1号", ["110000", "110105"], "建国路1号"),
        # Towns and streets outside Guangdong, where merchants ship from too.
        ("浙江省金华市义乌市稠城街道工人北路1号", ["330000", "330700", "330782", "330782001"], "工人北路1号"),
        ("浙江义乌稠城街道工人北路1号", ["330000", "330700", "330782", "330782001"], "工人北路1号"),
        ("福建省泉州市晋江市陈埭镇江头村188号", ["350000", "350500", "350582", "350582103"], "江头村188号"),
        ("苏州市吴中区甪直镇晓市路21号", ["320000", "320500", "320506", "320506100"], "晓市路21号"),
        ("四川省成都市武侯区火车南站街道科华北路65号", ["510000", "510100", "510107", "510107007"], "科华北路65号"),
        ("山东省青岛市即墨区通济街道鹤山路", ["370000", "370200", "370215", "370215003"], "鹤山路"),
        ("安徽合肥瑶海区明光路街道长江东大街", ["340000", "340100", "340102", "340102001"], "长江东大街"),
        ("北京市东城区东华门街道南池子大街", ["110000", "110101", "110101001"], "南池子大街"),
    ],
)
def test_parse_real_addresses(address, codes, detail):
    parsed = address_parse(address)
    assert [d.code for d in parsed.divisions] == codes
    assert parsed.division_code == codes[-1]
    assert parsed.detail == detail


def test_parse_tells_whether_the_lowest_level_was_reached():
    assert address_parse("广东省东莞市洪梅镇工业路3号").is_lowest_level is True
    assert address_parse("广州市天河区体育西路191号").is_lowest_level is False


def test_parse_as_dict_names_each_level():
    parsed = address_parse("广东省东莞市洪梅镇洪屋涡村工业路3号").as_dict()
    assert parsed["province"] == {"code": "440000", "name": "广东省"}
    assert parsed["city"] == {"code": "441900", "name": "东莞市"}
    assert parsed["county"] is None
    assert parsed["town"] == {"code": "441900125", "name": "洪梅镇"}


def test_ambiguous_district_without_city_is_refused_not_guessed():
    with pytest.raises(ApplicationError) as err:
        address_parse("朝阳区建国路1号")
    assert err.value.code == "address_ambiguous"
    assert err.value.field == "address"
    assert "北京市朝阳区" in str(err.value.message)
    assert "吉林省长春市朝阳区" in str(err.value.message)


@pytest.mark.parametrize(
    "address",
    # A town without its city is read nowhere: 火车南站街道 is in 成都, 株洲 and 乌鲁木齐.
    ["", "   ", "hello world", "工业路3号", "火车南站街道科华北路65号", "青口镇"],
)
def test_unparseable_addresses_name_the_field(address):
    with pytest.raises(ApplicationError) as err:
        address_parse(address)
    assert err.value.code == "address_unparseable"
    assert err.value.field == "address"
