"""Step one of the pipeline: policy text → syntax tree → AST (`parse`)."""

from slalang.syntax.parser import parse, parse_file

__all__ = ["parse", "parse_file"]
