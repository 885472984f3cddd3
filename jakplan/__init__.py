"""jakplan: a monitoring planner for oral JAK-inhibitor therapy.

The library is the product; the CLI is a thin wrapper. Typical use::

    from jakplan.api import plan_for
    plan = plan_for(datetime.date(2024, 5, 1))          # baricitinib, RA, US label
    for ev in plan.events: print(ev.date, ev.title)

Lower level: :func:`jakplan.catalog.loader.load_protocol` and :func:`jakplan.engine.plan.build_plan`.
A planning aid, not medical advice: the prescriber's instructions come first.
"""

__version__ = "0.1.0"
