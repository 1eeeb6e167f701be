"""reference connectors."""
