"""The git adapter: the only place in Senate that imports pygit2.

Everything above this package sees commits as hex ids and raw bytes, trees as path ->
bytes mappings, and failures as SenateError.
"""

from senate.git.repo import GitRepo, Person

__all__ = ["GitRepo", "Person"]
