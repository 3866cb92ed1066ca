"""Routes and bodies of care: callbacks (keep-your-place included) and the knowledge base."""
