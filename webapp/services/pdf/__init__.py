"""PDFs drawn by WeasyPrint: certificates, plaques, posters, event reports, ticket slips.

:mod:`.render` is the one way to turn HTML into PDF bytes: it owns the static-only URL
fetcher, the per-process font configuration and the render lock. :mod:`.fonts` compacts
the embedded Noto CJK fonts; :mod:`.errors` says why a render failed.
"""
