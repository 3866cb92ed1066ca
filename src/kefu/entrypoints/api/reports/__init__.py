"""Routes and bodies of reports: service figures, scorecards, staffing, charts and the wallboard."""
