"""Editor support: `slalang server`, a language server built on the checker and formatter.

`analysis` indexes a checked policy's names; `completion` decides what fits at the cursor;
`lsp` speaks the Language Server Protocol (pygls) over stdio.
"""
