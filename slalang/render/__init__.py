"""The last stage: values → text for people and machines (one module per kind of output)."""
