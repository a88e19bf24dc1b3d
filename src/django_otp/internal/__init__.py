"""Helpers that no site imports: database idioms, key-list parsing, setting value rules.

Everything here sits below the settings registry and the models, so any layer may use it.
Names that the public API once exposed here are re-exported from their old modules.
"""
