"""tanh, sinh, cosh and the logistic sigmoid, float64 and float32.

All are built on the exp machinery of `exp.py`, kept as double-doubles until one
final rounding, so that none of them adds the errors of an exp, a division and a
sum:

- ``tanh(x) = (e - 1)/(e + 1)`` with ``e = exp(2|x|)``: numerator and denominator
  as double-doubles from one reduction (e - 1 without cancellation), one division
  with a correction step, no branch; ``+-1`` from |x| = 19.5.
  float32: a degree-5 polynomial per piece of |x| (30 pieces, cut by its exponent
  and top mantissa bits) with coefficients picked from registers by AVX-512
  permutes (`vector_kernels.py`); without AVX-512, float32 arithmetic: a
  polynomial below 0.55, ``1 - 2/(1 + e)`` above.
- ``sinh`` and ``cosh``: with ``|x| = n*ln2 + r``, ``2**(n-1) (exp(r) +- 2**-2n
  exp(-r))``, where exp(r) and exp(-r) share exp's polynomial split into its even
  and odd parts (no division, no second exp), scaled like exp so that they overflow
  only when the result does (|x| > 710.47). For n = 0, sinh is exp's odd part.
  float32: the same in float32 arithmetic, the leading parts summed exactly.
- ``logistic(x) = 1 / (1 + exp(-x))`` for x >= 0 and ``exp(x) / (1 + exp(x))``
  below: ``exp(-|x|)`` never overflows, and the quotient is corrected once. Below
  -709.78 (float32: -88.72) the result is 0, as SciPy's ``expit`` gives.

>>> tanh_f64(0.5)  # doctest: +SKIP
0.46211715726000974
"""

from __future__ import annotations

import numpy as np
from numba import types

from tracegrad.codegen.vecmath import vector_kernels
from tracegrad.codegen.vecmath.dd import fast_two_sum
from tracegrad.codegen.vecmath.exp import (
    EXP_F32_SINGLE,
    EXP_F64,
    EXP_F64_TABLE,
    EXP_F64_TABLE_POLY,
    LN2_HI,
    LN2_LO,
    LN2_LO_F32,
    LOG2E,
    ONE_F32,
    SHIFT_F32,
    X_MIN,
    _clamp,
    estrin_vector,
    exp_by_table,
    exp_pair_f32,
    exp_parts,
    exp_tail_f32,
    exp_tail_f64,
    pow2,
    pow2_f32,
    reduce_by_table,
    reduce_ln2,
    reduce_ln2_f32,
    reduce_ln2_hi_f32,
    scale2,
)
from tracegrad.codegen.vecmath.intrinsics import (
    as_float64,
    as_int64,
    copysign,
    estrin,
    fabs,
    fma,
    horner,
    rint,
)
from tracegrad.codegen.vecmath.jit import vecfn
from tracegrad.codegen.vecmath.vector_kernels import VectorBuilder

# exp's q(r) = qe(r^2) + r*qo(r^2) (fit "exp_f64", split): exp(+-r) share qe and qo
EXP_QE_F64 = EXP_F64[0::2]
EXP_QO_F64 = EXP_F64[1::2]
# the same of exp(r) = 1 + r + r^2 q(r) in float32 arithmetic (EXP_F32_SINGLE)
EXP_QE_SINGLE = EXP_F32_SINGLE[0::2]
EXP_QO_SINGLE = EXP_F32_SINGLE[1::2]

TANH_ONE = 19.5  # tanh rounds to 1 from 19.06 on
SHIFT_F64 = 6755399441055744.0  # 1.5 * 2**52: t + SHIFT rounds t to an integer in the low bits
SHIFT_BITS_F64 = 0x4338000000000000  # its bits
TANH_LARGE = 18.0  # from here on (2**-50 > 2/e), 1 - 2/e is tanh to 2**-100
SINH_MAX = 710.5  # sinh and cosh overflow from 710.48 on
EXP_OVERFLOW = 709.782712893384  # the largest x with a finite exp(x)
EXP_OVERFLOW_F32 = 88.72283172607422  # the same for float32
TANH_ONE_F32 = np.float32(9.1)  # float32 tanh rounds to 1 from 9.01 on
TWO_F32 = np.float32(2.0)
HALF_F32 = np.float32(0.5)
SINH_TINY_F32 = np.float32(2.0**-12)
SINH_MAX_F32 = np.float32(89.5)  # float32 sinh and cosh overflow from 89.42 on
SHIFT_MIN_F32 = SHIFT_F32 - np.float32(126.0)  # n = -126 in `reduce_ln2_hi_f32`'s z
TANH_SMALL_F32 = np.float32(0.55)  # tanh_f32: the polynomial below, from exp above
# tanh(x) = x + x^3 P(x^2) on |x| <= 0.55, float32 (fit of (tanh(x) - x)/x^3 in x^2,
# relative to tanh, 5 coefficients): error 1.0e-9
TANH_F32 = (
    np.float32(-0.33333316445350647),
    np.float32(0.13332585990428925),
    np.float32(-0.05385230854153633),
    np.float32(0.021071679890155792),
    np.float32(-0.0062742396257817745),
)

# float32 tanh by table (`tanh_f32_table` in remez.py: the pieces and the form): the
# piece's middle, the first piece's marker s, one column per coefficient, one entry
# per piece of |x|; 0.69 ulp measured
TANH_F32_TABLE = {
    "mid": (0.0, 0.0703125, 0.0859375, 0.1015625, 0.1171875, 0.140625, 0.171875,
            0.203125, 0.234375, 0.28125, 0.34375, 0.40625, 0.46875, 0.5625, 0.6875,
            0.8125, 0.9375, 1.125, 1.375, 1.625, 1.875, 2.25, 2.75, 3.25, 3.75, 4.5,
            5.5, 6.5, 7.5, 9.0),
    "s": (1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
          0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0),
    "c0_hi": (
        0.0, 0.07019685953855515, 0.08572656661272049, 0.10121472924947739,
        0.11665398627519608, 0.13970530033111572, 0.1702023148536682, 0.2003767192363739,
        0.2301757037639618, 0.2740615904331207, 0.33082112669944763, 0.3852839767932892,
        0.4371887743473053, 0.5098299980163574, 0.5963735580444336, 0.6709671020507812,
        0.7340714931488037, 0.8093010783195496, 0.8798267245292664, 0.9253462553024292,
        0.9540452361106873, 0.9780260920524597, 0.9918597340583801, 0.9969976544380188,
        0.998894453048706, 0.9997531771659851, 0.9999666213989258, 0.9999954700469971,
        0.9999994039535522, 0.9999999403953552,
    ),
    "c0_lo": (
        0.0, -2.2853323677907156e-09, -2.6771029837391325e-10, 1.8210030150456191e-09,
        2.395552423095637e-09, 2.497176687654701e-09, -6.447231193362768e-09,
        -7.159924320099265e-10, 7.268140311822435e-09, -1.474437905102377e-09,
        -9.207905549146744e-09, -1.0525741167555225e-08, 1.0792767568545969e-08,
        -2.435024981650713e-08, -2.5866184749645527e-09, -2.7830466819978028e-08,
        2.6487173343525683e-08, -5.912665024254693e-09, -2.3569469931317144e-08,
        -2.950060995488002e-08, 2.4145720090018585e-08, 1.720311004760333e-08,
        -1.365113799778328e-08, -2.0807586764703956e-08, -1.1051285220275986e-08,
        2.2732193016850033e-08, -2.573568025354689e-08, 9.102138598393594e-09,
        -1.5785383666866437e-08, 2.9049113337009658e-08,
    ),
    "c1": (
        0.0, 0.9950724244117737, 0.9926509261131287, 0.9897555708885193, 0.9863918423652649,
        0.9804823994636536, 0.9710311889648438, 0.9598491787910461, 0.9470191597938538,
        0.9248902201652527, 0.8905574083328247, 0.8515562415122986, 0.8088659644126892,
        0.7400733828544617, 0.6443386077880859, 0.5498031973838806, 0.4611389935016632,
        0.3450317680835724, 0.22590497136116028, 0.14373436570167542, 0.08979763835668564,
        0.043464913964271545, 0.016214292496442795, 0.005995717830955982,
        0.0022098934277892113, 0.0004935360047966242, 6.680712976958603e-05,
        9.041623343364336e-06, 1.2236554312039516e-06, 6.108358263645641e-08,
    ),
    "c2": (
        0.0, -0.06985095888376236, -0.0850965604186058, -0.10017784684896469,
        -0.1150665432214737, -0.13697859644889832, -0.16527174413204193,
        -0.19233141839504242, -0.21798080205917358, -0.2534768581390381,
        -0.29461514949798584, -0.32809093594551086, -0.35362708568573, -0.3773112893104553,
        -0.3842664062976837, -0.3688998818397522, -0.33850914239883423,
        -0.27923712134361267, -0.19875873625278473, -0.13300462067127228,
        -0.08567110449075699, -0.042508240789175034, -0.016081100329756737,
        -0.005977179389446974, -0.002207239391282201, -0.0004926095716655254,
        -6.669516733381897e-05, -9.026717634696979e-06, -1.221642719428928e-06,
        -5.922023760263073e-08,
    ),
    "c3": (
        -0.33333298563957214, -0.32678747177124023, -0.32358860969543457,
        -0.31977903842926025, -0.31537431478500366, -0.3076908588409424,
        -0.2955474257469177, -0.28141099214553833, -0.26549917459487915,
        -0.2388285994529724, -0.19938765466213226, -0.15744400024414062,
        -0.1150202676653862, -0.05432744324207306, 0.014386247843503952,
        0.06425167620182037, 0.09477680921554565, 0.1109762117266655, 0.0995720699429512,
        0.07516428083181381, 0.051801830530166626, 0.027087830007076263,
        0.010546110570430756, 0.003960902336984873, 0.001468255533836782,
        0.00032829781412146986, 4.446738603292033e-05, 6.018686235620407e-06,
        8.14553061445622e-07, 3.959088701321889e-08,
    ),
    "c4": (
        0.0, 0.04622073471546173, 0.05610279366374016, 0.06575562804937363,
        0.07514139264822006, 0.08862791955471039, 0.10537286847829819, 0.12047573924064636,
        0.13374699652194977, 0.14984092116355896, 0.1640615165233612, 0.16992728412151337,
        0.16807867586612701, 0.15324954688549042, 0.11944109946489334, 0.07989820092916489,
        0.04336297884583473, 0.003700617467984557, -0.02109515480697155,
        -0.025121238082647324, -0.02084892988204956, -0.012390311807394028,
        -0.005151128862053156, -0.0019794993568211794, -0.0007398731540888548,
        -0.00017255106649827212, -2.3398491975967772e-05, -3.1674890124122612e-06,
        -4.2868856553468504e-07, -2.4721122926507633e-08,
    ),
    "c5": (
        0.13304032385349274, 0.1278022825717926, 0.125117227435112, 0.12193707376718521,
        0.1182839646935463, 0.11198998987674713, 0.10217910259962082, 0.09101247787475586,
        0.0787784606218338, 0.059172529727220535, 0.03205070644617081, 0.006004339084029198,
        -0.017101367935538292, -0.043341271579265594, -0.06151804327964783,
        -0.06266437470912933, -0.053074467927217484, -0.032110460102558136,
        -0.009554759599268436, 0.0013785636983811855, 0.004595872480422258,
        0.003976147156208754, 0.0019167452119290829, 0.0007715114043094218,
        0.00029306442593224347, 6.870463403174654e-05, 9.334617061540484e-06,
        1.263971512344142e-06, 1.7107218752698827e-07, 9.799537181720552e-09,
    ),
}
TANH_F32_FIRST_BITS = 0x3D600000  # bits(1/16) - 2**21: index 1 from 1/16 on
TANH_F32_LAST_X = 9.5  # |x| beyond: 9.5, in the last piece, where tanh rounds to 1


@vecfn
def div_dd(n_hi, n_lo, d_hi, d_lo):
    """``(n_hi + n_lo) / (d_hi + d_lo)`` rounded once more than the exact quotient.

    One reciprocal, and one correction from the remainder ``n - q*d`` (exact in its
    leading part by FMA): about half an ulp plus the inputs' own errors.
    """
    inv = ONE_F32 / d_hi  # a float32 one: float64 in, float64 out; float32 stays float32
    q = n_hi * inv
    rem = fma(-q, d_hi, n_hi) + (n_lo - q * d_lo)
    return fma(rem, inv, q)


@vecfn
def _expm1_pm1(x):
    """``(n_hi, n_lo, d_hi, d_lo)``: ``exp(x) - 1`` and ``exp(x) + 1`` as pairs, each
    to about 2**-60 relative, for ``0 <= x <= 40``.

    With ``x = n*ln2 + r`` and ``expm1(r) = p_hi + p_lo`` (r's rounding error r_lo
    included), ``exp(x) -+ 1 = (2**n -+ 1) + 2**n p``: ``2**n -+ 1`` is exact (n <= 52;
    beyond, the lost 1 is below 2**-52 of the result), and ``|2**n p| <= |2**n -+ 1|``.
    For n = 0, e - 1 is p itself: no cancellation, however small x.
    """
    zn = fma(x, LOG2E, SHIFT_F64)  # n in the low bits: x/ln2 rounded once
    n = zn - SHIFT_F64
    r_hi = fma(-n, LN2_HI, x)  # exact
    r = fma(-n, LN2_LO, r_hi)
    r_lo = fma(-n, LN2_LO, r_hi - r)  # what rounding r lost
    # expm1(r) = r + r^2 (1/2 + r q(r)), EXP_F64's q; r_lo moves it by r_lo exp(r)
    t = fma(r * r, fma(r, exp_tail_f64(r), 0.5), fma(r_lo, r, r_lo))
    p_hi, p_lo = fast_two_sum(r, t)
    s = as_float64((as_int64(zn) - (SHIFT_BITS_F64 - 1023)) << 52)  # 2**n
    sp = s * p_hi
    n_hi, n_lo = fast_two_sum(s - 1.0, sp)
    d_hi, d_lo = fast_two_sum(s + 1.0, sp)
    return n_hi, fma(s, p_lo, n_lo), d_hi, fma(s, p_lo, d_lo)


@vecfn
def _tanh_f64_portable(x):
    """``tanh(x)`` for float64 without tables (CPUs without AVX-512), within 1 ulp;
    +-0, +-inf and NaN as NumPy.

    ``tanh(x) = (e - 1)/(e + 1)``, ``e = exp(2|x|)``, with numerator and denominator
    as pairs from one reduction (`_expm1_pm1`: e - 1 has no cancellation, so this
    holds down to the smallest x) and the quotient corrected once from its remainder
    (as `div_dd`): one division and no branches. From |x| = 18 on, ``e -+ 1`` are no
    longer exact pairs, but there ``1 - 2/e`` serves. From 19.06 on, +-1.

    >>> _tanh_f64_portable(-30.0)  # doctest: +SKIP
    -1.0
    """
    a = fabs(x)
    # NaN passes the clamp and every step after it, and comes out NaN
    n_hi, n_lo, d_hi, d_lo = _expm1_pm1(2.0 * (TANH_ONE if a > TANH_ONE else a))
    inv = 1.0 / d_hi
    q = n_hi * inv
    rem = fma(-q, d_hi, n_hi) + fma(-q, d_lo, n_lo)  # the first term is exact
    y = fma(rem, inv, q) if a < TANH_LARGE else fma(inv, -2.0, 1.0)
    return copysign(y, x)


# float64 tanh by table (AVX-512): from |x| = 1/8 on, ``1 - 2/D`` with ``D = exp(2|x|)
# + 1`` as a pair from exp's table kernel (`exp.exp_by_table`, about 2**-57
# relative; its own table, whose shorter hi makes ``2**m hi + 1`` exact), the quotient
# corrected once from its remainder and ``1 - 2/D`` summed
# exactly before the one rounding; below, ``x + x^3 q(x^2)``. Both for every lane
# (a branch per register would be taken at random), no second division.
TANH_SMALL_F64 = 0.125
# 2**(j/16) = hi (1 + tail) with hi rounded to 52 bits, so that u + 1 is exact for u =
# 2**m hi, m <= 51 (printed by ``remez tanh_f64_table``)
TANH_F64_TABLE = {
    "hi": (1.0, 1.044273782427414, 1.0905077326652575, 1.1387886347566916,
           1.1892071150027212, 1.241857812073484, 1.2968395546510099, 1.3542555469368929,
           1.414213562373095, 1.4768261459394991, 1.542210825407941, 1.6104903319492543,
           1.6817928305074292, 1.7562521603732995, 1.8340080864093427, 1.9152065613971474),
    "tail": (0.0, -1.307374657556735e-16, 1.7567668562852185e-16, 7.826573258636076e-17,
             -1.5323188897163457e-16, 3.750854201303127e-17, -1.5164721142629426e-16,
             -1.0709582947992897e-16, 8.865115929175828e-17, 1.2676147417271722e-16,
             -9.242981211103171e-17, 1.5341410053603723e-17, -8.327690675013712e-17,
             1.685487290628973e-17, -1.0316941025762925e-16, -5.545065618639427e-17),
}
# tanh(x) = x + x^3 q(x^2) on |x| <= 1/8 (fit "tanh_f64_small"): error 4.3e-20
TANH_F64_SMALL = (
    -0.33333333333333315,
    0.13333333333311967,
    -0.05396825387966561,
    0.02186947164191085,
    -0.008861605208209935,
    0.0035145624721398616,
)


def _tanh_f64_vector(v: VectorBuilder, x):
    """The vector body of `tanh_f64` (see there), 8 lanes."""
    one = v.const(1.0)
    a = _abs_clamped(v, x, TANH_ONE)
    hi, tmp, e = exp_by_table(v, v.fadd(a, a), table=("tanh_f64", TANH_F64_TABLE),
                               tail_times_r=True)
    u = v.scale2(hi, e)  # 2**floor(e) hi, exact: e(2|x|) = u (1 + tmp)
    d_hi = v.fadd(u, one)  # exact (m <= 51: |x| <= 17.7; beyond, tanh is 1 - 2/D anyway)
    d = v.fma(u, tmp, d_hi)
    d_lo = v.fma(u, tmp, v.fsub(d_hi, d))  # D = d + d_lo (d_hi - d is exact)
    inv = v.fdiv(one, d)
    err = v.fma(v.fneg(inv), d_lo, v.fma(v.fneg(inv), d, one))  # 2/D = 2 inv (1 + err)
    t = v.fadd(inv, inv)
    h = v.fsub(one, t)
    t_lo = v.fsub(v.fsub(one, h), t)  # what h's rounding lost: exact
    large = v.fadd(v.fma(v.fneg(t), err, t_lo), h)
    return v.copysign(_odd_below(v, a, TANH_SMALL_F64, TANH_F64_SMALL, large), x)


def _abs_clamped(v: VectorBuilder, x, bound: float):
    """``min(|x|, bound)``, NaN kept (the comparison fails for it)."""
    a = v.fabs(x)
    return v.select(v.fcmp(">", a, v.const(bound)), v.const(bound), a)


def _odd_below(v: VectorBuilder, a, bound: float, coefficients, large):
    """``a + a^3 q(a^2)`` (q of `coefficients`) where ``a < bound``, `large` elsewhere."""
    z = v.fmul(a, a)
    small = v.fma(v.fmul(a, z), estrin_vector(v, coefficients, z, v.fmul(z, z)), a)
    return v.select(v.fcmp("<", a, v.const(bound)), small, large)


_tanh_f64 = vector_kernels.kernel_or("tanh_f64", types.float64, _tanh_f64_vector,
                                     _tanh_f64_portable)


@vecfn
def tanh_f64(x):
    """``tanh(x)`` for float64, within 1 ulp; +-0, +-inf and NaN as NumPy. With
    AVX-512 ``1 - 2/(exp(2|x|) + 1)`` from exp's table kernel, the denominator as a
    pair and the quotient corrected once, an odd polynomial below |x| = 1/8;
    elsewhere `_tanh_f64_portable`.

    >>> tanh_f64(-30.0)  # doctest: +SKIP
    -1.0
    """
    return _tanh_f64(x)


@vecfn
def _exp_both(a, sign):
    """``(hi, lo, m)``: ``exp(a)/2 + sign*exp(-a)/2 = 2**m * (hi + lo)``, double-double.

    For ``0 <= a <= SINH_MAX`` (NaN: anything) and sign +-1. With ``a = n*ln2 + r``
    the sum is ``2**(n-1) * (exp(r) + sign*d*exp(-r))``, ``d = 2**-2n``, and exp(+-r)
    share one polynomial split into its even part P and odd part Q (no division and
    no second exp): ``(1 + r) + sign*d*(1 - r)`` is carried exactly, the rest is small.
    """
    n = rint(a * LOG2E)
    r_hi = fma(-n, LN2_HI, a)  # exact
    r = fma(-n, LN2_LO, r_hi)
    r_lo = fma(-n, LN2_LO, r_hi - r)  # what rounding r lost
    z = r * r
    # exp(+-r) = 1 +- r + P +- Q: q(r) = qe(z) + r*qo(z) of EXP_F64's fit
    p = fma(z * z, estrin(EXP_QO_F64, z), 0.5 * z)
    q = (z * r) * estrin(EXP_QE_F64, z)
    sd = sign * pow2(-2.0 * (n if n < 60.0 else 60.0))  # 2^-120: no longer shows
    h1, l1 = fast_two_sum(1.0, r)
    u, u_lo = fast_two_sum(1.0, -r)
    hi, lo = fast_two_sum(h1, sd * u)  # |1 + r| >= 0.65 > |d (1 - r)| unless d = 1
    # d-weighted parts: P (1 + sd) + Q (1 - sd), and r_lo moves exp(r) and exp(-r)
    small = fma(p, sd, p) + fma(-q, sd, q) + fma(r_lo, 1.0 - sd, sd * u_lo)
    return hi, (lo + l1) + small, n - 1.0


@vecfn
def _scale_hyp(y, m):
    """``y * 2**m`` for ``0 <= y < 4``, ``-1 <= m <= 1024``: rounds once, inf beyond."""
    k = 2.0 if m > 1023.0 else 1.0  # 2^1024 is no double: its last factor 2 apart
    return (y * pow2(m - (k - 1.0))) * k


@vecfn
def _sinh_f64_portable(x):
    """``sinh(x)`` for float64 without tables (CPUs without AVX-512), within 1 ulp;
    overflow to +-inf as NumPy.

    All of it from `_exp_both`: below |x| = ln2/2 (n = 0) the exact leading parts
    cancel to ``2r`` and what is left is exp's odd part, ``r + r^3 qe(r^2)``; above,
    the difference of the two exponentials keeps at least half of exp(|x|)/2.
    """
    a = fabs(x)
    hi, lo, m = _exp_both(a if a < SINH_MAX else SINH_MAX, -1.0)  # NaN: SINH_MAX
    y = copysign(_scale_hyp(hi + lo, m), x)
    return y if a == a else x


@vecfn
def _cosh_f64_portable(x):
    """``cosh(x)`` for float64 without tables (CPUs without AVX-512), within 1 ulp;
    overflow to inf as NumPy."""
    a = fabs(x)
    hi, lo, m = _exp_both(a if a < SINH_MAX else SINH_MAX, 1.0)  # NaN: SINH_MAX
    y = _scale_hyp(hi + lo, m)
    return y if a == a else x


# float64 sinh and cosh by table (AVX-512): exp(|x|)/4 = u1 (1 + t1) and exp(-|x|)/4 =
# u2 (1 + t2) from one reduction |x| = e ln2 + r (e a multiple of 1/16, as in
# `exp.exp_by_table`): 2**(-e) takes the table entry (-16e) & 15 and the power
# floor(-e); exp(+-r) share the polynomial, split into its even and odd parts. The sum
# or difference of u1 and u2 is carried exactly, the rest rounded into it once, and
# doubled: with the quarters, u1 stays finite, and only the doubling overflows, where
# the result must (|x| > 710.47). sinh
# below |x| = 1/2, where the difference keeps too little: ``x + x^3 q(x^2)``.
SINH_SMALL_F64 = 0.5
# sinh(x) = x + x^3 q(x^2) on |x| <= 1/2 (fit "sinh_f64_small"): error 6.1e-21
SINH_F64_SMALL = (
    0.16666666666666666,
    0.008333333333333453,
    0.0001984126984095981,
    2.755731959391595e-06,
    2.5051885360167258e-08,
    1.6125140586440737e-10,
)
SINH_MAX_TABLE = 711.0  # |x| clamped here (NaN kept): sinh and cosh are inf from 710.48


def _exp_quarters(v: VectorBuilder, a):
    """``(u1, t1, u2, t2)`` with ``exp(a)/4 = u1 (1 + t1)`` and ``exp(-a)/4 = u2 (1 +
    t2)`` for 0 <= a <= 711 (see above); u1 and u2 exact powers of two times table
    entries (u1 finite: exp(711)/4 is), |t| <= 0.023."""
    get = v.table("exp_f64", EXP_F64_TABLE)
    e, r, j = reduce_by_table(v, a)
    j_neg = v.isub(v.iconst(0), j)  # (-16e) & 15 in the low bits
    rr = v.fmul(r, r)
    r4 = v.fmul(rr, rr)
    q = EXP_F64_TABLE_POLY  # exp(r) - 1 - r = rr (q0 + q1 r + ... + q5 r^5)
    even = v.fmul(rr, v.fma(r4, v.const(q[4]), v.fma(rr, v.const(q[2]), v.const(q[0]))))
    odd = v.fmul(v.fmul(rr, r),
                 v.fma(r4, v.const(q[5]), v.fma(rr, v.const(q[3]), v.const(q[1]))))
    t1 = v.fadd(v.fadd(r, get("tail", j)), v.fadd(even, odd))
    t2 = v.fadd(v.fsub(get("tail", j_neg), r), v.fsub(even, odd))
    two = v.const(2.0)
    u1 = v.scale2(get("hi", j), v.fsub(e, two))
    u2 = v.scale2(get("hi", j_neg), v.fsub(v.fneg(e), two))
    return u1, t1, u2, t2


def _cosh_f64_vector(v: VectorBuilder, x):
    """The vector body of `cosh_f64` (see there), 8 lanes."""
    u1, t1, u2, t2 = _exp_quarters(v, _abs_clamped(v, x, SINH_MAX_TABLE))
    s = v.fadd(u1, u2)
    s_lo = v.fadd(v.fsub(u1, s), u2)  # exact: u1 >= u2
    y = v.fadd(s, v.fadd(s_lo, v.fma(u1, t1, v.fmul(u2, t2))))
    return v.fadd(y, y)  # exact, or inf where cosh overflows


def _sinh_f64_vector(v: VectorBuilder, x):
    """The vector body of `sinh_f64` (see there), 8 lanes."""
    a = _abs_clamped(v, x, SINH_MAX_TABLE)
    u1, t1, u2, t2 = _exp_quarters(v, a)
    s = v.fsub(u1, u2)
    s_lo = v.fsub(v.fsub(u1, s), u2)  # exact: u1 >= u2
    large = v.fadd(s, v.fadd(s_lo, v.fma(u1, t1, v.fneg(v.fmul(u2, t2)))))
    large = v.fadd(large, large)  # exact, or inf where sinh overflows
    return v.copysign(_odd_below(v, a, SINH_SMALL_F64, SINH_F64_SMALL, large), x)


_sinh_f64 = vector_kernels.kernel_or("sinh_f64", types.float64, _sinh_f64_vector,
                                     _sinh_f64_portable)
_cosh_f64 = vector_kernels.kernel_or("cosh_f64", types.float64, _cosh_f64_vector,
                                     _cosh_f64_portable)


@vecfn
def sinh_f64(x):
    """``sinh(x)`` for float64, within 1 ulp; overflow to +-inf, -0.0 and NaN as
    NumPy. With AVX-512 ``exp(|x|)/2 - exp(-|x|)/2`` from one table reduction, the
    difference carried exactly (see above), an odd polynomial below 1/2; elsewhere
    `_sinh_f64_portable`.

    >>> sinh_f64(1.0)  # doctest: +SKIP
    1.1752011936438014
    """
    return _sinh_f64(x)


@vecfn
def cosh_f64(x):
    """``cosh(x)`` for float64, within 1 ulp; overflow to inf and NaN as NumPy. With
    AVX-512 ``exp(|x|)/2 + exp(-|x|)/2`` from one table reduction (see above);
    elsewhere `_cosh_f64_portable`.

    >>> cosh_f64(1.0)  # doctest: +SKIP
    1.5430806348152437
    """
    return _cosh_f64(x)


@vecfn
def logistic_f64(x):
    """``1 / (1 + exp(-x))`` for float64 (scipy's ``expit``), within 1 ulp.

    With ``e = exp(-|x|) <= 1``: ``1/(1 + e)`` for x >= 0, ``e/(1 + e)`` below,
    e and ``1 + e`` kept as double-doubles.

    >>> logistic_f64(0.0)  # doctest: +SKIP
    0.5
    """
    a = fabs(x)
    n, h, t = exp_parts(_clamp(-a, X_MIN, 0.0))
    s = pow2(n if n > -1000.0 else -1000.0)  # e = s*(h + t); 2^-1000: e is 0 anyway
    e_hi, e_lo = fast_two_sum(s * h, s * t)
    d_hi, d_lo = fast_two_sum(1.0, e_hi)
    negative = x < 0.0
    y = div_dd(e_hi if negative else 1.0, e_lo if negative else 0.0, d_hi, d_lo + e_lo)
    # the tail below 2^-1000 (exp of -693 and less) underflows: e/(1+e) = e there
    tail = scale2(h + t, n)
    y = tail if negative & (n <= -1000.0) else y
    # SciPy's expit is 1/(1 + exp(-x)), which is 0 once exp(-x) overflows, though
    # the true value is a subnormal there: as SciPy, for the same results everywhere
    y = 0.0 if x < -EXP_OVERFLOW else y
    return y if a == a else x


# --- float32: in float32 arithmetic (logistic_f32: in float64, rounded once) ----------


@vecfn
def _exp_f32_wide(a):
    """``exp(a)`` in float64 to float32 accuracy, for ``-110 <= a <= 110``."""
    n, r = reduce_ln2(a)
    return (1.0 + fma(r * r, exp_tail_f32(r), r)) * pow2(n)


@vecfn
def _tanh_f32_portable(x):
    """``tanh(x)`` for float32 without tables (CPUs without AVX-512), in float32
    arithmetic, within 1 ulp (0.83 measured).

    Below |x| = 0.55, ``x + x^3 P(x^2)`` (0.55 ulp: x is added last). Above,
    ``1 - 2/(1 + e)`` with ``e = exp(2|x|)`` kept as a float32 pair and the quotient
    corrected once from its remainder, so that q = 2/(1 + e) is accurate to about
    2**-28 and ``1 - q`` rounds once. From |x| = 9.01 on the result rounds to +-1.
    """
    a = fabs(x)
    z = a * a
    small = fma(a * z, horner(TANH_F32, z), a)
    # NaN passes the clamp and every step after it, and comes out NaN
    zn, n, r = reduce_ln2_f32(TWO_F32 * (TANH_ONE_F32 if a > TANH_ONE_F32 else a))
    h, t = exp_pair_f32(r)
    s = pow2_f32(zn)
    d, d_lo = fast_two_sum(h * s, ONE_F32)  # e >= 1
    d_lo = fma(t, s, d_lo)  # not below an ulp of d: t holds r^2 q(r)
    q = TWO_F32 / (d + d_lo)
    rem = fma(-q, d, TWO_F32) - q * d_lo  # 2 - q (d + d_lo), to ~2**-27 absolute
    q = fma(rem, HALF_F32 * q, q)  # q/2 ~ 1/(d + d_lo)
    y = small if a < TANH_SMALL_F32 else ONE_F32 - q
    return copysign(y, x)


def _tanh_f32_vector(v: VectorBuilder, x):
    """The vector body of `tanh_f32` (see there), 16 lanes."""
    get = v.table("tanh_f32", TANH_F32_TABLE)
    # the last piece holds everything above, so the index needs no upper clamp; NaN
    # fails the comparison, and stays NaN whatever entry its bits pick
    a = v.from_bits(v.and_(v.bits(x), v.iconst(0x7FFFFFFF)))
    last = v.const(TANH_F32_LAST_X)
    a = v.select(v.fcmp(">", a, last), last, a)
    piece = v.ashr(v.isub(v.bits(a), v.iconst(TANH_F32_FIRST_BITS)), v.iconst(21))
    piece = v.imax(piece, v.iconst(0))
    r = v.fsub(a, get("mid", piece))  # exact
    q = get("c5", piece)
    for k in (4, 3, 2, 1):
        q = v.fma(q, r, get(f"c{k}", piece))
    # c0 + r q as (r q + c0_lo) + c0_hi, rounded once at the end; on the first piece
    # (c0 = 0, s = 1) r itself takes c0_hi's place, with r q its tail
    y = v.fadd(v.fma(r, q, get("c0_lo", piece)), v.fma(get("s", piece), r, get("c0_hi", piece)))
    return v.copysign(y, x)


_tanh_f32 = vector_kernels.kernel_or("tanh_f32", types.float32, _tanh_f32_vector,
                                     _tanh_f32_portable)


@vecfn
def tanh_f32(x):
    """``tanh(x)`` for float32, within 1 ulp (0.69 measured by table); -0.0 and NaN
    come back as they went in, and from |x| = 9.01 on the result rounds to +-1.

    With AVX-512, |x| is cut into 30 pieces by the bits of its exponent and top two
    mantissa bits (`TANH_F32_TABLE`); on each, a degree-5 polynomial in ``r = |x| -
    mid`` whose middle and coefficients come from registers (`vector_kernels.py`):
    one permute per column, 9 in all, 7 FMAs, no select, no division and no exp.
    Elsewhere `_tanh_f32_portable`.
    """
    return _tanh_f32(x)


@vecfn
def _exp_both_single(a, sign):
    """``(exp(a) + sign*exp(-a))/2`` (cosh, sinh) for float32 ``0 <= a <= 89.5`` and
    sign +-1, in float32 arithmetic; overflows to inf as they do.

    With ``a = n*ln2 + r``, ``S = 2**(n-2)``, ``s = sign*2**(-n-2)``, and
    ``exp(r) = h + h_lo + z (E(z) + r O(z))``, ``exp(-r) = g + g_lo + z (E(z) - r O(z))``
    (``h = fl(1 + r)``, ``g = fl(1 - r)`` with their exact errors, z = r^2,
    EXP_F32_SINGLE's q split into even and odd parts): the result is
    ``2 (S h + s g + small)``, the leading pair summed exactly (S h is the larger:
    r >= 0 where n = 0), and ``small = S (h_lo + r_lo) + s (g_lo - r_lo) +
    (S + s) z E + (S - s) z r O`` rounded once into it. For n = 0 and sign -1 the
    leading parts give exactly 2r and the rest is the odd part: no cancellation.
    The quarters keep 2**n finite up to n = 129 (the final doubling overflows).
    """
    zn, n, r1 = reduce_ln2_hi_f32(a)
    r = fma(-n, LN2_LO_F32, r1)
    r_lo = fma(-n, LN2_LO_F32, r1 - r)  # what rounding r lost
    z = r * r
    ze = z * horner(EXP_QE_SINGLE, z)
    zro = (z * r) * horner(EXP_QO_SINGLE, z)
    h, h_lo = fast_two_sum(ONE_F32, r)
    g, g_lo = fast_two_sum(ONE_F32, -r)
    big = pow2_f32(zn - TWO_F32)  # 2**(n-2)
    # 2**(-n-2), held at 2**-126 (n >= 125: far below the result's ulp anyway)
    zm = (SHIFT_F32 + SHIFT_F32) - zn - TWO_F32
    sml = sign * pow2_f32(zm if zm > SHIFT_MIN_F32 else SHIFT_MIN_F32)
    hi, lo = fast_two_sum(big * h, sml * g)
    small = fma(big, h_lo + r_lo, fma(sml, g_lo - r_lo, lo))
    small = fma(big + sml, ze, fma(big - sml, zro, small))
    return TWO_F32 * (hi + small)


@vecfn
def sinh_f32(x):
    """``sinh(x)`` for float32, in float32 arithmetic (16 lanes), within 1 ulp; no
    division (`_exp_both_single`)."""
    a = fabs(x)
    y = _exp_both_single(a if a < SINH_MAX_F32 else SINH_MAX_F32, -ONE_F32)  # NaN: max
    y = copysign(y, x)
    # below 2**-12 sinh rounds to x (and the quarters would lose subnormals); NaN too
    return y if a >= SINH_TINY_F32 else x


@vecfn
def cosh_f32(x):
    """``cosh(x)`` for float32, in float32 arithmetic (16 lanes), within 1 ulp."""
    a = fabs(x)
    # NaN passes the clamp and every step after it, and comes out NaN
    return _exp_both_single(SINH_MAX_F32 if a > SINH_MAX_F32 else a, ONE_F32)


@vecfn
def logistic_f32(x):
    """``1 / (1 + exp(-x))`` for float32."""
    xd = np.float64(x)
    e = _exp_f32_wide(_clamp(-xd, -110.0, 110.0))  # 1/e**110 rounds to 0
    y = np.float32(1.0 / (1.0 + e))
    y = np.float32(0.0) if xd < -EXP_OVERFLOW_F32 else y  # as SciPy (see logistic_f64)
    return y if xd == xd else x
