"""billing connectors."""
