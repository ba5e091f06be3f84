/* batchnorm.h - batch normalisation over (n, c, inner) tensors: inner = 1
 * for BatchNorm1d on (n, c), h*w for BatchNorm2d on (n, c, h, w). */
#ifndef GM_BATCHNORM_H
#define GM_BATCHNORM_H

#include "gm.h"

#ifdef __cplusplus
extern "C" {
#endif

/* x (n, c, inner) -> y (n, c, inner); gamma, beta, running_mean,
 * running_var, save_mean, save_invstd (c).
 * training: normalise with the batch mean and biased variance, save them
 * (save_invstd = 1/sqrt(var + eps)) and update the running statistics in
 * place as PyTorch does, with the unbiased variance. Otherwise normalise
 * with the running statistics (saved too, for the backward pass).
 * Training needs n * inner >= 2 (a variance), else GM_ERR_ARG. */
gm_status gm_batchnorm_forward(float *y, float *save_mean, float *save_invstd,
                               const float *x, const float *gamma,
                               const float *beta, float *running_mean,
                               float *running_var, size_t n, size_t c,
                               size_t inner, int training, float momentum,
                               float eps);

/* dy, x (n, c, inner) -> dx (n, c, inner); dgamma, dbeta (c) accumulate.
 * training selects the batch-statistics gradient; otherwise the statistics
 * were constants and the map is affine. */
gm_status gm_batchnorm_backward(float *dx, float *dgamma, float *dbeta,
                                const float *dy, const float *x,
                                const float *gamma, const float *save_mean,
                                const float *save_invstd, size_t n, size_t c,
                                size_t inner, int training);

#ifdef __cplusplus
}
#endif

#endif /* GM_BATCHNORM_H */
