"""erp connectors."""
