"""spam: the example project of manywheel."""

from spam._spam import add, hexlify, system_byteorder

__all__ = ["add", "hexlify", "system_byteorder"]
