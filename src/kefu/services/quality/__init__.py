"""Quality: CSAT, commendations (锦旗) and complaints."""
