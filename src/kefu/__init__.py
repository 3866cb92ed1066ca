"""kefu (客服): customer service for a consumer platform with a billion users."""
