"""Storage of quality: CSAT ratings, commendations and complaints."""
