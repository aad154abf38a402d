"""hpi's leaf: what the compiler, the runtime and licensing share, importing nothing else of hpi.

`errors` (typed errors and exit codes), `canonical` (the one JSON form that is hashed or signed),
`files` (atomic writes), `signing` (Ed25519 keys, signatures, trust) and `bundle_format` (the `.hpi`
file: writer and reader side by side, the manifest parsed once into typed records). A test keeps the
direction: core ← licensing ← runtime_min ← recipes ← compiler.
"""
