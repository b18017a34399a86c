"""gradcli: a gradient calculator that shows its work, step by step, in forward and reverse mode."""

__version__ = "0.1.0"
