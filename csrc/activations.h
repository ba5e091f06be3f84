/* activations.h - pointwise activations, bias add and bias gradient. */
#ifndef GM_ACTIVATIONS_H
#define GM_ACTIVATIONS_H

#include "gm.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    GM_ACT_RELU = 0,
    GM_ACT_LEAKY_RELU = 1,   /* alpha: slope for x < 0 */
    GM_ACT_SIGMOID = 2,
    GM_ACT_TANH = 3,
    GM_ACT_SOFTPLUS = 4
} gm_activation;

/* x (n) -> y (n); y may equal x. */
gm_status gm_activation_forward(float *y, const float *x, size_t n,
                                gm_activation kind, float alpha);

/* dy (n) -> dx (n); dx may equal dy. relu, leaky_relu and softplus read the
 * forward input x; sigmoid and tanh read the forward output y. */
gm_status gm_activation_backward(float *dx, const float *dy, const float *x,
                                 const float *y, size_t n, gm_activation kind,
                                 float alpha);

/* x (n, c, inner) + bias (c) -> y (n, c, inner); y may equal x. */
gm_status gm_bias_add(float *y, const float *x, const float *bias, size_t n,
                      size_t c, size_t inner);

/* dy (n, c, inner) -> db (c): sum over n and inner, in a fixed order;
 * accumulate != 0 adds into db. */
gm_status gm_bias_grad(float *db, const float *dy, size_t n, size_t c,
                       size_t inner, int accumulate);

#ifdef __cplusplus
}
#endif

#endif /* GM_ACTIVATIONS_H */
