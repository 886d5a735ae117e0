"""``python -m pipecli``: the `pipe` command (how git runs it when `pipe` is not on the PATH)."""

from .launch import main

main()
