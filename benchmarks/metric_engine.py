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
time of C over numpy for the per-scale work and for the whole score (the pyramid stays numpy in both),
and the largest difference between their scores. Process CPU, the lowest of ``RUNS``, pinned to
``--cpu``, one thread. Needs a C compiler (``cc``).

``qauto`` runs ``auto_quality.py`` (pin it with ``taskset``) with every score in C but the reference side
(the candidate's pyramid too: ``CompiledScore(pyramid=True)``, levels identical to numpy's): what
``q=auto``'s bytes and time would be with such an engine, at each allowance given.
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

#: One scale of the score, as ``perceptual.Reference._score`` computes it (weights of 0 skip a term).
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

double scale_score(int h, int w, const float *lin, int c, const int *channels, const int *is_ssim,
                   const float *ref_xyb, const float *ref_mu, const float *ref_sigma, const float *ref_edge,
                   const double *weights, const float *taps, const float *opsin, float bias, float cbrt_bias) {
    size_t n = (size_t)h * w;
    float *xyb = malloc(sizeof(float) * n * c), *a = malloc(sizeof(float) * n), *b = malloc(sizeof(float) * n);
    float *mu = malloc(sizeof(float) * n), *s22 = malloc(sizeof(float) * n), *s12 = malloc(sizeof(float) * n);
    float *tmp = malloc(sizeof(float) * n), *row = calloc(w + 2 * R, sizeof(float));
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

/* The third level straight from sRGB bytes whose sides are multiples of four: 4x4 sums of a 12-bit table. */
void quarter(const unsigned char *rgb, int h, int w, const unsigned short *table, float *out) {
    int qw = w / 4;
    for (int y = 0; y < h / 4; y++) {
        float *o = out + (size_t)y * qw * 3;
        for (int x = 0; x < qw; x++)
            for (int c = 0; c < 3; c++) {
                unsigned sum = 0;
                for (int dy = 0; dy < 4; dy++) {
                    const unsigned char *r = rgb + ((size_t)(4 * y + dy) * w + 4 * x) * 3 + c;
                    sum += table[r[0]] + table[r[3]] + table[r[6]] + table[r[9]];
                }
                o[3 * x + c] = sum * (1.f / (16 * 4095));
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
    u8 = np.ctypeslib.ndpointer(np.uint8, flags="C_CONTIGUOUS")
    lib.linear_u8.argtypes = [u8, ctypes.c_size_t, floats, floats]
    lib.half.argtypes = [floats, ctypes.c_int, ctypes.c_int, floats]
    lib.quarter.argtypes = [u8, ctypes.c_int, ctypes.c_int, np.ctypeslib.ndpointer(np.uint16, flags="C_CONTIGUOUS"),
                            floats]
    return lib


class CompiledScore:
    """``reference``'s score with each scale's work in C (the reference side stays numpy's, laid out for C)."""

    def __init__(self, lib: ctypes.CDLL, reference: perceptual.Reference, pyramid: bool = False) -> None:
        self.lib, self.reference, self.scales, self.pyramid = lib, reference, [], pyramid
        count = len(reference.scales)
        for s, (scale, need) in enumerate(zip(reference.scales, reference.needs)):
            if scale is None:
                self.scales.append(None)
                continue
            c, (h, w) = len(scale.channels), scale.xyb.shape[1:]
            sigma = np.zeros((c, h, w), np.float32)
            for j, p in enumerate(scale.ssim):
                sigma[p] = scale.sigma[j]
            weights = np.zeros((c, 6))
            for p, channel in enumerate(scale.channels):
                for term in range(3):
                    for norm in range(2):
                        if need[channel][term][norm]:
                            weights[p, term * 2 + norm] = perceptual._WEIGHTS[
                                perceptual._weight_index(channel, s, norm, term, count)]
            self.scales.append((np.array(scale.channels, np.int32),
                                np.array([p in scale.ssim for p in range(c)], np.int32),
                                np.ascontiguousarray(scale.xyb), np.ascontiguousarray(scale.mu), sigma,
                                np.ascontiguousarray(scale.edge), weights))
        self.opsin = np.ascontiguousarray(perceptual._OPSIN.reshape(-1), dtype=np.float32)

    def scales_only(self, levels: list[np.ndarray]) -> float:
        total = 0.0
        for level, scale in zip(levels, self.scales):
            if scale is None:
                continue
            level = np.ascontiguousarray(level)
            channels, ssim, xyb, mu, sigma, edge, weights = scale
            total += self.lib.scale_score(level.shape[0], level.shape[1], level, len(channels), channels, ssim, xyb,
                                          mu, sigma, edge, weights, perceptual._TAPS, self.opsin, perceptual._BIAS,
                                          perceptual._CBRT_BIAS)
        return total

    def score(self, candidate: Image.Image) -> float:
        levels = self.levels(candidate) if self.pyramid else self.reference._levels(candidate)
        return perceptual._final(self.scales_only(levels))

    def levels(self, candidate: Image.Image) -> list[np.ndarray]:
        """``Reference._levels`` with the conversions and halvings in C (the tiles and the edge rule's
        repeated rows in numpy)."""
        reference, rgb = self.reference, perceptual._rgb(candidate)
        if reference.boxes is None:
            return self._pyramid(self._linear(rgb), perceptual._SCALES)
        tiled = self._pyramid(self._linear(perceptual._mosaic(rgb, reference.boxes, reference.grid)),
                              perceptual.FINE_SCALES)
        if rgb.shape[0] % 4 or rgb.shape[1] % 4:  # _quarter's edge rule, as it applies it
            rows, columns = _padded(rgb.shape[0]), _padded(rgb.shape[1])
            rgb = rgb[rows][:, columns]
        quarter = np.empty((rgb.shape[0] // 4, rgb.shape[1] // 4, 3), np.float32)
        self.lib.quarter(np.ascontiguousarray(rgb), rgb.shape[0], rgb.shape[1], perceptual._LINEAR_12, quarter)
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


#: ``perceptual._linear``'s table.
_LINEAR = perceptual._linear(np.arange(256, dtype=np.uint8))


def _padded(size: int) -> np.ndarray:
    """The rows (columns) of a side after ``perceptual._quarter``'s edge rule: the last repeated if the side
    is odd, then the last pair if half of it is."""
    source = list(range(size))
    source += source[-1:] * (len(source) % 2)
    return np.array(source + source[-2:] * (len(source) // 2 % 2))


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


def with_compiled_scores(folder: Path, flags: tuple[str, ...] = FLAGS, pyramid: bool = True) -> None:
    """Every ``perceptual.Reference`` of this process scores through the C engine from now on (its
    reference side stays numpy's; ``pyramid``: the candidate's levels in C too): what ``q=auto`` would
    do with such an engine."""
    lib = compiled(folder, flags)

    def score(self: perceptual.Reference, candidate: Image.Image) -> float:
        fast = self.__dict__.get("_compiled")
        if fast is None:
            fast = self.__dict__["_compiled"] = CompiledScore(lib, self, pyramid)
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
    rows: dict[tuple[str, str], list[tuple[float, float, float]]] = {}
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
                difference = max(abs(engine.score(candidate) - reference.score(candidate)) for engine in (fast, fuller))
                rows.setdefault((kind, where), []).append((c_scales / numpy_scales, whole, with_pyramid, difference))
                print(f"{path.name} {kind}: C / numpy {c_scales / numpy_scales:.2f} (scales), {whole:.2f} (score), "
                      f"{with_pyramid:.2f} (score, pyramid in C); score difference {difference:.4f}", flush=True)
    print("| kind | part | cases | C / numpy, per-scale work (median, range) | C / numpy, whole score (median) "
          "| ... with the pyramid in C too | largest score difference |")
    print("|---|---|---|---|---|---|---|")
    for (kind, where), values in sorted(rows.items()):
        scales = [v[0] for v in values]
        spread = f"{statistics.median(scales):.2f} ({min(scales):.2f}-{max(scales):.2f})"
        print(f"| {kind} | {where} | {len(values)} | {spread} | {statistics.median(v[1] for v in values):.2f} "
              f"| {statistics.median(v[2] for v in values):.2f} | {max(v[3] for v in values):.3f} |")


if __name__ == "__main__":
    main()
