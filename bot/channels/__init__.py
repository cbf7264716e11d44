"""Customer channels (REST, Telegram, web widget): they only translate to and from the router."""
