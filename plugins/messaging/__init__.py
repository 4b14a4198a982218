"""MessagingService: the customer's side of a Genesys Cloud Web Messaging conversation.

Web Messaging is the channel of the Genesys Messenger, which Genesys tells web
chat customers to move to. So far this package holds the client side of its guest
API, ``cxbus_messaging.guest_api``: the frames, the requests, the history and
configuration calls. The plugin itself is built on it.
"""

from . import guest_api

__all__ = ["guest_api"]
