"""The week's worklist of a clinic: the typed rows come from :mod:`jakplan.engine.worklist` (what needs doing,
in the order it needs doing: results beyond a protocol limit, results the laboratory flagged, response criteria
not met, overdue, due this week, then one line per patient naming what nothing judged); ``render/worklist.py``
words them. This module is the clinic layer's door to them (the CLI may not import the engine)."""

from __future__ import annotations

from jakplan.engine.worklist import KINDS, WorkRow, monday, row_codes, sort_key, sort_rows, tier_counts, week_rows

__all__ = ["KINDS", "WorkRow", "monday", "row_codes", "sort_key", "sort_rows", "tier_counts", "week_rows"]
