"""Business rules. Services take explicit arguments, flush but never commit."""
