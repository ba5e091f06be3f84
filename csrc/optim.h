/* optim.h - fused, in-place optimiser updates over flat parameter arrays,
 * with PyTorch's semantics (torch.optim.SGD, Adam, AdamW).
 *
 * One pass reads and writes each buffer once. Elements are independent, so
 * results are bitwise identical for any thread count and on the AVX2 and
 * portable paths alike. Scalars are taken in double and turned into the
 * float32 coefficients of the update once, as PyTorch does with Python
 * floats. Buffers must not overlap one another (GM_ERR_ARG). */
#ifndef GM_OPTIM_H
#define GM_OPTIM_H

#include "gm.h"

#ifdef __cplusplus
extern "C" {
#endif

/* param, grad, velocity (n); velocity may be NULL when momentum == 0 (it
 * is then left alone).
 *   g = grad + weight_decay * param
 *   if momentum: v = g on the first step, else momentum * v + (1 - dampening) * g
 *                g = g + momentum * v (nesterov) or v
 *   param -= lr * g
 * GM_ERR_ARG unless lr >= 0, momentum >= 0, weight_decay >= 0 and dampening
 * are finite, and nesterov has momentum > 0 and dampening == 0. */
gm_status gm_sgd_step(float *param, const float *grad, float *velocity,
                      size_t n, double lr, double momentum, double dampening,
                      double weight_decay, int nesterov, int first_step);

/* param, grad, m, v (n); step >= 1 counts this update (1 for the first).
 *   Adam (decoupled = 0): g = grad + weight_decay * param
 *   AdamW (decoupled = 1): param *= 1 - lr * weight_decay; g = grad
 *   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
 *   param -= lr / (1 - b1^step) * m / (sqrt(v) / sqrt(1 - b2^step) + eps)
 * GM_ERR_ARG unless lr >= 0, 0 <= beta1, beta2 < 1, eps > 0 and
 * weight_decay >= 0 are finite and step >= 1. */
gm_status gm_adam_step(float *param, const float *grad, float *m, float *v,
                       size_t n, int64_t step, double lr, double beta1,
                       double beta2, double eps, double weight_decay,
                       int decoupled);

#ifdef __cplusplus
}
#endif

#endif /* GM_OPTIM_H */
