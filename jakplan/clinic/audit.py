"""The monitoring audit of a clinic: the rows and their totals come from :mod:`jakplan.engine.audit` (codes);
``render/audit.py`` words them. This module is the clinic layer's door to them (the CLI may not import the
engine)."""

from __future__ import annotations

from jakplan.engine.audit import OUTCOMES, aggregate, outcome, patient_rows, totals

__all__ = ["OUTCOMES", "aggregate", "outcome", "patient_rows", "totals"]
