"""Each op of gradcli's op table in PyTorch: the reference for the cross-check tests and the benchmark."""

from __future__ import annotations

import torch

# each op of the op table in PyTorch; a missing entry fails below with the op's name
TORCH = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b, "div": lambda a, b: a / b,
    "pow": torch.pow, "neg": lambda a: -a, "copy": lambda a: a, "exp": torch.exp, "log": torch.log,
    "logb": lambda x, b: torch.log(x) / torch.log(b), "log2": torch.log2, "log10": torch.log10, "sqrt": torch.sqrt,
    "sin": torch.sin, "cos": torch.cos, "tan": torch.tan, "asin": torch.asin, "acos": torch.acos,
    "atan": torch.atan, "sinh": torch.sinh, "cosh": torch.cosh, "tanh": torch.tanh, "asinh": torch.asinh,
    "acosh": torch.acosh, "atanh": torch.atanh, "sigmoid": torch.sigmoid, "relu": torch.relu,
    "softplus": lambda x: torch.logaddexp(x, torch.zeros_like(x)), "abs": torch.abs, "sign": torch.sign,
    "log1p": torch.log1p, "expm1": torch.expm1, "step": lambda x: (x > 0).to(x.dtype) + 0 * x,
    "erf": torch.erf, "eq": lambda x, y: (x == y).to(x.dtype) + 0 * x,
    "sum": lambda *xs: torch.stack(xs).sum(), "mean": lambda *xs: torch.stack(xs).mean(),
    "max": lambda *xs: torch.stack(xs).max(), "min": lambda *xs: torch.stack(xs).min(),
    "logsumexp": lambda *xs: torch.logsumexp(torch.stack(xs), 0),
    "softmax": lambda k, *os: torch.softmax(torch.stack(os), 0)[int(k) - 1],
}
