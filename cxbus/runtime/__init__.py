"""The runtime for plugins with state: the layer above the bus, below any plugin.

- ``threads``: the process's loop thread and the lanes on its two pools;
- ``machine_runner`` and ``machine_service``: a chat machine fed by commands, updates
  and timers on the loop thread, its events delivered on a lane;
- ``websocket_reader``: one thread that reads every WebSocket of the process;
- ``http_sessions``: one ``requests.Session`` per server and retry policy;
- ``session_store``: where a chat's session is kept between processes;
- ``regular_files`` and ``frame_warnings``: a guest's file read with a limit, and
  rate-limited warnings about a server's bad frames.

It imports the bus, never a plugin.
"""
