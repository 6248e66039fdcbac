"""The columnar engine: event logs as sorted typed arrays (`batch`), and policies compiled
into a kernel that replays every lead over them with the reference replay's semantics."""
