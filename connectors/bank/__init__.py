"""bank connectors."""
