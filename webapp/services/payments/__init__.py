"""Payments: providers (Stripe, WeChat Pay, Alipay, demo, bank transfer), provider events,
fulfilment, refunds.

Only a verified provider confirmation reaches ``fulfilment.fulfil``: a Stripe webhook whose
signature checks out and whose session, re-fetched from Stripe, is paid with our amount; a
WeChat Pay or Alipay notification whose signature checks out, whose stated amount is ours
and whose order, re-queried at the provider, is paid with our amount; a demo event signed
with the app's key after the demo page's Pay button; or a bank transfer recorded by one
staff member and confirmed by another.
"""
