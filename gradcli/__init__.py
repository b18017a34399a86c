"""gradcli: a gradient calculator that shows its work, step by step, in forward and reverse mode.

The command line's commands are functions here too (gradcli/api.py), each returning its result:

    >>> import gradcli
    >>> gradcli.reverse("exp(x1)*(x1**2+x2**2)**3", at="0,2").gradient
    {'x1': 64.0, 'x2': 192.0}
"""

__version__ = "0.1.0"

from .api import (check, descend, forward, grade, gradcheck, graph, hessian, jacobian, plot, read_data,  # noqa: E402
                  reverse)  # noqa: E402
from .errors import GradcliError, GradcliSyntaxError, MathError, UsageError  # noqa: E402

__all__ = ["forward", "reverse", "graph", "jacobian", "hessian", "check", "gradcheck", "descend", "grade", "plot",
           "read_data",
           "GradcliError", "GradcliSyntaxError", "MathError", "UsageError", "__version__"]
