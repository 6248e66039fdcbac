"""slalang: marketing-sales service level agreements as code.

The pipeline is the layout: text → syntax tree (`syntax`) → AST (`ast`) → checked
(`check`) → plan (`plan`) → replay per lead (`evaluate`) → aggregate → report.
"""

__version__ = "0.1.0"
