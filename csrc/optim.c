/* optim.c - fused optimiser updates: one vectorised pass over each
 * parameter array, split across threads in fixed chunks.
 *
 * The loop bodies are compiled twice, portable and AVX2. The AVX2 target
 * leaves out FMA, so no multiply-add can be fused, and sqrt and division
 * are IEEE: both give the same bits and the choice never changes a result. */
#include "gm.h"

#include <math.h>

#define OPTIM_CHUNK 16384          /* elements per parallel task */
#define OPTIM_PARALLEL_MIN 65536   /* below this one thread does the update */

#define ALWAYS_INLINE inline __attribute__((always_inline))
#if defined(__x86_64__) || defined(__i386__)
#define HAVE_AVX2_PATH 1
#define TARGET_AVX2 __attribute__((target("avx2")))
#endif

/* a (n) and b (n) share no byte */
static int disjoint(const float *a, const float *b, size_t n)
{
    if (!a || !b || n == 0)
        return 1;
    uintptr_t x = (uintptr_t)a, y = (uintptr_t)b, bytes = n * sizeof(float);
    return x + bytes <= y || y + bytes <= x;
}

static int finite_at_least(double x, double low)
{
    return isfinite(x) && x >= low;
}

/* ---- SGD ------------------------------------------------------------------ */

typedef struct {
    float lr, momentum, damp_keep, weight_decay;   /* damp_keep = 1 - dampening */
    int nesterov, first_step;
} sgd_coef;

static ALWAYS_INLINE void sgd_body(float *restrict p, const float *restrict g,
                                   float *restrict v, size_t n, const sgd_coef *k)
{
    const float lr = k->lr, mom = k->momentum, keep = k->damp_keep, wd = k->weight_decay;
    const int decay = wd != 0.0f;   /* as PyTorch: no 0 * param term (Inf/NaN) */
    if (!v) {
        #pragma omp simd
        for (size_t i = 0; i < n; i++) {
            float d = decay ? g[i] + wd * p[i] : g[i];
            p[i] = p[i] - lr * d;
        }
    } else if (k->first_step) {
        #pragma omp simd
        for (size_t i = 0; i < n; i++) {
            float d = decay ? g[i] + wd * p[i] : g[i];
            v[i] = d;
            d = k->nesterov ? d + mom * d : d;
            p[i] = p[i] - lr * d;
        }
    } else {
        #pragma omp simd
        for (size_t i = 0; i < n; i++) {
            float d = decay ? g[i] + wd * p[i] : g[i];
            float b = mom * v[i] + keep * d;
            v[i] = b;
            d = k->nesterov ? d + mom * b : b;
            p[i] = p[i] - lr * d;
        }
    }
}

static void sgd_portable(float *p, const float *g, float *v, size_t n,
                         const sgd_coef *k)
{
    sgd_body(p, g, v, n, k);
}

#ifdef HAVE_AVX2_PATH
TARGET_AVX2 static void sgd_avx2(float *p, const float *g, float *v, size_t n,
                                 const sgd_coef *k)
{
    sgd_body(p, g, v, n, k);
}
#endif

gm_status gm_sgd_step(float *param, const float *grad, float *velocity,
                      size_t n, double lr, double momentum, double dampening,
                      double weight_decay, int nesterov, int first_step)
{
    // param (n), grad (n), velocity (n) or NULL when momentum == 0
    if (!finite_at_least(lr, 0.0) || !finite_at_least(momentum, 0.0) ||
        !finite_at_least(weight_decay, 0.0) || !isfinite(dampening) ||
        (nesterov && (momentum <= 0.0 || dampening != 0.0)))
        return GM_ERR_ARG;
    if (momentum == 0.0)
        velocity = NULL;
    if (n && (!param || !grad || (momentum != 0.0 && !velocity)))
        return GM_ERR_ARG;
    if (!disjoint(param, grad, n) || !disjoint(param, velocity, n) ||
        !disjoint(grad, velocity, n))
        return GM_ERR_ARG;
    sgd_coef k = {(float)lr, (float)momentum, (float)(1.0 - dampening),
                  (float)weight_decay, nesterov != 0, first_step != 0};
    void (*body)(float *, const float *, float *, size_t, const sgd_coef *) = sgd_portable;
#ifdef HAVE_AVX2_PATH
    if (gm_cpu_features() & GM_CPU_AVX2_FMA)
        body = sgd_avx2;
#endif
    ptrdiff_t chunks = (ptrdiff_t)((n + OPTIM_CHUNK - 1) / OPTIM_CHUNK);
    int threads = n >= OPTIM_PARALLEL_MIN ? gm_get_num_threads() : 1;
    #pragma omp parallel for num_threads(threads) if (threads > 1) schedule(static)
    for (ptrdiff_t c = 0; c < chunks; c++) {
        size_t start = (size_t)c * OPTIM_CHUNK;
        size_t len = n - start < OPTIM_CHUNK ? n - start : OPTIM_CHUNK;
        body(param + start, grad + start, velocity ? velocity + start : NULL, len, &k);
    }
    return GM_OK;
}

/* ---- Adam / AdamW ------------------------------------------------------- */

typedef struct {
    float decay;          /* AdamW: 1 - lr * weight_decay; Adam: 1 */
    float l2;             /* Adam: weight_decay; AdamW: 0 */
    float beta1, keep1;   /* keep = 1 - beta */
    float beta2, keep2;
    float step_size;      /* lr / (1 - beta1^step) */
    float inv_bias2_sqrt; /* 1 / sqrt(1 - beta2^step) */
    float eps;
} adam_coef;

static ALWAYS_INLINE void adam_body(float *restrict p, const float *restrict g,
                                    float *restrict m, float *restrict v,
                                    size_t n, const adam_coef *k)
{
    const float decay = k->decay, l2 = k->l2, b1 = k->beta1, keep1 = k->keep1;
    const float b2 = k->beta2, keep2 = k->keep2, step_size = k->step_size;
    const float inv_bias2_sqrt = k->inv_bias2_sqrt, eps = k->eps;
    const int decoupled = decay != 1.0f, coupled = l2 != 0.0f;
    #pragma omp simd
    for (size_t i = 0; i < n; i++) {
        float w = decoupled ? p[i] * decay : p[i];
        float d = coupled ? g[i] + l2 * p[i] : g[i];
        float mi = b1 * m[i] + keep1 * d;
        float vi = b2 * v[i] + keep2 * d * d;
        m[i] = mi;
        v[i] = vi;
        float denom = sqrtf(vi) * inv_bias2_sqrt + eps;   /* one division, not two */
        p[i] = w - step_size * mi / denom;
    }
}

static void adam_portable(float *p, const float *g, float *m, float *v,
                          size_t n, const adam_coef *k)
{
    adam_body(p, g, m, v, n, k);
}

#ifdef HAVE_AVX2_PATH
TARGET_AVX2 static void adam_avx2(float *p, const float *g, float *m, float *v,
                                  size_t n, const adam_coef *k)
{
    adam_body(p, g, m, v, n, k);
}
#endif

gm_status gm_adam_step(float *param, const float *grad, float *m, float *v,
                       size_t n, int64_t step, double lr, double beta1,
                       double beta2, double eps, double weight_decay,
                       int decoupled)
{
    // param (n), grad (n), m (n), v (n)
    if (step < 1 || !finite_at_least(lr, 0.0) || !(beta1 >= 0.0 && beta1 < 1.0) ||
        !(beta2 >= 0.0 && beta2 < 1.0) || !(isfinite(eps) && eps > 0.0) ||
        !finite_at_least(weight_decay, 0.0))
        return GM_ERR_ARG;
    if (n && (!param || !grad || !m || !v))
        return GM_ERR_ARG;
    if (!disjoint(param, grad, n) || !disjoint(param, m, n) ||
        !disjoint(param, v, n) || !disjoint(grad, m, n) ||
        !disjoint(grad, v, n) || !disjoint(m, v, n))
        return GM_ERR_ARG;
    double bias1 = 1.0 - pow(beta1, (double)step);
    double bias2 = 1.0 - pow(beta2, (double)step);
    adam_coef k = {
        .decay = decoupled ? (float)(1.0 - lr * weight_decay) : 1.0f,
        .l2 = decoupled ? 0.0f : (float)weight_decay,
        .beta1 = (float)beta1, .keep1 = (float)(1.0 - beta1),
        .beta2 = (float)beta2, .keep2 = (float)(1.0 - beta2),
        .step_size = (float)(lr / bias1),
        .inv_bias2_sqrt = (float)(1.0 / sqrt(bias2)),
        .eps = (float)eps,
    };
    /* beta^step <= beta < 1, so both corrections are positive */
    void (*body)(float *, const float *, float *, float *, size_t,
                 const adam_coef *) = adam_portable;
#ifdef HAVE_AVX2_PATH
    if (gm_cpu_features() & GM_CPU_AVX2_FMA)
        body = adam_avx2;
#endif
    ptrdiff_t chunks = (ptrdiff_t)((n + OPTIM_CHUNK - 1) / OPTIM_CHUNK);
    int threads = n >= OPTIM_PARALLEL_MIN ? gm_get_num_threads() : 1;
    #pragma omp parallel for num_threads(threads) if (threads > 1) schedule(static)
    for (ptrdiff_t c = 0; c < chunks; c++) {
        size_t start = (size_t)c * OPTIM_CHUNK;
        size_t len = n - start < OPTIM_CHUNK ? n - start : OPTIM_CHUNK;
        body(param + start, grad + start, m + start, v + start, len, &k);
    }
    return GM_OK;
}
