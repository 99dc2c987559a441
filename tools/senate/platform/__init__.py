"""The platform's side: governance projected into its SQL database, and artifacts measured.

`sync` writes proposals and votes (always derived from git), `compliance` validates the
artifacts in the database, `impact` measures a proposal on a scratch copy of them.
"""
