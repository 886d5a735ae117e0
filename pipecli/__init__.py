"""pipe: a sales pipeline kept in plain YAML files, driven from the shell.

The package is usable as a library: ``pipecli.store.Store`` opens a pipeline
folder, ``pipecli.actions`` changes deals, ``pipecli.report`` computes numbers.
"""

__version__ = "0.1.0"
