"""Vector kernels: functions whose SIMD body is written in LLVM IR, for table lookups.

A piecewise polynomial picks its coefficients from a small table by an index
computed per lane. Written as ordinary scalar code, LLVM's loop vectoriser turns
such a lookup into a gather, 10-20 cycles for 16 lanes, which costs more than the
polynomial saves. AVX-512 does it from registers: ``vpermt2ps``/``vpermt2pd`` pick
any of 32 float32 (16 float64) entries held in two registers, one instruction per
coefficient. No scalar operation lowers to it, so a function that wants it is
written here as a vector body (`VectorBuilder`), and offered to Numba as a scalar
intrinsic that calls it:

- ``tg_<name>_v<lanes>(<lanes x T>)`` is the vector body, at the register width
  (16 float32 or 8 float64 lanes); the narrower variants pad to it and back;
- ``tg_<name>(T, ...)`` is the scalar function the intrinsic calls (one or two
  arguments: pow's variants are named ``_ZGV_LLVM_N16vv_...``). It carries LLVM's
  ``vector-function-abi-variant`` attribute, which names the variants, so the loop
  vectoriser calls a variant once per register of elements instead of the scalar
  function per element (how Clang links a vector math library). The scalar
  function itself, left for a loop's remainder, broadcasts its argument into the
  vector body and takes lane 0.

Where Numba optimises the loop once more after vectorising it (the loops of a
parallel program: `prange` bodies are compiled apart and linked into the
program), LLVM inlines the vector body, and the tables stay in registers across
iterations. The vectoriser, which saw a cheap call, would have interleaved four
copies of the loop to keep the load ports busy; four copies of a body holding 14
to 18 table halves and their temporaries need more than AVX-512's 32 registers, and
spill (a first float32 tanh with 9 tables over 1e7 elements: 2.86 ms, against
1.96 ms not interleaved). So the intrinsic passes
its result through a second, empty vector function, ``tg_no_interleave_<T>``,
which raises the loop's cost past the vectoriser's small-loop threshold (20) and
inlines away to nothing. Elsewhere the loop calls the body once per register of
elements (2.5 ms), and the tables are loaded from memory by each call; code
generation outlines such serial loops over 16,384 elements or more into functions
of their own, which Numba optimises again where it links them
(`tracegrad.codegen.outline`).

Either way the loop is SIMD throughout: no libm, no per-lane call
(`tests/vecmath/test_vectorised.py` checks the optimised IR). The definitions are
``weak_odr``: every module that uses one holds a copy, the linker keeps one, and
none is dropped as unused before the vectoriser introduces its calls.

A body may also work in float64 on the two halves of a float32 register
(`VectorBuilder.widen`, `narrow`: float32 pow), and branch, joining its paths
before it returns (pow takes a longer path only for a register with a special
case).

Used where the CPU has AVX-512 (`available`); elsewhere the callers keep their
table-free versions, selected when their module is imported (`kernel_or`).

>>> twice = vector_function("twice_f32", types.float32, lambda v, x: v.fadd(x, x))
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from llvmlite import ir
from numba import types

from tracegrad.codegen.vecmath.intrinsics import intrinsic_of_arity

_LLVM_FLOAT = {types.float32: ir.FloatType(), types.float64: ir.DoubleType()}
_INT = {types.float32: ir.IntType(32), types.float64: ir.IntType(64)}
_REGISTER_BITS = 512
_PERMUTE = {types.float32: "llvm.x86.avx512.vpermi2var.ps.512",
            types.float64: "llvm.x86.avx512.vpermi2var.pd.512"}


def available() -> bool:
    """Whether the machine code Numba generates may use AVX-512 Foundation (the
    permutes): the host CPU's features, or those Numba is told to compile for
    (``NUMBA_CPU_NAME``/``NUMBA_CPU_FEATURES``, as for a cache shared by machines)."""
    from numba.core import config

    if config.DISABLE_JIT:
        return False
    if config.CPU_NAME and config.CPU_NAME != "host":
        features = config.CPU_FEATURES or ""
    else:
        import llvmlite.binding as llvm

        features = llvm.get_host_cpu_features().flatten()
    return "+avx512f" in features.split(",")


class VectorBuilder:
    """The operations a vector body is written with, on vectors of `lanes` elements
    of one float type: arithmetic, FMA, comparisons and selects, integer
    operations on the bits, lookups from constant tables (`table`), and branches
    on a whole register (`if_all`)."""

    def __init__(self, builder: ir.IRBuilder, scalar: types.Float):
        self.b = builder
        self.scalar = scalar
        self.lanes = _REGISTER_BITS // scalar.bitwidth
        self.float = ir.VectorType(_LLVM_FLOAT[scalar], self.lanes)
        self.int = ir.VectorType(_INT[scalar], self.lanes)

    # constants
    def const(self, value: float) -> ir.Constant:
        return ir.Constant(self.float, [float(value)] * self.lanes)

    def iconst(self, value: int) -> ir.Constant:
        return ir.Constant(self.int, [int(value)] * self.lanes)

    # bits
    def bits(self, x: ir.Value) -> ir.Value:
        return self.b.bitcast(x, self.int)

    def from_bits(self, i: ir.Value) -> ir.Value:
        return self.b.bitcast(i, self.float)

    # float arithmetic
    def fadd(self, a: ir.Value, b: ir.Value) -> ir.Value:
        return self.b.fadd(a, b)

    def fsub(self, a: ir.Value, b: ir.Value) -> ir.Value:
        return self.b.fsub(a, b)

    def fmul(self, a: ir.Value, b: ir.Value) -> ir.Value:
        return self.b.fmul(a, b)

    def fdiv(self, a: ir.Value, b: ir.Value) -> ir.Value:
        return self.b.fdiv(a, b)

    def fneg(self, a: ir.Value) -> ir.Value:
        """``-a`` (the sign bit flipped: ``0 - a`` is not, for a = 0), which an FMA
        takes in (``vfmsub``, ``vfnmadd``) instead of a separate instruction."""
        return self.b.fneg(a)

    def fma(self, a: ir.Value, b: ir.Value, c: ir.Value) -> ir.Value:
        """``a*b + c`` rounded once."""
        return self._float_op("llvm.fma", a, b, c)

    def fabs(self, a: ir.Value) -> ir.Value:
        return self._float_op("llvm.fabs", a)

    def fast_two_sum(self, a: ir.Value, b: ir.Value) -> tuple[ir.Value, ir.Value]:
        """``(s, e)`` with ``s = a + b`` rounded and ``s + e = a + b`` exactly, for
        |a| >= |b| (or a = 0)."""
        s = self.fadd(a, b)
        return s, self.fadd(self.fsub(a, s), b)

    def two_sum(self, a: ir.Value, b: ir.Value) -> tuple[ir.Value, ir.Value]:
        """``(s, e)`` with ``s = a + b`` rounded and ``s + e = a + b`` exactly, for any
        a and b (Knuth's: six operations)."""
        s = self.fadd(a, b)
        bb = self.fsub(s, a)
        return s, self.fadd(self.fsub(a, self.fsub(s, bb)), self.fsub(b, bb))

    def horner(self, coefficients: Sequence[float], r: ir.Value) -> ir.Value:
        """``sum(c[k] r**k)`` by Horner's scheme (constant coefficients)."""
        p = self.const(coefficients[-1])
        for c in reversed(coefficients[:-1]):
            p = self.fma(p, r, self.const(c))
        return p

    def copysign(self, magnitude: ir.Value, sign: ir.Value) -> ir.Value:
        """`magnitude` with the sign bit of `sign` (one ``vpternlog``)."""
        return self._float_op("llvm.copysign", magnitude, sign)

    def select(self, mask: ir.Value, then: ir.Value, other: ir.Value) -> ir.Value:
        """``then if mask else other``, lane by lane."""
        return self.b.select(mask, then, other)

    # integer arithmetic on the bits
    def ilt(self, a: ir.Value, b: ir.Value) -> ir.Value:
        """``a < b`` as signed integers, lane by lane: a mask for `select`."""
        return self.b.icmp_signed("<", a, b)

    def and_(self, a: ir.Value, b: ir.Value) -> ir.Value:
        return self.b.and_(a, b)

    def or_(self, a: ir.Value, b: ir.Value) -> ir.Value:
        return self.b.or_(a, b)

    def xor(self, a: ir.Value, b: ir.Value) -> ir.Value:
        return self.b.xor(a, b)

    def isub(self, a: ir.Value, b: ir.Value) -> ir.Value:
        return self.b.sub(a, b)

    def ashr(self, a: ir.Value, b: ir.Value) -> ir.Value:
        return self.b.ashr(a, b)

    def imax(self, a: ir.Value, b: ir.Value) -> ir.Value:
        """The larger of `a` and `b` as signed integers, lane by lane."""
        return self.b.select(self.b.icmp_signed(">", a, b), a, b)

    def iadd(self, a: ir.Value, b: ir.Value) -> ir.Value:
        return self.b.add(a, b)

    def shl(self, a: ir.Value, b: ir.Value) -> ir.Value:
        return self.b.shl(a, b)

    def lshr(self, a: ir.Value, b: ir.Value) -> ir.Value:
        """``a >> b``, shifting zeros in (`ashr` copies the sign)."""
        return self.b.lshr(a, b)

    def to_float(self, i: ir.Value) -> ir.Value:
        """The signed integers `i` (the builder's integer vector) as floats."""
        return self.b.sitofp(i, self.float)

    # comparisons: masks for `select`, combined with `and_`, `or_` and `not_`
    def fcmp(self, op: str, a: ir.Value, b: ir.Value) -> ir.Value:
        """``a op b`` lane by lane, False where either is NaN (op ``==``, ``<`` ...)."""
        return self.b.fcmp_ordered(op, a, b)

    def fcmp_unordered(self, op: str, a: ir.Value, b: ir.Value) -> ir.Value:
        """``a op b`` lane by lane, True where either is NaN (``uno``: either is)."""
        return self.b.fcmp_unordered(op, a, b)

    def ult(self, a: ir.Value, b: ir.Value) -> ir.Value:
        """``a < b`` as unsigned integers, lane by lane (a range check in one)."""
        return self.b.icmp_unsigned("<", a, b)

    def all_of(self, mask: ir.Value) -> ir.Value:
        """Whether every lane of `mask` is set: one ``i1``, for a branch (``kortest``)."""
        fn = self._intrinsic(f"llvm.vector.reduce.and.v{self.lanes}i1", [mask.type],
                             ir.IntType(1))
        return self.b.call(fn, [mask])

    def if_all(self, mask: ir.Value, common: Callable[[], ir.Value],
               otherwise: Callable[[], ir.Value]) -> ir.Value:
        """``common()`` where every lane of `mask` is set, else ``otherwise()``: a real
        branch on the register (one ``kortest``), each path built in its own block,
        so that a register without a special case skips the code for it."""
        b = self.b
        paths = [b.append_basic_block(name) for name in ("common", "otherwise")]
        done = b.append_basic_block("joined")
        b.cbranch(self.all_of(mask), *paths)
        results = []
        for block, compute in zip(paths, (common, otherwise)):
            b.position_at_end(block)
            results.append((compute(), b.block))
            b.branch(done)
        b.position_at_end(done)
        out = b.phi(results[0][0].type)
        for value, block in results:
            out.add_incoming(value, block)
        return out

    def not_(self, mask: ir.Value) -> ir.Value:
        return self.b.not_(mask)

    def scale2(self, a: ir.Value, b: ir.Value) -> ir.Value:
        """``a * 2**floor(b)`` rounded once (``vscalef``): inf and 0 (subnormals on
        the way) beyond the exponent range, whatever the size of b; NaN stays NaN."""
        name = f"llvm.x86.avx512.mask.scalef.p{'s' if self.scalar == types.float32 else 'd'}.512"
        mask = ir.IntType(self.lanes)
        fn = self._intrinsic(name, [self.float] * 3 + [mask, ir.IntType(32)], self.float)
        return self.b.call(fn, [a, b, a, ir.Constant(mask, -1), ir.Constant(ir.IntType(32), 4)])

    def rint(self, x: ir.Value) -> ir.Value:
        """x rounded to an integer, ties to even (``vrndscale``)."""
        return self._float_op("llvm.rint", x)

    def floor(self, x: ir.Value) -> ir.Value:
        """x rounded down to an integer (``vrndscale``)."""
        return self._float_op("llvm.floor", x)

    def trunc_to(self, x: ir.Value, fraction_bits: int) -> ir.Value:
        """x rounded toward zero to a multiple of ``2**-fraction_bits`` (one
        ``vrndscale``)."""
        kind = "s" if self.scalar == types.float32 else "d"
        mask = ir.IntType(self.lanes)
        fn = self._intrinsic(f"llvm.x86.avx512.mask.rndscale.p{kind}.512",
                             [self.float, ir.IntType(32), self.float, mask, ir.IntType(32)],
                             self.float)
        imm = ir.Constant(ir.IntType(32), (fraction_bits << 4) | 0b1011)  # toward 0, quiet
        return self.b.call(fn, [x, imm, x, ir.Constant(mask, -1), ir.Constant(ir.IntType(32), 4)])

    # float32 <-> float64: a register of 16 float32 lanes is two of 8 float64 lanes
    def wide(self) -> VectorBuilder:
        """The builder for float64 vectors of the same register width, on the same
        IR builder (for the halves of `widen`)."""
        return VectorBuilder(self.b, types.float64)

    def widen(self, x: ir.Value) -> tuple[ir.Value, ir.Value]:
        """The low and high 8 lanes of a float32 vector x, as float64 (exact)."""
        halves = []
        for start in (0, self.lanes // 2):
            part = self.b.shuffle_vector(x, x, ir.Constant(
                ir.VectorType(ir.IntType(32), self.lanes // 2),
                list(range(start, start + self.lanes // 2))))
            halves.append(self.b.fpext(part, ir.VectorType(ir.DoubleType(), self.lanes // 2)))
        return halves[0], halves[1]

    def narrow(self, low: ir.Value, high: ir.Value) -> ir.Value:
        """The float32 vector whose halves are float64 `low` and `high` rounded (once)."""
        half = ir.VectorType(ir.FloatType(), self.lanes // 2)
        low, high = self.b.fptrunc(low, half), self.b.fptrunc(high, half)
        return self.b.shuffle_vector(low, high, ir.Constant(
            ir.VectorType(ir.IntType(32), self.lanes), list(range(self.lanes))))

    def table(self, name: str, columns: dict[str, Sequence[float]]) -> Callable:
        """A lookup ``get(column, index)`` into `columns`, tables of at most
        ``2 * lanes`` entries each: ``column[index]`` lane by lane, one
        ``vpermt2ps``/``vpermt2pd`` per lookup, which reads only the index's low
        bits (5 for float32, 4 for float64).

        The columns are one constant global, so that the function addresses them
        from one base register (Numba's large code model would otherwise load each
        constant's address with a 10-byte ``movabs``, more instructions than the
        arithmetic)."""
        width = 2 * self.lanes
        values: list[float] = []
        offsets = {}
        for column, entries in columns.items():
            if len(entries) > width:
                raise ValueError(f"{column}: {len(entries)} entries; the most is {width}")
            offsets[column] = len(values)
            values += [float(v) for v in entries] + [0.0] * (width - len(entries))
        element = _LLVM_FLOAT[self.scalar]
        symbol = f"tg_{name}_table"
        data = self.b.module.globals.get(symbol)  # bodies may share a table (pow, exp)
        if data is None:
            data = ir.GlobalVariable(self.b.module, ir.ArrayType(element, len(values)), symbol)
            data.global_constant = True
            data.linkage = "weak_odr"
            data.align = 64
            data.initializer = ir.Constant(ir.ArrayType(element, len(values)), values)
        permute = self._intrinsic(_PERMUTE[self.scalar], [self.float, self.int, self.float],
                                  self.float)
        zero = ir.Constant(ir.IntType(32), 0)

        def half(start: int) -> ir.Value:
            pointer = self.b.gep(data, [zero, ir.Constant(ir.IntType(32), start)])
            return self.b.load(self.b.bitcast(pointer, self.float.as_pointer()), align=64)

        def get(column: str, index: ir.Value) -> ir.Value:
            start = offsets[column]
            return self.b.call(permute, [half(start), index, half(start + self.lanes)])

        return get

    def _float_op(self, name: str, *args: ir.Value) -> ir.Value:
        """The LLVM intrinsic `name` (``llvm.fma``...) on float vectors `args`."""
        fn = self._intrinsic(f"{name}.{self._suffix()}", [self.float] * len(args), self.float)
        return self.b.call(fn, list(args))

    def _suffix(self) -> str:
        return f"v{self.lanes}f{self.scalar.bitwidth}"

    def _intrinsic(self, name: str, args: list[ir.Type], ret: ir.Type) -> ir.Function:
        module = self.b.module
        if name in module.globals:
            return module.globals[name]
        return ir.Function(module, ir.FunctionType(ret, args), name)


Body = Callable[..., ir.Value]  # body(v, x, ...): one vector per argument


def _define(module: ir.Module, name: str, scalar: types.Float, body: Body,
            arity: int = 1) -> ir.Function:
    """Define (once per module) the vector body of `arity` arguments, its narrower
    variants and the scalar function that names them; return the scalar function."""
    symbol = f"tg_{name}"
    if symbol in module.globals:
        return module.globals[symbol]
    element = _LLVM_FLOAT[scalar]
    full = _REGISTER_BITS // scalar.bitwidth

    def function(fn_name: str, lanes: int) -> tuple[ir.Function, ir.IRBuilder]:
        ty = element if lanes == 1 else ir.VectorType(element, lanes)
        fn = ir.Function(module, ir.FunctionType(ty, [ty] * arity), fn_name)
        fn.linkage = "weak_odr"
        fn.attributes.add("nounwind")
        return fn, ir.IRBuilder(fn.append_basic_block())

    vector, b = function(f"{symbol}_v{full}", full)
    b.ret(body(VectorBuilder(b, scalar), *vector.args))

    # Narrower variants (a loop of float32 and float64 values may settle on fewer
    # lanes) and the scalar function: widen to the full register, call, narrow.
    variants = []
    mangled = "v" * arity  # one vector parameter each
    for lanes in (full // 4, full // 2, 1):
        fn, b = function(f"{symbol}_v{lanes}" if lanes > 1 else symbol, lanes)
        wide = ir.VectorType(element, full)
        if lanes == 1:
            args = []
            for arg in fn.args:
                arg = b.insert_element(ir.Constant(wide, ir.Undefined), arg,
                                       ir.Constant(ir.IntType(32), 0))
                args.append(b.shuffle_vector(arg, ir.Constant(wide, ir.Undefined), ir.Constant(
                    ir.VectorType(ir.IntType(32), full), [0] * full)))
            out = b.extract_element(b.call(vector, args), ir.Constant(ir.IntType(32), 0))
        else:
            widen = ir.Constant(ir.VectorType(ir.IntType(32), full),
                                [i % lanes for i in range(full)])
            res = b.call(vector, [b.shuffle_vector(arg, arg, widen) for arg in fn.args])
            out = b.shuffle_vector(res, res, ir.Constant(ir.VectorType(ir.IntType(32), lanes),
                                                         list(range(lanes))))
        b.ret(out)
        if lanes > 1:
            variants.append(f"_ZGV_LLVM_N{lanes}{mangled}_{symbol}({symbol}_v{lanes})")
        else:
            scalar_fn = fn
    variants.append(f"_ZGV_LLVM_N{full}{mangled}_{symbol}({symbol}_v{full})")
    # The scalar function must stay a call until the vectoriser has seen it (an
    # inlined body would be vectorised lane by lane, with gathers); it reads no memory.
    scalar_fn.attributes.add("noinline")
    for attribute in ("memory(none)", f'"vector-function-abi-variant"="{",".join(variants)}"'):
        set.add(scalar_fn.attributes, attribute)  # llvmlite accepts only its known names
    return scalar_fn


def vector_function(name: str, scalar: types.Float, body: Body, arity: int = 1):
    """A Numba intrinsic ``f(x, ...)`` of `arity` `scalar` float arguments whose SIMD
    body is ``body(v, x, ...)``, built with the `VectorBuilder` v on vectors of
    register width; loops over it vectorise into one call of the body per register
    of elements, inlined where the loop is optimised again (see the module docstring).

    >>> twice = vector_function("twice_f32", types.float32, lambda v, x: v.fadd(x, x))
    """
    guard = f"no_interleave_f{scalar.bitwidth}"

    def typed(args):
        if any(a != scalar for a in args):
            return None

        def codegen(context, builder, signature, args):
            y = builder.call(_define(builder.module, name, scalar, body, arity), args)
            return builder.call(_define(builder.module, guard, scalar, lambda v, x: x), [y])

        return scalar(*args), codegen

    return intrinsic_of_arity(name, arity, typed)


# The names (``exp_f64``...) of the kernels `kernel_or` chose on this machine: the
# public functions of those names run a vector body (see `vecmath.has_vector_body`).
CHOSEN: set[str] = set()


def kernel_or(name: str, scalar: types.Float, body: Body, portable, arity: int = 1):
    """What a public function calls: the vector kernel `name` (`vector_function`)
    where the machine code may use AVX-512 (`available`), else `portable`, the
    function's table-free version (also under ``NUMBA_DISABLE_JIT``).

    >>> twice = kernel_or("twice_f32", types.float32, lambda v, x: v.fadd(x, x), None)
    """
    if not available():
        return portable
    CHOSEN.add(name)
    return vector_function(name, scalar, body, arity)
