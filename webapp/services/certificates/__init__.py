"""Certificate identifiers and the signed token printed in certificate QR codes."""
