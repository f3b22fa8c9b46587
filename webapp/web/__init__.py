"""What the web layer's blueprints share, so that no blueprint imports another:
the checkout fields (offset, sponsorship, events), the presentation of footprint
results (calculator, events), refund outcome messages (events, admin) and the
flash-style commit helper (:func:`webapp.web.boundary.attempt`)."""
