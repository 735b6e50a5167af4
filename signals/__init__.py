"""The domain and its storage: factions, pairs, the indicator taxonomy, events and outcomes.

`signals` is the bottom layer: it imports neither `models` nor `service`.
"""
