DIVISION_UNKNOWN = "division_unknown"
ADDRESS_UNPARSEABLE = "address_unparseable"
ADDRESS_AMBIGUOUS = "address_ambiguous"
