"""Voluntary tree planting (全民义务植树): planting days at memorial sites.

``days.py``           staff schedule, change the capacity, cancel (植树日)
``registrations.py``  residents and organisations register; capacity under a row lock;
                      the waiting list moves up on cancellation
``passes.py``         the signed pass (Ed25519, verifiable offline by the scanner)
``checkins.py``       check-ins uploaded by the rangers' scanner, trees per plot, exactly once
``queries.py``        read-only look-ups for pages and the API
``mails.py``          confirmation, promotion, cancellation and reminder e-mails
``registration.py``   what the domain registers at app creation (after-commit handlers)
"""
