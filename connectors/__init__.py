"""Extract: read source systems (files, APIs) into canonical records. Never writes the warehouse."""
