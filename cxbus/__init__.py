"""cxbus: a Python port of Genesys Widgets' CXBus."""
