/* SSIMULACRA2 as imgedge.core.perceptual computes it, compiled: the pyramid's levels, a reference's scale
   and a candidate's scale against it. Built by tooling/native.py into the libraries imgedge.core.native
   loads; perceptual passes every constant (taps, opsin, bias, weights) but SSIM's C2 and the XYB offsets,
   written here as in its code (tests hold the two engines' levels equal and their scores within 0.06).
   The cube root is a loop of its own so that, with -ffast-math -fopenmp-simd, it runs on glibc's vector
   expf and logf. No allocation outlives a call; a failed one returns -1. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#define R 5

static void blur(const float *in, float *out, float *tmp, float *row, int h, int w, const float *taps) {
    for (int y = 0; y < h; y++) { /* down, mirrored at the top and bottom */
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
    for (int y = 0; y < h; y++) { /* across, zeros beyond the sides */
        memcpy(row + R, tmp + (size_t)y * w, (size_t)w * sizeof(float));
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
static int to_xyb(const float *lin, size_t n, int c, const int *channels, float *xyb, const float *opsin,
                  float bias, float cbrt_bias) {
    float *m0 = malloc(sizeof(float) * n), *m1 = malloc(sizeof(float) * n), *m2 = malloc(sizeof(float) * n);
    if (!m0 || !m1 || !m2) { free(m0); free(m1); free(m2); return -1; }
    #pragma omp simd
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
    return 0;
}

/* One scale of a candidate against the reference's: the weighted norms of its SSIM, ringing and blurring
   maps (``weights``: six per plane, SSIM, ringing, blurring by mean and 4-norm; 0 skips). ``ref_sigma``
   holds the SSIM planes' only (``is_ssim``), in their order. -1 when memory runs out. */
double scale_score(int h, int w, const float *lin, int c, const int *channels, const int *is_ssim,
                   const float *ref_xyb, const float *ref_mu, const float *ref_sigma, const float *ref_edge,
                   const double *weights, const float *taps, const float *opsin, float bias, float cbrt_bias) {
    size_t n = (size_t)h * w;
    float *xyb = malloc(sizeof(float) * n * c), *a = malloc(sizeof(float) * n), *b = malloc(sizeof(float) * n);
    float *mu = malloc(sizeof(float) * n), *s22 = malloc(sizeof(float) * n), *s12 = malloc(sizeof(float) * n);
    float *tmp = malloc(sizeof(float) * n), *row = calloc((size_t)w + 2 * R, sizeof(float));
    double total = -1;
    if (!xyb || !a || !b || !mu || !s22 || !s12 || !tmp || !row) goto done;
    if (to_xyb(lin, n, c, channels, xyb, opsin, bias, cbrt_bias)) goto done;
    total = 0;
    double mean, four;
    for (int p = 0, j = 0; p < c; p++) {
        const float *x2 = xyb + p * n, *x1 = ref_xyb + p * n, *m1 = ref_mu + p * n, *e1 = ref_edge + p * n;
        const double *wt = weights + 6 * p;
        blur(x2, mu, tmp, row, h, w, taps);
        if (is_ssim[p]) {
            for (size_t i = 0; i < n; i++) { a[i] = x2[i] * x2[i]; b[i] = x2[i] * x1[i]; }
            blur(a, s22, tmp, row, h, w, taps);
            blur(b, s12, tmp, row, h, w, taps);
            const float *sigma = ref_sigma + (size_t)j++ * n;
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
done:
    free(xyb); free(a); free(b); free(mu); free(s22); free(s12); free(tmp); free(row);
    return total;
}

/* The reference side of one scale: XYB, its blurred mean, for the SSIM planes (in their order) the
   blurred square less the squared mean plus C2, and 1 / (1 + |xyb - mu|). -1 when memory runs out. */
int reference_scale(int h, int w, const float *lin, int c, const int *channels, const int *is_ssim, float *xyb,
                    float *mu, float *sigma, float *edge, const float *taps, const float *opsin, float bias,
                    float cbrt_bias) {
    size_t n = (size_t)h * w;
    float *a = malloc(sizeof(float) * n), *tmp = malloc(sizeof(float) * n);
    float *row = calloc((size_t)w + 2 * R, sizeof(float));
    int status = -1;
    if (!a || !tmp || !row) goto done;
    if (to_xyb(lin, n, c, channels, xyb, opsin, bias, cbrt_bias)) goto done;
    for (int p = 0, j = 0; p < c; p++) {
        const float *x = xyb + p * n;
        float *m = mu + p * n, *e = edge + p * n;
        blur(x, m, tmp, row, h, w, taps);
        if (is_ssim[p]) {
            float *sg = sigma + (size_t)j++ * n;
            for (size_t i = 0; i < n; i++) a[i] = x[i] * x[i];
            blur(a, sg, tmp, row, h, w, taps);
            for (size_t i = 0; i < n; i++) sg[i] = (sg[i] - m[i] * m[i]) + 0.0009f;
        }
        for (size_t i = 0; i < n; i++) e[i] = 1.f / (1.f + fabsf(x[i] - m[i]));
    }
    status = 0;
done:
    free(a); free(tmp); free(row);
    return status;
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
            for (int k = 0; k < 3; k++)
                o[3 * x + k] = ((r0[3 * x0 + k] + r1[3 * x0 + k]) + (r0[3 * x1 + k] + r1[3 * x1 + k])) * 0.25f;
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
            for (int k = 0; k < 3; k++) {
                unsigned sum = 0;
                for (int dy = 0; dy < 4; dy++)
                    sum += table[r[dy][3 * cx[0] + k]] + table[r[dy][3 * cx[1] + k]] + table[r[dy][3 * cx[2] + k]]
                           + table[r[dy][3 * cx[3] + k]];
                o[3 * x + k] = sum * (1.f / (16 * 4095));
            }
        }
    }
}
