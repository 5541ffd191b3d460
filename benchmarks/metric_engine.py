"""Would a compiled engine make ``q=auto``'s measure cheaper? The numpy SSIMULACRA2 against the same
arithmetic in C.

    python benchmarks/metric_engine.py [--cpu 1] [--quality 60]
    python benchmarks/metric_engine.py qauto compare [auto_quality.py's options]  # q=auto with it

``q=auto`` for JPEG is bounded by what one score of the whole output costs (about a fixed JPEG generation
at 640 and 1280 px; ``benchmarks/RESULTS.md``, "Auto quality"). This runs the per-scale work of
``perceptual.Reference.score`` (everything after the candidate's linear-light pyramid: XYB, the three
blurred maps of each SSIM plane, the SSIM and edge maps and their norms, only the terms the score weighs)
as plain C, compiled here with the system's ``cc -O3 -ffast-math -march=x86-64-v3 -fopenmp-simd`` (AVX2,
which Lambda's x86_64 hosts have; the cube root as ``expf(logf(x) / 3)`` in a loop of its own, so it runs
on glibc's vector ``expf`` and ``logf``) and called through ctypes, against the numpy path, on every
distinct photo of the corpus (``auto_quality.corpus``, both parts) as ``q=auto`` measures them: a 2 x 2
mosaic of the 640 px output, the whole 640 px output, and the check of the 640 and 1280 px outputs
(finest scales on 3 x 3 tiles). The candidate is a JPEG at ``--quality``. Per kind and part: the median
time of C over numpy for the per-scale work, for the whole score (the pyramid numpy's), for the whole
score with the candidate's pyramid in C too (``CompiledScore(pyramid=True)``), and for the reference side
(``CompiledReference``), and the largest difference between a C score and numpy's. Process CPU, the
lowest of ``RUNS``, pinned to ``--cpu``, one thread. Needs a C compiler (``cc``).

``qauto`` runs ``auto_quality.py`` (pin it with ``taskset``) with every ``perceptual.Reference`` of the
process made and scored in C (``CompiledReference``: levels identical to numpy's, scores within 0.06, the
benchmark's own B and oracle included): what ``q=auto``'s bytes and time would be with such an engine,
at each allowance given.
"""

from __future__ import annotations

import argparse
import ctypes
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

import auto_quality  # noqa: E402  (the corpus, its split and the variant's pixels)

# isort: split
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from imgedge.core import perceptual  # noqa: E402

RUNS = 9

#: The score in C: a candidate's scale (``scale_score``; weights of 0 skip a term), a reference's
#: (``reference_scale``) and the levels (``linear_u8``, ``half``, ``quarter``), as ``perceptual`` computes
#: them; the XYB offsets and SSIM's C2 are written here as there, the test holds the scores to numpy's.
SOURCE = r"""
#include <math.h>
#include <stdlib.h>
#include <string.h>
#define R 5

static void blur(const float *in, float *out, float *tmp, float *row, int h, int w, const float *taps) {
    for (int y = 0; y < h; y++) {  /* down, mirrored at the top and bottom */
        float *t = tmp + (size_t)y * w;
        for (int x = 0; x < w; x++) t[x] = 0.f;
        for (int k = -R; k <= R; k++) {
            int yy = y + k;
            if (yy < 0) yy = -yy - 1;
            if (yy >= h) yy = 2 * h - yy - 1;
            const float *src = in + (size_t)yy * w, c = taps[k + R];
            for (int x = 0; x < w; x++) t[x] += c * src[x];
        }
    }
    for (int y = 0; y < h; y++) {  /* across, zeros beyond the sides */
        memcpy(row + R, tmp + (size_t)y * w, w * sizeof(float));
        float *o = out + (size_t)y * w;
        for (int x = 0; x < w; x++) {
            float s = 0.f;
            for (int k = 0; k <= 2 * R; k++) s += taps[k] * row[x + k];
            o[x] = s;
        }
    }
}

static void norms(const float *v, size_t n, double *mean, double *four) {
    double s = 0, q = 0;
    for (size_t i = 0; i < n; i++) { double x = v[i], x2 = x * x; s += x; q += x2 * x2; }
    *mean = s / n;
    *four = sqrt(sqrt(q / n));
}

#pragma omp declare simd
static float cube_root_mix(float m, float bias, float cbrt_bias) {
    return expf(logf(m > bias ? m : bias) * (1.f / 3.f)) - cbrt_bias;
}

/* Linear RGB (n, 3) to the XYB planes ``channels`` names (0 X, 1 Y, 2 B) into xyb (c, n). */
static void to_xyb(const float *lin, size_t n, int c, const int *channels, float *xyb, const float *opsin,
                   float bias, float cbrt_bias) {
    float *m0 = malloc(sizeof(float) * n), *m1 = malloc(sizeof(float) * n), *m2 = malloc(sizeof(float) * n);
    #pragma omp simd  /* with -fopenmp-simd: glibc's vector expf and logf (libmvec) */
    for (size_t i = 0; i < n; i++) {
        float r = lin[3 * i], g = lin[3 * i + 1], bl = lin[3 * i + 2];
        m0[i] = cube_root_mix(opsin[0] * r + opsin[1] * g + opsin[2] * bl + bias, bias, cbrt_bias);
        m1[i] = cube_root_mix(opsin[3] * r + opsin[4] * g + opsin[5] * bl + bias, bias, cbrt_bias);
        m2[i] = cube_root_mix(opsin[6] * r + opsin[7] * g + opsin[8] * bl + bias, bias, cbrt_bias);
    }
    for (int p = 0; p < c; p++) {
        float *o = xyb + p * n;
        if (channels[p] == 0) for (size_t i = 0; i < n; i++) o[i] = (m0[i] - m1[i]) * 7.0f + 0.42f;
        else if (channels[p] == 1) for (size_t i = 0; i < n; i++) o[i] = (m0[i] + m1[i]) * 0.5f + 0.01f;
        else for (size_t i = 0; i < n; i++) o[i] = m2[i] - (m0[i] + m1[i]) * 0.5f + 0.55f;
    }
    free(m0); free(m1); free(m2);
}

double scale_score(int h, int w, const float *lin, int c, const int *channels, const int *is_ssim,
                   const float *ref_xyb, const float *ref_mu, const float *ref_sigma, const float *ref_edge,
                   const double *weights, const float *taps, const float *opsin, float bias, float cbrt_bias) {
    size_t n = (size_t)h * w;
    float *xyb = malloc(sizeof(float) * n * c), *a = malloc(sizeof(float) * n), *b = malloc(sizeof(float) * n);
    float *mu = malloc(sizeof(float) * n), *s22 = malloc(sizeof(float) * n), *s12 = malloc(sizeof(float) * n);
    float *tmp = malloc(sizeof(float) * n), *row = calloc(w + 2 * R, sizeof(float));
    to_xyb(lin, n, c, channels, xyb, opsin, bias, cbrt_bias);
    double total = 0, mean, four;
    for (int p = 0; p < c; p++) {
        const float *x2 = xyb + p * n, *x1 = ref_xyb + p * n, *m1 = ref_mu + p * n, *e1 = ref_edge + p * n;
        const double *wt = weights + 6 * p;
        blur(x2, mu, tmp, row, h, w, taps);
        if (is_ssim[p]) {
            for (size_t i = 0; i < n; i++) { a[i] = x2[i] * x2[i]; b[i] = x2[i] * x1[i]; }
            blur(a, s22, tmp, row, h, w, taps);
            blur(b, s12, tmp, row, h, w, taps);
            const float *sigma = ref_sigma + p * n;
            for (size_t i = 0; i < n; i++) {
                float d = m1[i] - mu[i];
                float num = (1.f - d * d) * (2.f * (s12[i] - m1[i] * mu[i]) + 0.0009f);
                float s = 1.f - num / ((s22[i] - mu[i] * mu[i]) + sigma[i]);
                a[i] = s > 0 ? s : 0;
            }
            norms(a, n, &mean, &four);
            total += wt[0] * fabs(mean) + wt[1] * fabs(four);
        }
        if (wt[2] != 0 || wt[3] != 0 || wt[4] != 0 || wt[5] != 0) {
            for (size_t i = 0; i < n; i++) {
                float ratio = (1.f + fabsf(x2[i] - mu[i])) * e1[i] - 1.f;
                a[i] = ratio > 0 ? ratio : 0;
                b[i] = ratio < 0 ? -ratio : 0;
            }
            norms(a, n, &mean, &four);
            total += wt[2] * fabs(mean) + wt[3] * fabs(four);
            norms(b, n, &mean, &four);
            total += wt[4] * fabs(mean) + wt[5] * fabs(four);
        }
    }
    free(xyb); free(a); free(b); free(mu); free(s22); free(s12); free(tmp); free(row);
    return total;
}

/* The reference side of one scale, as perceptual._scale makes it: XYB, its blurred mean, the blurred
   square less the squared mean plus C2 (SSIM planes), and 1 / (1 + |xyb - mu|). */
void reference_scale(int h, int w, const float *lin, int c, const int *channels, const int *is_ssim, float *xyb,
                     float *mu, float *sigma, float *edge, const float *taps, const float *opsin, float bias,
                     float cbrt_bias) {
    size_t n = (size_t)h * w;
    float *a = malloc(sizeof(float) * n), *tmp = malloc(sizeof(float) * n), *row = calloc(w + 2 * R, sizeof(float));
    to_xyb(lin, n, c, channels, xyb, opsin, bias, cbrt_bias);
    for (int p = 0; p < c; p++) {
        const float *x = xyb + p * n;
        float *m = mu + p * n, *sg = sigma + p * n, *e = edge + p * n;
        blur(x, m, tmp, row, h, w, taps);
        if (is_ssim[p]) {
            for (size_t i = 0; i < n; i++) a[i] = x[i] * x[i];
            blur(a, sg, tmp, row, h, w, taps);
            for (size_t i = 0; i < n; i++) sg[i] = (sg[i] - m[i] * m[i]) + 0.0009f;
        }
        for (size_t i = 0; i < n; i++) e[i] = 1.f / (1.f + fabsf(x[i] - m[i]));
    }
    free(a); free(tmp); free(row);
}

/* sRGB bytes to linear light through a 256-entry table. */
void linear_u8(const unsigned char *rgb, size_t n, const float *table, float *out) {
    for (size_t i = 0; i < n; i++) out[i] = table[rgb[i]];
}

/* A 2x2 box average of an (h, w, 3) level, an odd last row or column paired with itself. */
void half(const float *in, int h, int w, float *out) {
    int hh = (h + 1) / 2, hw = (w + 1) / 2;
    for (int y = 0; y < hh; y++) {
        const float *r0 = in + (size_t)(2 * y) * w * 3;
        const float *r1 = in + (size_t)(2 * y + 1 < h ? 2 * y + 1 : 2 * y) * w * 3;
        float *o = out + (size_t)y * hw * 3;
        for (int x = 0; x < hw; x++) {
            int x0 = 2 * x, x1 = 2 * x + 1 < w ? 2 * x + 1 : 2 * x;
            for (int c = 0; c < 3; c++)
                o[3 * x + c] = ((r0[3 * x0 + c] + r1[3 * x0 + c]) + (r0[3 * x1 + c] + r1[3 * x1 + c])) * 0.25f;
        }
    }
}

/* The third level straight from sRGB bytes: 4x4 sums of a 12-bit table over the rows and columns
   ``rows`` and ``columns`` name (the side's own, then those its edge rule repeats; multiples of four). */
void quarter(const unsigned char *rgb, int w, const int *rows, int n_rows, const int *columns, int n_columns,
             const unsigned short *table, float *out) {
    int qw = n_columns / 4;
    for (int y = 0; y < n_rows / 4; y++) {
        float *o = out + (size_t)y * qw * 3;
        const unsigned char *r[4];
        for (int dy = 0; dy < 4; dy++) r[dy] = rgb + (size_t)rows[4 * y + dy] * w * 3;
        for (int x = 0; x < qw; x++) {
            const int *cx = columns + 4 * x;
            for (int c = 0; c < 3; c++) {
                unsigned sum = 0;
                for (int dy = 0; dy < 4; dy++)
                    sum += table[r[dy][3 * cx[0] + c]] + table[r[dy][3 * cx[1] + c]] + table[r[dy][3 * cx[2] + c]]
                           + table[r[dy][3 * cx[3] + c]];
                o[3 * x + c] = sum * (1.f / (16 * 4095));
            }
        }
    }
}
"""
#: What the timing is built with; ``PORTABLE`` builds anywhere (the test of the engine's scores).
FLAGS = ("-O3", "-ffast-math", "-march=x86-64-v3", "-fopenmp-simd")
PORTABLE = ("-O2",)


def compiled(folder: Path, flags: tuple[str, ...] = FLAGS) -> ctypes.CDLL:
    source = folder / "scale_score.c"
    source.write_text(SOURCE)
    library = folder / "libscale_score.so"
    subprocess.run(["cc", *flags, "-shared", "-fPIC", "-o", str(library), str(source), "-lm"], check=True)
    lib = ctypes.CDLL(str(library))
    floats = np.ctypeslib.ndpointer(np.float32, flags="C_CONTIGUOUS")
    ints = np.ctypeslib.ndpointer(np.int32, flags="C_CONTIGUOUS")
    doubles = np.ctypeslib.ndpointer(np.float64, flags="C_CONTIGUOUS")
    lib.scale_score.restype = ctypes.c_double
    lib.scale_score.argtypes = [ctypes.c_int, ctypes.c_int, floats, ctypes.c_int, ints, ints, floats, floats, floats,
                                floats, doubles, floats, floats, ctypes.c_float, ctypes.c_float]
    lib.reference_scale.argtypes = [ctypes.c_int, ctypes.c_int, floats, ctypes.c_int, ints, ints, floats, floats,
                                    floats, floats, floats, floats, ctypes.c_float, ctypes.c_float]
    u8 = np.ctypeslib.ndpointer(np.uint8, flags="C_CONTIGUOUS")
    lib.linear_u8.argtypes = [u8, ctypes.c_size_t, floats, floats]
    lib.half.argtypes = [floats, ctypes.c_int, ctypes.c_int, floats]
    lib.quarter.argtypes = [u8, ctypes.c_int, ints, ctypes.c_int, ints, ctypes.c_int,
                            np.ctypeslib.ndpointer(np.uint16, flags="C_CONTIGUOUS"), floats]
    return lib


class CompiledScore:
    """``reference``'s score with each scale's work in C (the reference side stays numpy's, laid out for C;
    ``pyramid``: the candidate's levels in C too)."""

    def __init__(self, lib: ctypes.CDLL, reference: perceptual.Reference, pyramid: bool = False) -> None:
        self.lib, self.pyramid, self.reference = lib, pyramid, reference
        self.boxes, self.grid, self.needs = reference.boxes, reference.grid, reference.needs
        self.scales: list[tuple | None] = []
        for s, (scale, need) in enumerate(zip(reference.scales, reference.needs)):
            if scale is None:
                self.scales.append(None)
                continue
            c, (h, w) = len(scale.channels), scale.xyb.shape[1:]
            sigma = np.zeros((c, h, w), np.float32)
            for j, p in enumerate(scale.ssim):
                sigma[p] = scale.sigma[j]
            self.scales.append((np.array(scale.channels, np.int32),
                                np.array([p in scale.ssim for p in range(c)], np.int32),
                                np.ascontiguousarray(scale.xyb), np.ascontiguousarray(scale.mu), sigma,
                                np.ascontiguousarray(scale.edge), _weights(need, s, len(reference.needs))))

    def scales_only(self, levels: list[np.ndarray]) -> float:
        total = 0.0
        for level, scale in zip(levels, self.scales):
            if scale is None:
                continue
            level = np.ascontiguousarray(level)
            channels, ssim, xyb, mu, sigma, edge, weights = scale
            total += self.lib.scale_score(level.shape[0], level.shape[1], level, len(channels), channels, ssim, xyb,
                                          mu, sigma, edge, weights, perceptual._TAPS, _OPSIN, perceptual._BIAS,
                                          perceptual._CBRT_BIAS)
        return total

    def score(self, candidate: Image.Image) -> float:
        levels = self.levels(candidate) if self.pyramid else self.reference._levels(candidate)
        return perceptual._final(self.scales_only(levels))

    def levels(self, candidate: Image.Image) -> list[np.ndarray]:
        """``Reference._levels`` with the conversions and halvings in C (the tiles and the edge rule's
        repeated rows in numpy)."""
        rgb = perceptual._rgb(candidate)
        if self.boxes is None:
            return self._pyramid(self._linear(rgb), perceptual._SCALES)
        tiled = self._pyramid(self._linear(perceptual._mosaic(rgb, self.boxes, self.grid)), perceptual.FINE_SCALES)
        rows, columns = _padded(rgb.shape[0]), _padded(rgb.shape[1])  # _quarter's edge rule
        quarter = np.empty((len(rows) // 4, len(columns) // 4, 3), np.float32)
        self.lib.quarter(np.ascontiguousarray(rgb), rgb.shape[1], rows, len(rows), columns, len(columns),
                         perceptual._LINEAR_12, quarter)
        return tiled + self._pyramid(quarter, perceptual._SCALES - perceptual.FINE_SCALES)

    def _linear(self, rgb: np.ndarray) -> np.ndarray:
        rgb = np.ascontiguousarray(rgb)
        out = np.empty(rgb.shape, np.float32)
        self.lib.linear_u8(rgb, rgb.size, _LINEAR, out)
        return out

    def _pyramid(self, linear: np.ndarray, scales: int) -> list[np.ndarray]:
        levels = [linear]
        while len(levels) < scales:
            h, w = levels[-1].shape[:2]
            smaller = np.empty(((h + 1) // 2, (w + 1) // 2, 3), np.float32)
            self.lib.half(levels[-1], h, w, smaller)
            if min(smaller.shape[:2]) < 8:
                break
            levels.append(smaller)
        return levels


class CompiledReference(CompiledScore):
    """A ``perceptual.Reference`` with both sides in C: the reference's levels and scales too."""

    def __init__(self, lib: ctypes.CDLL, image: Image.Image, grid: int | None = None) -> None:
        self.lib, self.pyramid, self.size = lib, True, image.size
        self.boxes = perceptual.tiles(image.size, grid) if grid is not None else None
        self.grid = grid or 0
        levels = self.levels(image)
        self.needs = perceptual._needs(len(levels))
        self.scales = [self._scale(level, need, s) for s, (level, need) in enumerate(zip(levels, self.needs))]

    def _scale(self, level: np.ndarray, need: dict, s: int) -> tuple | None:
        if not need:
            return None
        channels = np.array(list(need), np.int32)
        ssim = np.array([any(need[channel][0]) for channel in need], np.int32)
        (h, w), c = level.shape[:2], len(channels)
        xyb, mu, sigma, edge = (np.zeros((c, h, w), np.float32) for _ in range(4))
        self.lib.reference_scale(h, w, np.ascontiguousarray(level), c, channels, ssim, xyb, mu, sigma, edge,
                                 perceptual._TAPS, _OPSIN, perceptual._BIAS, perceptual._CBRT_BIAS)
        return channels, ssim, xyb, mu, sigma, edge, _weights(need, s, len(self.needs))


def _weights(need: dict, scale: int, scales: int) -> np.ndarray:
    """Per plane of a scale, the weight of each norm of each term (0: not computed, as in the numpy path)."""
    weights = np.zeros((len(need), 6))
    for p, channel in enumerate(need):
        for term in range(3):
            for norm in range(2):
                if need[channel][term][norm]:
                    weights[p, term * 2 + norm] = perceptual._WEIGHTS[
                        perceptual._weight_index(channel, scale, norm, term, scales)]
    return weights


#: ``perceptual._linear``'s table, and the opsin matrix as C reads it.
_LINEAR = perceptual._linear(np.arange(256, dtype=np.uint8))
_OPSIN = np.ascontiguousarray(perceptual._OPSIN.reshape(-1), dtype=np.float32)


def _padded(size: int) -> np.ndarray:
    """The rows (columns) of a side after ``perceptual._quarter``'s edge rule: the last repeated if the side
    is odd, then the last pair if half of it is."""
    source = list(range(size))
    source += source[-1:] * (len(source) % 2)
    return np.array(source + source[-2:] * (len(source) // 2 % 2), np.int32)


def _cpu(work) -> float:
    best = float("inf")
    for _ in range(RUNS):
        started = time.process_time()
        work()
        best = min(best, time.process_time() - started)
    return best


def _kinds(data: bytes) -> list[tuple[str, Image.Image, int | None]]:
    """What ``q=auto`` measures of this photo: (kind, the image scored, its check grid or None)."""
    at_640, at_1280 = auto_quality.lossless(data, 640), auto_quality.lossless(data, 1280)
    kinds = [("2 x 2 mosaic (640 px)", perceptual.sample(at_640, perceptual.SMALL_GRID), None),
             ("whole output (640 px)", at_640, None)]
    for label, image in (("check (640 px)", at_640), ("check (1280 px)", at_1280)):
        if perceptual.tiles(image.size, perceptual.GRID) is not None:
            kinds.append((label, image, perceptual.GRID))
    return kinds


def with_compiled_scores(folder: Path, flags: tuple[str, ...] = FLAGS, reference: bool = True) -> None:
    """Every ``perceptual.Reference`` this process makes from now on scores in C (the candidate's levels
    and scales), and with ``reference`` is made in C too: what ``q=auto`` would do with such an engine."""
    lib = compiled(folder, flags)
    if reference:
        perceptual.Reference = lambda image, grid=None: CompiledReference(lib, image, grid)  # type: ignore
        return

    def score(self: perceptual.Reference, candidate: Image.Image) -> float:
        fast = self.__dict__.get("_compiled")
        if fast is None:
            fast = self.__dict__["_compiled"] = CompiledScore(lib, self, pyramid=True)
        return fast.score(candidate)

    perceptual.Reference.score = score  # type: ignore[method-assign]


def main() -> None:
    if sys.argv[1:2] == ["qauto"]:  # auto_quality.py's own command line, with the engine in C
        with tempfile.TemporaryDirectory() as folder:
            with_compiled_scores(Path(folder))
            sys.argv = [str(HERE / "auto_quality.py"), *sys.argv[2:]]
            auto_quality.main()
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--cpu", type=int, default=1)
    parser.add_argument("--quality", type=int, default=60)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {args.cpu})
    rows: dict[tuple[str, str], list[tuple[float, ...]]] = {}
    with tempfile.TemporaryDirectory() as folder:
        lib = compiled(Path(folder))
        for path in auto_quality.corpus():
            where = auto_quality.part(path.name)
            for kind, image, grid in _kinds(path.read_bytes()):
                encoded = io.BytesIO()
                image.convert("RGB").save(encoded, "JPEG", quality=args.quality)
                candidate = Image.open(io.BytesIO(encoded.getvalue()))
                candidate.load()
                reference = perceptual.Reference(image, grid)
                fast, fuller = CompiledScore(lib, reference), CompiledScore(lib, reference, pyramid=True)
                levels = reference._levels(candidate)
                numpy_score = _cpu(lambda: reference.score(candidate))
                numpy_scales = numpy_score - _cpu(lambda: reference._levels(candidate))
                c_scales = _cpu(lambda: fast.scales_only(levels))
                whole = _cpu(lambda: fast.score(candidate)) / numpy_score
                with_pyramid = _cpu(lambda: fuller.score(candidate)) / numpy_score
                reference_side = (_cpu(lambda: CompiledReference(lib, image, grid))
                                  / _cpu(lambda: perceptual.Reference(image, grid)))
                engines = (fast, fuller, CompiledReference(lib, image, grid))
                difference = max(abs(engine.score(candidate) - reference.score(candidate)) for engine in engines)
                rows.setdefault((kind, where), []).append((c_scales / numpy_scales, whole, with_pyramid,
                                                           reference_side, difference))
                print(f"{path.name} {kind}: C / numpy {c_scales / numpy_scales:.2f} (scales), {whole:.2f} (score), "
                      f"{with_pyramid:.2f} (score, pyramid in C), {reference_side:.2f} (reference side); "
                      f"score difference {difference:.4f}", flush=True)
    print("| kind | part | cases | C / numpy, per-scale work (median, range) | C / numpy, whole score (median) "
          "| ... with the pyramid in C too | reference side (median) | largest score difference |")
    print("|---|---|---|---|---|---|---|---|")
    for (kind, where), values in sorted(rows.items()):
        scales = [v[0] for v in values]
        spread = f"{statistics.median(scales):.2f} ({min(scales):.2f}-{max(scales):.2f})"
        print(f"| {kind} | {where} | {len(values)} | {spread} | {statistics.median(v[1] for v in values):.2f} "
              f"| {statistics.median(v[2] for v in values):.2f} | {statistics.median(v[3] for v in values):.2f} "
              f"| {max(v[4] for v in values):.3f} |")


if __name__ == "__main__":
    main()
