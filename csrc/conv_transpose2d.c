/* conv_transpose2d.c - transposed convolution as the adjoint of conv2d:
 * its forward pass is conv2d's input gradient, its input gradient is
 * conv2d's forward pass, and its weight gradient is conv2d's with the
 * roles of input and output swapped. */
#include "gm.h"

/* The convolution whose adjoint p is: it maps p's output to p's input. */
static gm_status adjoint_conv(gm_conv2d_params *conv,
                              const gm_conv_transpose2d_params *p)
{
    ptrdiff_t out_h, out_w;
    gm_status s = gm_conv_transpose2d_output_size(p, &out_h, &out_w);
    if (s != GM_OK)
        return s;
    *conv = (gm_conv2d_params){
        .n = p->n, .c = p->oc, .h = out_h, .w = out_w, .oc = p->ic,
        .kh = p->kh, .kw = p->kw, .stride_h = p->stride_h,
        .stride_w = p->stride_w, .pad_h = p->pad_h, .pad_w = p->pad_w};
    return GM_OK;
}

gm_status gm_conv_transpose2d_output_size(const gm_conv_transpose2d_params *p,
                                          ptrdiff_t *out_h, ptrdiff_t *out_w)
{
    if (!p || p->n < 0 || p->ic < 1 || p->h < 1 || p->w < 1 || p->oc < 1 ||
        p->kh < 1 || p->kw < 1 || p->stride_h < 1 || p->stride_w < 1 ||
        p->pad_h < 0 || p->pad_w < 0 || p->output_pad_h < 0 ||
        p->output_pad_w < 0 || p->output_pad_h >= p->stride_h ||
        p->output_pad_w >= p->stride_w)
        return GM_ERR_ARG;
    *out_h = (p->h - 1) * p->stride_h - 2 * p->pad_h + p->kh + p->output_pad_h;
    *out_w = (p->w - 1) * p->stride_w - 2 * p->pad_w + p->kw + p->output_pad_w;
    return *out_h >= 1 && *out_w >= 1 ? GM_OK : GM_ERR_ARG;
}

size_t gm_conv_transpose2d_workspace_size(const gm_conv_transpose2d_params *p,
                                          int threads)
{
    gm_conv2d_params conv;
    return adjoint_conv(&conv, p) == GM_OK ? gm_conv2d_workspace_size(&conv, threads) : 0;
}

gm_status gm_conv_transpose2d_forward(float *out, const float *x,
                                      const float *weight, const float *bias,
                                      const gm_conv_transpose2d_params *p,
                                      float *workspace, size_t workspace_floats)
{
    gm_conv2d_params conv;
    gm_status s = adjoint_conv(&conv, p);
    if (s == GM_OK)
        s = gm_conv2d_backward_input(out, x, weight, &conv, workspace, workspace_floats);
    if (s == GM_OK && bias)
        s = gm_bias_add(out, out, bias, (size_t)conv.n, (size_t)conv.c,
                        (size_t)(conv.h * conv.w));
    return s;
}

gm_status gm_conv_transpose2d_backward_input(float *dx, const float *dy,
                                             const float *weight,
                                             const gm_conv_transpose2d_params *p,
                                             float *workspace, size_t workspace_floats)
{
    gm_conv2d_params conv;
    gm_status s = adjoint_conv(&conv, p);
    return s == GM_OK ? gm_conv2d_forward(dx, dy, weight, NULL, &conv, workspace, workspace_floats) : s;
}

gm_status gm_conv_transpose2d_backward_weight(float *dweight, float *dbias,
                                              const float *dy, const float *x,
                                              const gm_conv_transpose2d_params *p,
                                              float *workspace, size_t workspace_floats)
{
    gm_conv2d_params conv;
    gm_status s = adjoint_conv(&conv, p);
    if (s == GM_OK)
        s = gm_conv2d_backward_weight(dweight, NULL, x, dy, &conv, workspace, workspace_floats);
    if (s == GM_OK && dbias)
        s = gm_bias_grad(dbias, dy, (size_t)conv.n, (size_t)conv.c,
                         (size_t)(conv.h * conv.w), 1);
    return s;
}
