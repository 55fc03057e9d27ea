"""Small tables of 8-10 panelists (issue 15): their seating, their cards and the theme team's themes."""
