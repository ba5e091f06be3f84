/* conv.h - 2-D convolution and transposed convolution, NCHW, as patch
 * unfolding + SGEMM over chunks of images. Workspaces are caller-owned:
 * ask *_workspace_size once and reuse the buffer for every batch. A kernel
 * uses as many threads as its workspace has room for (at least one is
 * needed; GM_ERR_ARG otherwise). Results are bitwise identical for any
 * thread count. */
#ifndef GM_CONV_H
#define GM_CONV_H

#include "gm.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The shape of one convolution: input (n, c, h, w), weight (oc, c, kh, kw),
 * output (n, oc, out_h, out_w) with out = (in + 2 pad - k) / stride + 1. */
typedef struct {
    ptrdiff_t n, c, h, w;
    ptrdiff_t oc, kh, kw;
    ptrdiff_t stride_h, stride_w, pad_h, pad_w;
} gm_conv2d_params;

/* Output height and width; GM_ERR_ARG if the shape is impossible. */
gm_status gm_conv2d_output_size(const gm_conv2d_params *p, ptrdiff_t *out_h,
                                ptrdiff_t *out_w);

/* Floats of scratch any of the three conv2d kernels needs for p when run
 * on `threads` threads (0 if p is impossible). */
size_t gm_conv2d_workspace_size(const gm_conv2d_params *p, int threads);

/* x (n, c, h, w), weight (oc, c, kh, kw), bias (oc) or NULL
 * -> out (n, oc, out_h, out_w). */
gm_status gm_conv2d_forward(float *out, const float *x, const float *weight,
                            const float *bias, const gm_conv2d_params *p,
                            float *workspace, size_t workspace_floats);

/* dy (n, oc, out_h, out_w), weight (oc, c, kh, kw) -> dx (n, c, h, w),
 * overwritten. */
gm_status gm_conv2d_backward_input(float *dx, const float *dy,
                                   const float *weight,
                                   const gm_conv2d_params *p, float *workspace,
                                   size_t workspace_floats);

/* dy (n, oc, out_h, out_w), x (n, c, h, w) -> dweight (oc, c, kh, kw) and
 * dbias (oc) or NULL, both accumulated (+=). */
gm_status gm_conv2d_backward_weight(float *dweight, float *dbias,
                                    const float *dy, const float *x,
                                    const gm_conv2d_params *p,
                                    float *workspace, size_t workspace_floats);

/* Transposed convolution, the adjoint of conv2d: input (n, ic, h, w),
 * weight (ic, oc, kh, kw) as in PyTorch, output (n, oc, out_h, out_w) with
 * out = (in - 1) stride - 2 pad + k + output_padding. */
typedef struct {
    ptrdiff_t n, ic, h, w;
    ptrdiff_t oc, kh, kw;
    ptrdiff_t stride_h, stride_w, pad_h, pad_w;
    ptrdiff_t output_pad_h, output_pad_w;
} gm_conv_transpose2d_params;

gm_status gm_conv_transpose2d_output_size(const gm_conv_transpose2d_params *p,
                                          ptrdiff_t *out_h, ptrdiff_t *out_w);
size_t gm_conv_transpose2d_workspace_size(const gm_conv_transpose2d_params *p,
                                          int threads);

/* x (n, ic, h, w), weight (ic, oc, kh, kw), bias (oc) or NULL
 * -> out (n, oc, out_h, out_w). */
gm_status gm_conv_transpose2d_forward(float *out, const float *x,
                                      const float *weight, const float *bias,
                                      const gm_conv_transpose2d_params *p,
                                      float *workspace, size_t workspace_floats);

/* dy (n, oc, out_h, out_w), weight (ic, oc, kh, kw) -> dx (n, ic, h, w). */
gm_status gm_conv_transpose2d_backward_input(float *dx, const float *dy,
                                             const float *weight,
                                             const gm_conv_transpose2d_params *p,
                                             float *workspace, size_t workspace_floats);

/* dy (n, oc, out_h, out_w), x (n, ic, h, w) -> dweight (ic, oc, kh, kw) and
 * dbias (oc) or NULL, accumulated (+=). */
gm_status gm_conv_transpose2d_backward_weight(float *dweight, float *dbias,
                                              const float *dy, const float *x,
                                              const gm_conv_transpose2d_params *p,
                                              float *workspace, size_t workspace_floats);

#ifdef __cplusplus
}
#endif

#endif /* GM_CONV_H */
