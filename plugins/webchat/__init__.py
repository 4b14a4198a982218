"""WebChatService: the customer's side of a Genesys Cloud web chat, as a cxbus plugin."""
