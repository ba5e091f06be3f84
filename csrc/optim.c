/* optim.c - fused optimiser updates: one pass over each parameter array. */
#include "gm.h"
#include "parallel.h"

#include <math.h>

gm_status gm_sgd_step(float *param, const float *grad, float *velocity,
                      size_t n, float lr, float momentum, float dampening,
                      float weight_decay, int nesterov, int first_step)
{
    if (n && (!param || !grad || (momentum != 0.0f && !velocity)))
        return GM_ERR_ARG;
    if (!(lr >= 0.0f) || !(momentum >= 0.0f) || !(weight_decay >= 0.0f) ||
        (nesterov && (momentum <= 0.0f || dampening != 0.0f)))
        return GM_ERR_ARG;
    int threads = n >= GM_PARALLEL_MIN_ELEMENTS ? gm_get_num_threads() : 1;
    #pragma omp parallel for simd num_threads(threads) schedule(static)
    for (ptrdiff_t i = 0; i < (ptrdiff_t)n; i++) {
        float g = grad[i] + weight_decay * param[i];
        if (momentum != 0.0f) {
            float v = first_step ? g : momentum * velocity[i] + (1.0f - dampening) * g;
            velocity[i] = v;
            g = nesterov ? g + momentum * v : v;
        }
        param[i] -= lr * g;
    }
    return GM_OK;
}

gm_status gm_adam_step(float *param, const float *grad, float *m, float *v,
                       size_t n, int64_t step, float lr, float beta1,
                       float beta2, float eps, float weight_decay,
                       int decoupled)
{
    if (n && (!param || !grad || !m || !v))
        return GM_ERR_ARG;
    if (step < 1 || !(lr >= 0.0f) || !(beta1 >= 0.0f && beta1 < 1.0f) ||
        !(beta2 >= 0.0f && beta2 < 1.0f) || !(eps > 0.0f) ||
        !(weight_decay >= 0.0f))
        return GM_ERR_ARG;
    double bias1 = 1.0 - pow(beta1, (double)step);
    double bias2 = 1.0 - pow(beta2, (double)step);
    float step_size = (float)(lr / bias1);
    float inv_sqrt_bias2 = (float)(1.0 / sqrt(bias2));
    float decay = decoupled ? 1.0f - lr * weight_decay : 1.0f;
    float l2 = decoupled ? 0.0f : weight_decay;
    int threads = n >= GM_PARALLEL_MIN_ELEMENTS ? gm_get_num_threads() : 1;
    #pragma omp parallel for num_threads(threads) schedule(static)
    for (ptrdiff_t i = 0; i < (ptrdiff_t)n; i++) {
        float p = param[i] * decay;
        float g = grad[i] + l2 * param[i];
        float mi = beta1 * m[i] + (1.0f - beta1) * g;
        float vi = beta2 * v[i] + (1.0f - beta2) * g * g;
        m[i] = mi;
        v[i] = vi;
        param[i] = p - step_size * mi / (sqrtf(vi) * inv_sqrt_bias2 + eps);
    }
    return GM_OK;
}
