"""Pure domain: canonical model, money, rounding, rating, validation, billing, tax, ledger.

Imports only the standard library and ``hourbridge.errors``; every input is an argument.
"""
