"""SQL migrations generated from merged proposals: render, chain, apply, verify."""
