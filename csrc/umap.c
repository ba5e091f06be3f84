/* umap.c - UMAP layout epochs (McInnes, Healy & Melville 2018), applied
 * Jacobi-style from each epoch's starting positions so that threads never
 * race and the result does not depend on their number. */
#include "gm.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define UMAP_CLIP 4.0f
#define UMAP_STREAM 8            /* the "layout" stream of genmodels.ops */
#define UMAP_MAX_NEGATIVES 256   /* per edge and epoch */

static inline float clip(float v)
{
    return v > UMAP_CLIP ? UMAP_CLIP : (v < -UMAP_CLIP ? -UMAP_CLIP : v);
}

/* x^y for x > 0 through log2 and exp2 polynomials (relative error < 1e-4,
 * far below what the stochastic layout can notice) at a fraction of powf's
 * cost: the layout spends most of its time here. */
static inline float fast_pow(float x, float y)
{
    union { float f; uint32_t u; } v = {x};
    int exponent = (int)((v.u >> 23) & 0xff) - 127;
    v.u = (v.u & 0x007fffffu) | 0x3f800000u;             /* mantissa in [1, 2) */
    float m = v.f, t = (m - 1.0f) / (m + 1.0f), t2 = t * t;
    /* log2(m) = 2/ln2 * atanh(t) */
    float log2m = t * (2.885390082f + t2 * (0.961796694f + t2 * (0.577078016f + t2 * 0.412198571f)));
    float z = y * ((float)exponent + log2m);
    if (z < -126.0f)
        return 0.0f;
    if (z > 127.0f)
        return INFINITY;
    float zi = floorf(z), f = z - zi;                    /* 2^f for f in [0, 1) */
    float p = 1.0f + f * (0.693147181f + f * (0.240226507f + f * (0.0555041087f +
              f * (0.00961812911f + f * (0.00133335581f + f * 0.000154035304f)))));
    union { float f; uint32_t u; } e = {.u = (uint32_t)((int)zi + 127) << 23};
    return p * e.f;
}

static inline float dist2(const float *u, const float *v, ptrdiff_t dim)
{
    float s = 0;
    for (ptrdiff_t c = 0; c < dim; c++)
        s += (u[c] - v[c]) * (u[c] - v[c]);
    return s;
}

gm_status gm_umap_optimize(float *head, const float *tail,
                           const gm_umap_graph *g, float *next_sample,
                           float *next_negative, ptrdiff_t dim,
                           int first_epoch, int n_epochs, int total_epochs,
                           float a, float b, float gamma, float initial_alpha,
                           float negative_sample_rate, uint64_t seed)
{
    if (!g || g->n_heads < 0 || g->n_tails < 1 || dim < 1 || n_epochs < 0 ||
        total_epochs < 1 || first_epoch < 0 || !(a > 0) || !(b > 0) ||
        !(negative_sample_rate >= 0) || (g->n_heads && (!head || !g->indptr)))
        return GM_ERR_ARG;
    ptrdiff_t n = g->n_heads;
    int64_t nnz = g->indptr[n];
    for (int64_t e = 0; e < nnz; e++)
        if (g->indices[e] < 0 || g->indices[e] >= g->n_tails || !(g->epochs_per_sample[e] > 0))
            return GM_ERR_ARG;
    int fitting = tail == NULL;
    if (fitting && g->n_tails != n)
        return GM_ERR_ARG;
    float *start = malloc(sizeof(float) * (size_t)(n * dim));
    float *move = malloc(sizeof(float) * (size_t)(n * dim));
    if (!start || !move) {
        free(start), free(move);
        return GM_ERR_NOMEM;
    }
    for (int epoch = first_epoch; epoch < first_epoch + n_epochs; epoch++) {
        float alpha = initial_alpha * (1.0f - (float)epoch / (float)total_epochs);
        memcpy(start, head, sizeof(float) * (size_t)(n * dim));
        const float *others = fitting ? start : tail;
        #pragma omp parallel for num_threads(gm_get_num_threads()) schedule(dynamic, 64)
        for (ptrdiff_t i = 0; i < n; i++) {
            const float *yi = start + i * dim;
            float *mi = move + i * dim;
            memset(mi, 0, sizeof(float) * (size_t)dim);
            for (int64_t e = g->indptr[i]; e < g->indptr[i + 1]; e++) {
                if (next_sample[e] > (float)epoch)
                    continue;
                const float *yj = others + g->indices[e] * dim;
                float d2 = dist2(yi, yj, dim);
                if (d2 > 0) {
                    float pb = fast_pow(d2, b);     /* d2^(b-1) = pb / d2: one pow */
                    float coeff = -2.0f * a * b * (pb / d2) / (a * pb + 1.0f);
                    for (ptrdiff_t c = 0; c < dim; c++)
                        mi[c] += alpha * clip(coeff * (yi[c] - yj[c]));
                }
                next_sample[e] += g->epochs_per_sample[e];
                float per_negative = g->epochs_per_sample[e] / (negative_sample_rate > 0 ? negative_sample_rate : 1);
                int n_neg = negative_sample_rate > 0 ? (int)((epoch - next_negative[e]) / per_negative) : 0;
                n_neg = n_neg < 0 ? 0 : (n_neg > UMAP_MAX_NEGATIVES ? UMAP_MAX_NEGATIVES : n_neg);
                for (int s = 0; s < n_neg; s++) {
                    uint64_t address = ((uint64_t)epoch * (uint64_t)nnz + (uint64_t)e) * UMAP_MAX_NEGATIVES + (uint64_t)s;
                    ptrdiff_t k = (ptrdiff_t)(((uint64_t)gm_rng_u32_at(seed, UMAP_STREAM, address) * (uint64_t)g->n_tails) >> 32);
                    if (fitting && k == i)
                        continue;
                    const float *yk = others + k * dim;
                    float dk = dist2(yi, yk, dim);
                    if (dk <= 0)
                        continue;
                    float coeff = 2.0f * gamma * b / ((0.001f + dk) * (a * fast_pow(dk, b) + 1.0f));
                    for (ptrdiff_t c = 0; c < dim; c++)
                        mi[c] += alpha * clip(coeff * (yi[c] - yk[c]));
                }
                next_negative[e] += n_neg * per_negative;
            }
        }
        #pragma omp parallel for num_threads(gm_get_num_threads()) schedule(static)
        for (ptrdiff_t t = 0; t < n * dim; t++)
            head[t] += move[t];
    }
    free(start), free(move);
    return GM_OK;
}
