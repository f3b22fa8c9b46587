"""The rangers' offline scanner: site packs (``pack``) and the visit log (``visits``)."""
