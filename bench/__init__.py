"""``make bench``: the performance targets of each capability, measured on real services."""
