"""User-facing areas, one package each."""
