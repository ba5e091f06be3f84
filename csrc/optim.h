/* optim.h - fused, in-place optimiser updates over flat parameter arrays,
 * with PyTorch's semantics (torch.optim.SGD, Adam, AdamW). */
#ifndef GM_OPTIM_H
#define GM_OPTIM_H

#include "gm.h"

#ifdef __cplusplus
extern "C" {
#endif

/* param, grad, velocity (n); velocity may be NULL when momentum == 0.
 * g = grad + weight_decay * param
 * momentum: v = g on the first step, else momentum * v + (1 - dampening) * g;
 *           g = g + momentum * v (nesterov) or v
 * param -= lr * g */
gm_status gm_sgd_step(float *param, const float *grad, float *velocity,
                      size_t n, float lr, float momentum, float dampening,
                      float weight_decay, int nesterov, int first_step);

/* param, grad, m, v (n); step >= 1 counts this update.
 * decoupled (AdamW): param *= 1 - lr * weight_decay, else (Adam) the decay
 * is added to the gradient. m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
 * param -= lr / (1 - b1^step) * m / (sqrt(v) / sqrt(1 - b2^step) + eps) */
gm_status gm_adam_step(float *param, const float *grad, float *m, float *v,
                       size_t n, int64_t step, float lr, float beta1,
                       float beta2, float eps, float weight_decay,
                       int decoupled);

#ifdef __cplusplus
}
#endif

#endif /* GM_OPTIM_H */
