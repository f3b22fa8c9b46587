"""Test support code: a local Stripe stand-in (localstripe + a Checkout Sessions fake)."""
