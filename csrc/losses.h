/* losses.h - per-example losses (nats, summed over features) and their
 * gradients. Every loss writes loss[n] and, when grad buffers are given,
 * the gradient of scale * sum_i loss[i] w.r.t. its inputs. */
#ifndef GM_LOSSES_H
#define GM_LOSSES_H

#include "gm.h"

#ifdef __cplusplus
extern "C" {
#endif

/* logits, targets (n, d) -> loss (n); grad (n, d) or NULL.
 * loss = sum_j max(x,0) - x*t + log(1 + exp(-|x|)); targets in [0, 1]. */
gm_status gm_bce_with_logits(float *loss, float *grad, const float *logits,
                             const float *targets, size_t n, size_t d,
                             float scale);

/* pred, target (n, d) -> loss (n) = sum_j (pred - target)^2; grad or NULL. */
gm_status gm_mse(float *loss, float *grad, const float *pred,
                 const float *target, size_t n, size_t d, float scale);

/* logits (n, k), labels (n) in [0, k) -> loss (n); grad (n, k) or NULL.
 * GM_ERR_ARG if a label is out of range (nothing is read out of bounds). */
gm_status gm_softmax_cross_entropy(float *loss, float *grad,
                                   const float *logits, const int64_t *labels,
                                   size_t n, size_t k, float scale);

/* mu, logvar (n, d) -> loss (n) = KL(N(mu, exp(logvar)) || N(0, I));
 * grad_mu, grad_logvar (n, d) or NULL (both or neither). */
gm_status gm_gaussian_kl(float *loss, float *grad_mu, float *grad_logvar,
                         const float *mu, const float *logvar, size_t n,
                         size_t d, float scale);

/* How the log-variance of gm_gaussian_nll is laid out. */
typedef enum {
    GM_LOGVAR_FULL = 0,         /* (n, d): one per element */
    GM_LOGVAR_PER_FEATURE = 1,  /* (d): shared by the batch */
    GM_LOGVAR_SCALAR = 2        /* (1): shared by everything */
} gm_logvar_layout;

/* mean, target (n, d), logvar by layout -> loss (n) =
 * sum_j 0.5 * (log(2 pi) + logvar + (target - mean)^2 / exp(logvar)).
 * grad_mean (n, d) and grad_logvar (shaped like logvar) or NULL; the
 * broadcast logvar gradients are summed over the batch in a fixed order. */
gm_status gm_gaussian_nll(float *loss, float *grad_mean, float *grad_logvar,
                          const float *mean, const float *target,
                          const float *logvar, gm_logvar_layout layout,
                          size_t n, size_t d, float scale);

#ifdef __cplusplus
}
#endif

#endif /* GM_LOSSES_H */
