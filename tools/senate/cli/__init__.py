"""The `senate` command line: thin commands over the core, one place for errors."""
