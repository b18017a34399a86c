"""gradcli's functions in sympy: sigmoid, softplus, relu, step and sign, with gradcli's conventions.

sympy has no sigmoid, and its Piecewise, Heaviside and sign carry conditions and Dirac deltas that it
cannot evaluate at a point or spends minutes simplifying. These functions keep a formula readable
(``sigmoid(z)*(1 - sigmoid(z))``, not a tower of exponentials), differentiate by the rules of the op
table (relu' = step, sign' = step' = 0, as PyTorch), and evaluate to any precision. Everything else is
sympy's own; this module is imported only where sympy is needed.
"""

from __future__ import annotations

import sympy as sp
from sympy import S

__all__ = ["sp", "sigmoid", "softplus", "relu", "step", "sign", "log1p", "expm1", "namespace"]


class sigmoid(sp.Function):
    """1/(1 + exp(-x))."""

    @classmethod
    def eval(cls, x):
        if x.is_zero:
            return S.Half
        if x is S.Infinity:
            return S.One
        if x is S.NegativeInfinity:
            return S.Zero
        return None

    def fdiff(self, argindex=1):
        return self * (1 - self)

    def _eval_rewrite_as_exp(self, x, **kwargs):
        return 1 / (1 + sp.exp(-x))

    def _eval_evalf(self, prec):
        return (1 / (1 + sp.exp(-self.args[0]))).evalf(prec_to_dps(prec))

    def _eval_is_real(self):
        return self.args[0].is_real

    def _eval_is_positive(self):
        return True if self.args[0].is_real else None


class softplus(sp.Function):
    """log(1 + exp(x))."""

    @classmethod
    def eval(cls, x):
        if x.is_zero:
            return sp.log(2)
        return None

    def fdiff(self, argindex=1):
        return sigmoid(self.args[0])

    def _eval_rewrite_as_exp(self, x, **kwargs):
        return sp.log(1 + sp.exp(x))

    _eval_rewrite_as_log = _eval_rewrite_as_exp

    def _eval_evalf(self, prec):
        return sp.log(1 + sp.exp(self.args[0])).evalf(prec_to_dps(prec))

    def _eval_is_real(self):
        return self.args[0].is_real


class _ZeroAtZero(sp.Function):
    """A function of one argument that is 0 at 0."""

    @classmethod
    def eval(cls, x):
        if x.is_zero:
            return S.Zero
        return None


class log1p(_ZeroAtZero):
    """log(1 + x), evaluated without first rounding 1 + x."""

    def fdiff(self, argindex=1):
        return 1 / (1 + self.args[0])

    def _eval_rewrite_as_log(self, x, **kwargs):
        return sp.log(1 + x)

    def _eval_evalf(self, prec):
        return _mpmath(self.args[0], "log1p", prec)


class expm1(_ZeroAtZero):
    """exp(x) - 1, evaluated without cancelling."""

    def fdiff(self, argindex=1):
        return sp.exp(self.args[0])

    def _eval_rewrite_as_exp(self, x, **kwargs):
        return sp.exp(x) - 1

    def _eval_evalf(self, prec):
        return _mpmath(self.args[0], "expm1", prec)


def _at_numbers(fn):
    """An _eval_evalf for a piecewise function: ``fn`` of its arguments once each is a number, else None."""

    def _eval_evalf(self, prec):
        xs = [v.evalf(prec_to_dps(prec)) for v in self.args]
        return fn(*xs) if all(x.is_Number for x in xs) else None

    return _eval_evalf


class step(sp.Function):
    """1 for x > 0, else 0 (relu's derivative; step(0) = 0, as PyTorch takes relu'(0))."""

    @classmethod
    def eval(cls, x):
        if x.is_extended_positive:
            return S.One
        if x.is_extended_nonpositive:
            return S.Zero
        return None

    def fdiff(self, argindex=1):
        return S.Zero

    def _eval_rewrite_as_Piecewise(self, x, **kwargs):
        return sp.Piecewise((1, x > 0), (0, True))

    _eval_evalf = _at_numbers(lambda x: S.One if x > 0 else S.Zero)


class relu(sp.Function):
    """max(x, 0), with relu' = step."""

    @classmethod
    def eval(cls, x):
        if x.is_extended_nonnegative:
            return x
        if x.is_extended_nonpositive:
            return S.Zero
        return None

    def fdiff(self, argindex=1):
        return step(self.args[0])

    def _eval_rewrite_as_Piecewise(self, x, **kwargs):
        return sp.Piecewise((x, x > 0), (0, True))

    _eval_evalf = _at_numbers(lambda x: x if x > 0 else S.Zero)


class sign(sp.Function):
    """-1, 0 or 1, with sign' = 0 (sympy's sign has a Dirac delta for its derivative)."""

    @classmethod
    def eval(cls, x):
        if x.is_extended_positive:
            return S.One
        if x.is_extended_negative:
            return S.NegativeOne
        if x.is_zero:
            return S.Zero
        return None

    def fdiff(self, argindex=1):
        return S.Zero

    def _eval_rewrite_as_Piecewise(self, x, **kwargs):
        return sp.Piecewise((1, x > 0), (-1, x < 0), (0, True))

    _eval_evalf = _at_numbers(sp.sign)


class eq(sp.Function):
    """1 where its two operands are equal, else 0; its derivative is 0 (max's and min's rule)."""

    @classmethod
    def eval(cls, x, y):
        d = x - y
        if d.is_zero:
            return S.One
        if d.is_nonzero:
            return S.Zero
        return None

    def fdiff(self, argindex=1):
        return S.Zero

    _eval_evalf = _at_numbers(lambda a, b: S.One if a == b else S.Zero)


class Abs(sp.Abs):
    """|x|, with |x|' = sign(x) as above."""

    def fdiff(self, argindex=1):
        return sign(self.args[0])


def _mpmath(arg, function: str, prec: int):
    """mpmath's function of a number, at ``prec`` bits and some more: log1p and expm1 without cancelling."""
    import mpmath

    x = arg.evalf(prec_to_dps(prec))
    if not x.is_Number:
        return None
    with mpmath.workprec(prec + 20):
        return sp.Float(getattr(mpmath, function)(mpmath.mpf(x._mpf_)), prec_to_dps(prec))


def prec_to_dps(prec: int) -> int:
    """sympy's binary precision as decimal digits, with a margin."""
    return max(15, int(prec * 0.30103) + 5)


def namespace() -> dict[str, object]:
    """The functions above by name, for turning a sympy expression back into gradcli's ops."""
    return {"sigmoid": sigmoid, "softplus": softplus, "relu": relu, "step": step, "sign": sign, "Abs": Abs,
            "log1p": log1p, "expm1": expm1, "eq": eq}


class _Namespace:
    """sympy with gradcli's functions in front: what the op table's ``sym`` forms are given."""

    def __getattr__(self, name: str):
        custom = namespace().get(name)
        return custom if custom is not None else getattr(sp, name)


functions = _Namespace()
