"""Reports: service reports, rollups, scorecards and the staffing view."""
