"""Settings: every setting declared once, and their resolution from arguments, environment and files."""
