"""Engine core: job model, state machine, outcomes, retry policy, stage runtime, registry.

Imports nothing else of jobdock (checked by import-linter).
"""
