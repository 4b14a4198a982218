"""A local Genesys Cloud guest-chat server: real HTTP and WebSocket on loopback."""
