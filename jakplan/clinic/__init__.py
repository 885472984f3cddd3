"""A clinic's patients at once: the register of plan files, lab results in, the week's worklist, the audit,
and calendars for everyone (controllers over the one patient→plan path of :mod:`jakplan.api`)."""
