"""Renderers: each turns a :class:`jakplan.model.Plan` into text. They never compute dates."""
