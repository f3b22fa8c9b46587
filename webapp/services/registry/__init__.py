"""Public carbon-sink registry: canonical entry encoding and RFC 6962 Merkle trees."""
