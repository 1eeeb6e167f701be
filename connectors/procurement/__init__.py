"""procurement connectors."""
