"""Imports from the core banking system (R-701 … R-703): `crm-server import KIND FILE`.

`engine` runs any kind of file as one batch (staging, control totals, checks, merge);
`files` reads the file; each kind (`customers`) declares its columns, checks and merge;
`search_keys` derives what customers' names give the search, in bulk.
"""
from server.imports.engine import KINDS, Outcome, Progress, run_import

__all__ = ["KINDS", "Outcome", "Progress", "run_import"]
