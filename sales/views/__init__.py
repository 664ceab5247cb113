"""The till's screens, by area: the till itself, receipts, shifts, returns."""
