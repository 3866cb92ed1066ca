"""Routes and bodies of routing: queues and their live figures, offers."""
