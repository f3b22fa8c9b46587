"""Memorial forests (碳汇林纪念基地): plots, reservations, sponsorship, rangers, plaques.

Modules: ``queries`` (reads), ``catalogue`` (species and plots), ``states`` (the one
transition function), ``reservations`` (reserve / release / expire_due / sponsor — what
order fulfilment calls), ``rangers`` (assignments and updates), ``photos`` (safe
re-encoding), ``notify`` (sponsor e-mail), ``geometry`` (the site map), ``plaques``
(printable PDFs) and ``demo`` (demonstration plots).
"""
