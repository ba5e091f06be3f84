/* umap.c - UMAP layout epochs, applied Jacobi-style from each epoch's
 * starting positions so that threads never race and the result does not
 * depend on their number. The forces are umap-learn's
 * (optimize_layout_euclidean): for the curve 1 / (1 + a d^(2b)),
 *   attraction  -2ab d^(2(b-1)) / (1 + a d^(2b)) (y_i - y_j)
 *   repulsion   2 gamma b / ((0.001 + d^2)(1 + a d^(2b))) (y_i - y_k)
 * each coordinate clipped to [-4, 4]. */
#include "gm.h"

#include <stdlib.h>
#include <string.h>

#define UMAP_CLIP 4.0f
#define UMAP_MAX_NEGATIVES 256   /* per edge and epoch */

/* ---- the epochs ---------------------------------------------------------- */

static inline float clip(float v)
{
    return v > UMAP_CLIP ? UMAP_CLIP : (v < -UMAP_CLIP ? -UMAP_CLIP : v);
}

static inline float dist2(const float *u, const float *v, ptrdiff_t dim)
{
    float s = 0;
    for (ptrdiff_t c = 0; c < dim; c++)
        s += (u[c] - v[c]) * (u[c] - v[c]);
    return s;
}

typedef struct {
    const gm_umap_graph *g;
    const float *others;    /* the tails' positions at the start of the epoch */
    float *next_sample, *next_negative;
    ptrdiff_t dim;
    float a, b, gamma, alpha, rate;
    int fitting;
    uint64_t seed, nnz;
} epoch_args;

/* The steps one head takes in an epoch, gathered so that their distances
 * (independent loads: many cache misses in flight at once) and
 * coefficients are computed many at a time, then applied in order. */
#define UMAP_JOBS 512   /* a multiple of the 8 vector lanes */
typedef struct {
    int64_t other[UMAP_JOBS];
    float d2[UMAP_JOBS], coeff[UMAP_JOBS];
    float dx[UMAP_JOBS], dy[UMAP_JOBS];   /* start_i - y for 2-D layouts */
    uint8_t attract[UMAP_JOBS];
    int count;
} step_jobs;

/* 2-D layouts, the common case, get the coordinates' differences once;
 * the operations and their order are dist2's and the general loop's, so
 * both give the same bits. */
static void flush_jobs_2d(step_jobs *jobs, float *yi, const float *start_i, const epoch_args *p)
{
    int count = jobs->count;
    const float *others = p->others;
    float x0 = start_i[0], x1 = start_i[1];
    for (int s = 0; s < count; s++) {
        const float *y = others + 2 * jobs->other[s];
        float dx = x0 - y[0], dy = x1 - y[1];
        jobs->dx[s] = dx;
        jobs->dy[s] = dy;
        jobs->d2[s] = dx * dx + dy * dy;
    }
    /* whole vectors of coefficients: the padding's are computed, never used */
    int padded = (count + 7) & ~7;
    for (int s = count; s < padded; s++) {
        jobs->d2[s] = 1.0f;
        jobs->attract[s] = 0;
    }
    gm_umap_coefficients(jobs->coeff, jobs->d2, jobs->attract, padded, p->a, p->b, p->gamma);
    float alpha = p->alpha, y0 = yi[0], y1 = yi[1];
    for (int s = 0; s < count; s++) {
        float coeff = jobs->coeff[s];
        /* coincident points have coeff 0, and clip(0 * d) = 0: no step */
        y0 += alpha * clip(coeff * jobs->dx[s]);
        y1 += alpha * clip(coeff * jobs->dy[s]);
    }
    yi[0] = y0;
    yi[1] = y1;
    jobs->count = 0;
}

static void flush_jobs(step_jobs *jobs, float *yi, const float *start_i, const epoch_args *p)
{
    if (p->dim == 2) {
        flush_jobs_2d(jobs, yi, start_i, p);
        return;
    }
    ptrdiff_t dim = p->dim;
    for (int s = 0; s < jobs->count; s++)
        jobs->d2[s] = dist2(start_i, p->others + jobs->other[s] * dim, dim);
    gm_umap_coefficients(jobs->coeff, jobs->d2, jobs->attract, jobs->count, p->a, p->b, p->gamma);
    for (int s = 0; s < jobs->count; s++) {
        float coeff = jobs->coeff[s];
        if (coeff == 0.0f)   /* coincident points: no step (umap-learn) */
            continue;
        const float *y = p->others + jobs->other[s] * dim;
        for (ptrdiff_t c = 0; c < dim; c++)
            yi[c] += p->alpha * clip(coeff * (start_i[c] - y[c]));
    }
    jobs->count = 0;
}

/* Makes room for `more` jobs (at most UMAP_JOBS), flushing if needed. */
static inline void reserve_jobs(step_jobs *jobs, int more, float *yi, const float *start_i,
                                const epoch_args *p)
{
    if (jobs->count + more > UMAP_JOBS)
        flush_jobs(jobs, yi, start_i, p);
}

/* Moves head i (yi, in place) by its due edges in `epoch`: their pulls,
 * then their negative samples. Head i draws its samples from Philox
 * positions (epoch * nnz + indptr[i]) * 256 on of (seed, GM_UMAP_STREAM),
 * one span for all its edges (at most 256 samples each, so heads and
 * epochs never share a position). */
static void move_head(float *yi, const float *start_i, ptrdiff_t i, int epoch, const epoch_args *p,
                      step_jobs *jobs)
{
    const gm_umap_graph *g = p->g;
    int64_t n_negative = 0;
    for (int64_t e = g->indptr[i]; e < g->indptr[i + 1]; e++) {
        if (p->next_sample[e] > (float)epoch)
            continue;
        reserve_jobs(jobs, 1, yi, start_i, p);
        jobs->other[jobs->count] = g->indices[e];
        jobs->attract[jobs->count++] = 1;
        float eps = g->epochs_per_sample[e];
        p->next_sample[e] += eps;
        if (!(p->rate > 0))
            continue;
        float per_negative = eps / p->rate;
        int n_neg = (int)(((float)epoch - p->next_negative[e]) / per_negative);
        n_neg = n_neg < 0 ? 0 : (n_neg > UMAP_MAX_NEGATIVES ? UMAP_MAX_NEGATIVES : n_neg);
        p->next_negative[e] += (float)n_neg * per_negative;
        n_negative += n_neg;
    }
    uint64_t position = ((uint64_t)epoch * p->nnz + (uint64_t)g->indptr[i]) * UMAP_MAX_NEGATIVES;
    uint32_t draws[UMAP_JOBS];
    uint64_t n_tails = (uint64_t)g->n_tails;
    int64_t self = p->fitting ? (int64_t)i : -1;   /* a head is not its own negative sample */
    for (int64_t done = 0; done < n_negative; done += UMAP_JOBS) {
        int batch = n_negative - done < UMAP_JOBS ? (int)(n_negative - done) : UMAP_JOBS;
        gm_rng_u32_span(draws, (size_t)batch, p->seed, GM_UMAP_STREAM, position + (uint64_t)done);
        reserve_jobs(jobs, batch, yi, start_i, p);
        int count = jobs->count;
        for (int s = 0; s < batch; s++) {
            int64_t k = (int64_t)(((uint64_t)draws[s] * n_tails) >> 32);
            __builtin_prefetch(p->others + k * p->dim);   /* a likely cache miss: start it now */
            jobs->other[count] = k;
            jobs->attract[count] = 0;
            count += k != self;
        }
        jobs->count = count;
    }
    flush_jobs(jobs, yi, start_i, p);
}

gm_status gm_umap_optimize(float *head, const float *tail,
                           const gm_umap_graph *g, float *next_sample,
                           float *next_negative, ptrdiff_t dim,
                           int first_epoch, int n_epochs, int total_epochs,
                           float a, float b, float gamma, float initial_alpha,
                           float negative_sample_rate, uint64_t seed)
{
    if (!g || g->n_heads < 0 || g->n_tails < 1 || dim < 1 || n_epochs < 0 ||
        total_epochs < 1 || first_epoch < 0 || !(a > 0) || !(b > 0) || !(gamma >= 0) ||
        !(initial_alpha >= 0) || !(negative_sample_rate >= 0) || !g->indptr ||
        (g->n_heads && !head))
        return GM_ERR_ARG;
    ptrdiff_t n = g->n_heads;
    int64_t nnz = g->indptr[n];
    if (g->indptr[0] != 0 || nnz < 0 || (nnz && (!g->indices || !g->epochs_per_sample || !next_sample ||
                                                 !next_negative)))
        return GM_ERR_ARG;
    for (ptrdiff_t i = 0; i < n; i++)
        if (g->indptr[i + 1] < g->indptr[i])
            return GM_ERR_ARG;
    for (int64_t e = 0; e < nnz; e++)
        if (g->indices[e] < 0 || g->indices[e] >= g->n_tails || !(g->epochs_per_sample[e] > 0))
            return GM_ERR_ARG;
    int fitting = tail == NULL;
    if (fitting && g->n_tails != n)
        return GM_ERR_ARG;
    if (n == 0 || n_epochs == 0)
        return GM_OK;
    float *start = malloc(sizeof(float) * (size_t)(n * dim));
    if (!start)
        return GM_ERR_NOMEM;
    epoch_args p = {g, fitting ? start : tail, next_sample, next_negative, dim, a, b, gamma, 0.0f,
                    negative_sample_rate, fitting, seed, (uint64_t)nnz};
    for (int epoch = first_epoch; epoch < first_epoch + n_epochs; epoch++) {
        p.alpha = initial_alpha * (1.0f - (float)epoch / (float)total_epochs);
        memcpy(start, head, sizeof(float) * (size_t)(n * dim));
        #pragma omp parallel num_threads(gm_get_num_threads())
        {
            step_jobs jobs;
            jobs.count = 0;
            #pragma omp for schedule(dynamic, 64)
            for (ptrdiff_t i = 0; i < n; i++)
                move_head(head + i * dim, start + i * dim, i, epoch, &p, &jobs);
        }
    }
    free(start);
    return GM_OK;
}
