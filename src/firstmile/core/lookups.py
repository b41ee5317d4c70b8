"""``field__in_array=[…]``: membership in a long list of values.

On PostgreSQL it is ``field = ANY(%s)`` with the list as one array parameter,
which plans and runs faster than ``IN (%s, %s, … ×10,000)``; elsewhere it is the
ordinary IN list. Bulk operations over thousands of ids use it.

``RowCompare``: the keyset condition of cursor pages as one row comparison.
"""

from django.db.models import BooleanField, Expression, Field, IntegerField
from django.db.models.lookups import In


def _integer_column(field) -> bool:
    target = field.target_field if getattr(field, "is_relation", False) else field
    return isinstance(target, IntegerField)


def _plain_ints(values) -> bool:
    return all(type(v) is int for v in values)


@Field.register_lookup
class InArray(In):
    """Plain ints for an integer column skip the field's per-value preparation (two
    conversions per value): for a rollup chunk's 20,000 ids that was a third of its
    Python time (bench/metrics.py). The list still goes as one array parameter, which
    core/prepared.py and events/services.py find by its value."""

    lookup_name = "in_array"

    def get_prep_lookup(self):
        if isinstance(self.rhs, (list, tuple, set, frozenset)) and _integer_column(self.lhs.output_field):
            values = list(self.rhs)
            if _plain_ints(values):
                return values
        return super().get_prep_lookup()

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        if _integer_column(self.lhs.output_field) and _plain_ints(self.rhs):
            values = list(self.rhs)
        else:
            values = [self.lhs.output_field.get_db_prep_value(v, connection) for v in self.rhs]
        return f"{lhs} = ANY(%s)", (*lhs_params, values)


class RowCompare(Expression):
    """``(a, b) < (x, y)`` (or ``>``): the keyset condition of a cursor page, as one SQL row comparison.

    The same rows as ``a < x OR (a = x AND b < y)``, and PostgreSQL and SQLite both
    start an index scan on ``(…, a, b)`` at the row. The fields must be columns of
    the queried model itself (no joins): they are looked up once on its _meta, not
    resolved as F() expressions, because that resolution (copies, join setup) was
    most of what page 1,000 cost over page 1 in bench/reverse_list.py's deep pages.
    """

    conditional = True
    output_field = BooleanField()

    def __init__(self, fields: tuple[str, ...], values: tuple, *, before: bool) -> None:
        super().__init__()
        self.names = tuple(fields)
        self.values = tuple(values)
        self.before = before
        self.columns: list = []

    def get_source_expressions(self):
        return []

    def resolve_expression(self, query=None, allow_joins=True, reuse=None, summarize=False, for_save=False):
        resolved = self.copy()
        opts = query.get_meta()
        resolved.columns = [opts.pk if name == "pk" else opts.get_field(name) for name in self.names]
        if any(not getattr(f, "concrete", False) or f.model is not opts.model for f in resolved.columns):
            raise ValueError(f"RowCompare takes columns of {opts.label} itself, not {self.names}")
        return resolved

    def as_sql(self, compiler, connection):
        qn = compiler.quote_name_unless_alias
        table = qn(compiler.query.base_table)
        left = [f"{table}.{qn(field.column)}" for field in self.columns]
        params = [field.get_db_prep_value(v, connection) for field, v in zip(self.columns, self.values, strict=True)]
        operator = "<" if self.before else ">"
        return f"({', '.join(left)}) {operator} ({', '.join(['%s'] * len(left))})", params


class IdArray:
    """Ids checked and written out once, for many ``in_ids`` filters over the same set.

    Not a list: Django walks a list given to a filter item by item to resolve it (a
    million calls for a rollup's million parcels), and ``in_ids`` would check and render
    it again in every statement that uses it.
    """

    __slots__ = ("literal", "values")

    def __init__(self, values):
        self.values = list(values)
        if not all(type(v) is int and -(2**63) <= v < 2**63 for v in self.values):
            raise ValueError("IdArray takes 64-bit ints")
        self.literal = "{" + ",".join(map(str, self.values)) + "}"

    def __iter__(self):
        return iter(self.values)

    def __len__(self) -> int:
        return len(self.values)


@Field.register_lookup
class InIds(InArray):
    """``field__in_ids=[…]``: ``in_array`` for long lists of ids the database itself handed out.

    On PostgreSQL the list goes as one text literal cast to an array, which psycopg
    quotes in one C call instead of dumping item by item in Python (for a rollup chunk of
    20,000 ids, ten times per chunk: a sixth of the big day's time in bench/metrics.py).
    Only for plain ints (a text column compares with their decimal text); anything else
    takes ``in_array``'s way.
    """

    lookup_name = "in_ids"

    def get_prep_lookup(self):
        if isinstance(self.rhs, IdArray):
            return self.rhs
        if isinstance(self.rhs, (list, tuple)) and _plain_ints(self.rhs):
            return list(self.rhs)
        return super().get_prep_lookup()

    def as_postgresql(self, compiler, connection):
        if isinstance(self.rhs, IdArray):
            lhs, lhs_params = self.process_lhs(compiler, connection)
            element = "bigint" if _integer_column(self.lhs.output_field) else "text"
            return f"{lhs} = ANY(%s::{element}[])", (*lhs_params, self.rhs.literal)
        values = list(self.rhs)
        if not _plain_ints(values) or not all(-(2**63) <= v < 2**63 for v in values):
            return super().as_postgresql(compiler, connection)
        lhs, lhs_params = self.process_lhs(compiler, connection)
        element = "bigint" if _integer_column(self.lhs.output_field) else "text"
        return f"{lhs} = ANY(%s::{element}[])", (*lhs_params, "{" + ",".join(map(str, values)) + "}")
