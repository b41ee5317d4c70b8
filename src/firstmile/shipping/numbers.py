"""Waybill numbers: carrier prefix + 10-digit serial + Luhn check digit.

The serial comes from one database-wide counter, so numbers are unique across
carriers and never handed out twice, however many workers issue at once: on
PostgreSQL a SEQUENCE (nextval does not wait for other transactions), elsewhere
a counter row bumped with UPDATE … RETURNING inside the issuing transaction.
"""

from __future__ import annotations

from django.db import connection

SEQUENCE = "shipping_waybill_serial"
SERIAL_DIGITS = 10


def luhn_digit(digits: str) -> str:
    """The check digit that makes ``digits + check`` pass the Luhn test."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)


def is_valid(waybill_no: str, prefix: str) -> bool:
    body = waybill_no[len(prefix) :]
    return (
        waybill_no.startswith(prefix)
        and len(body) == SERIAL_DIGITS + 1
        and body.isdigit()
        and luhn_digit(body[:-1]) == body[-1]
    )


def format_number(prefix: str, serial: int) -> str:
    digits = f"{serial:0{SERIAL_DIGITS}d}"
    return f"{prefix}{digits}{luhn_digit(digits)}"


def allocate_serials(count: int) -> list[int]:
    """``count`` fresh serials, never returned before."""
    if count <= 0:
        return []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"SELECT nextval('{SEQUENCE}') FROM generate_series(1, %s)", [count])
            return [row[0] for row in cursor.fetchall()]
        bump = "UPDATE shipping_waybillcounter SET value = value + %s WHERE id = 1 RETURNING value"
        cursor.execute(bump, [count])
        row = cursor.fetchone()
        if row is None:  # the counter row is made by a migration; a flushed test database lacks it
            cursor.execute("INSERT INTO shipping_waybillcounter (id, value) VALUES (1, 0) ON CONFLICT DO NOTHING")
            cursor.execute(bump, [count])
            row = cursor.fetchone()
        last = row[0]
        return list(range(last - count + 1, last + 1))


def allocate_numbers(prefix: str, count: int) -> list[str]:
    return [format_number(prefix, serial) for serial in allocate_serials(count)]
