"""The runtime for plugins with state: the layer above the bus, below any plugin.

- ``threads``: the process's loop thread (jobs, timers, sockets) and the lanes on its
  pools;
- ``machine_runner`` and ``machine_service``: a chat machine fed by commands, updates
  and timers on the loop thread, its events delivered on a lane;
- ``websocket_reader``: every WebSocket of the process, read on the loop thread;
- ``http_sessions``: one ``requests.Session`` per server and retry policy;
- ``session_store``: where a chat's session is kept between processes;
- ``regular_files`` and ``frame_warnings``: a guest's file read with a limit, and
  rate-limited warnings about a server's bad frames.

It imports the bus, never a plugin.
"""
