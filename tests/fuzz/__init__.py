"""The standing soundness fuzzer of the compatibility engine.

`gen` makes schema pairs (mostly mutations of one another, aimed at the keywords whose
interplay is subtle), `docs` searches for documents that tell the two schemas apart,
`oracle` judges each document with the validator of the schema's own dialect (format
checker on), and `runner` counts: pairs tried, unsafe verdicts (a direction called
compatible although a counterexample exists) and conservative answers (false or
unknown where the search found no counterexample). `./run fuzz [seconds]` runs it and
writes every unsafe verdict under `regressions/`; tests/test_compat_fuzz.py replays
those and runs a fixed-seed budget in CI.
"""
