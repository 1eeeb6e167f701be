"""Bank statement connectors: camt.053/.054, MT940 and BAI2 read into ``bank_transaction`` rows."""
