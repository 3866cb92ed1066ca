"""Routes and bodies of quality: CSAT ratings, commendations (锦旗) and complaints."""
