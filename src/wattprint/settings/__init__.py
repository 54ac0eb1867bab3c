"""Settings: each declared once, resolved from arguments, environment and files."""
