/* conv2d.c - convolution as patch unfolding + SGEMM.
 *
 * The batch is processed in chunks of images whose size depends only on
 * the layer's shape (so results never depend on the thread count); each
 * chunk is one large GEMM, threaded inside gm_sgemm, over its patches
 * unfolded into rows (P, ckk), P = images*out_h*out_w:
 *   forward  out (oc, P)    = W (oc, ckk) @ rows^T,
 *   input    rows (P, ckk)  = dy^T (P, oc) @ W, folded back,
 *   weight   dW (oc, ckk)  += dy (oc, P) @ rows.
 * Rows rather than columns: a patch row is a few contiguous runs of the
 * image, where a column is a strided gather (unfolding into columns took
 * twice as long and cost the wide layers 20% of their forward pass). */
#include "gm.h"
#include "im2row.h"

/* Scratch for one chunk of images: 2 MiB, so the unfolded patches are
 * still in cache when the GEMM packs them (16 MiB chunks ran ~10% slower,
 * 1, 4 and 8 MiB a few % slower). */
#define CONV_CHUNK_FLOATS ((size_t)1 << 19)

typedef struct {
    ptrdiff_t out_h, out_w, ohw;  /* output plane */
    ptrdiff_t ckk;                /* patch length c*kh*kw */
    ptrdiff_t chunk;              /* images per chunk */
    float *rows;                  /* patches, (ckk, chunk*ohw) or transposed */
    float *prod;                  /* output-side, (oc, chunk*ohw) */
} conv_plan;

gm_status gm_conv2d_output_size(const gm_conv2d_params *p, ptrdiff_t *out_h,
                                ptrdiff_t *out_w)
{
    if (!p || p->n < 0 || p->c < 1 || p->h < 1 || p->w < 1 || p->oc < 1 ||
        p->kh < 1 || p->kw < 1 || p->stride_h < 1 || p->stride_w < 1 ||
        p->pad_h < 0 || p->pad_w < 0)
        return GM_ERR_ARG;
    ptrdiff_t span_h = p->h + 2 * p->pad_h - p->kh;
    ptrdiff_t span_w = p->w + 2 * p->pad_w - p->kw;
    if (span_h < 0 || span_w < 0)
        return GM_ERR_ARG;
    *out_h = span_h / p->stride_h + 1;
    *out_w = span_w / p->stride_w + 1;
    return GM_OK;
}

static gm_status make_plan(conv_plan *plan, const gm_conv2d_params *p,
                           float *workspace)
{
    gm_status s = gm_conv2d_output_size(p, &plan->out_h, &plan->out_w);
    if (s != GM_OK)
        return s;
    plan->ohw = plan->out_h * plan->out_w;
    plan->ckk = p->c * p->kh * p->kw;
    size_t per_image = (size_t)(plan->ohw * (plan->ckk + p->oc));
    ptrdiff_t chunk = (ptrdiff_t)(CONV_CHUNK_FLOATS / per_image);
    chunk = chunk < 1 ? 1 : chunk;
    plan->chunk = p->n < chunk ? (p->n > 0 ? p->n : 1) : chunk;
    plan->rows = workspace;
    plan->prod = workspace ? workspace + plan->chunk * plan->ohw * plan->ckk : NULL;
    return GM_OK;
}

size_t gm_conv2d_workspace_size(const gm_conv2d_params *p)
{
    conv_plan plan;
    if (make_plan(&plan, p, NULL) != GM_OK)
        return 0;
    return (size_t)(plan.chunk * plan.ohw * (plan.ckk + p->oc));
}

/* prod (oc, images*ohw) (+ bias) -> out (images, oc, ohw) */
static void cols_to_planes(float *out, const float *prod, const float *bias,
                           ptrdiff_t images, ptrdiff_t oc, ptrdiff_t ohw)
{
    #pragma omp parallel for collapse(2) num_threads(gm_get_num_threads()) schedule(static)
    for (ptrdiff_t b = 0; b < images; b++)
        for (ptrdiff_t o = 0; o < oc; o++) {
            const float *s = prod + o * images * ohw + b * ohw;
            float *d = out + (b * oc + o) * ohw;
            float add = bias ? bias[o] : 0.0f;
            for (ptrdiff_t q = 0; q < ohw; q++)
                d[q] = s[q] + add;
        }
}

/* dy (images, oc, ohw) -> prod (oc, images*ohw) */
static void planes_to_columns(float *prod, const float *dy, ptrdiff_t images,
                              ptrdiff_t oc, ptrdiff_t ohw)
{
    #pragma omp parallel for collapse(2) num_threads(gm_get_num_threads()) schedule(static)
    for (ptrdiff_t o = 0; o < oc; o++)
        for (ptrdiff_t b = 0; b < images; b++) {
            const float *s = dy + (b * oc + o) * ohw;
            float *d = prod + o * images * ohw + b * ohw;
            for (ptrdiff_t q = 0; q < ohw; q++)
                d[q] = s[q];
        }
}

/* x (images, c, h, w) -> plan->rows (images*ohw, c*kh*kw) */
static void unfold_chunk(const conv_plan *plan, const float *x,
                         const gm_conv2d_params *p, ptrdiff_t images)
{
    ptrdiff_t image_size = p->c * p->h * p->w;
    #pragma omp parallel for num_threads(gm_get_num_threads()) schedule(static)
    for (ptrdiff_t b = 0; b < images; b++)
        gm_im2row(plan->rows + b * plan->ohw * plan->ckk, x + b * image_size, p,
                  plan->out_h, plan->out_w);
}

gm_status gm_conv2d_forward(float *out, const float *x, const float *weight,
                            const float *bias, const gm_conv2d_params *p,
                            float *workspace)
{
    conv_plan plan;
    gm_status s = make_plan(&plan, p, workspace);
    if (s != GM_OK)
        return s;
    if (p->n == 0)
        return GM_OK;
    if (!out || !x || !weight || !workspace)
        return GM_ERR_ARG;
    ptrdiff_t in_size = p->c * p->h * p->w, out_size = p->oc * plan.ohw;
    for (ptrdiff_t b0 = 0; b0 < p->n && s == GM_OK; b0 += plan.chunk) {
        ptrdiff_t images = p->n - b0 < plan.chunk ? p->n - b0 : plan.chunk;
        /* prod (oc, images*ohw) = weight (oc, ckk) @ rows^T (ckk, images*ohw) */
        ptrdiff_t cols = images * plan.ohw;
        unfold_chunk(&plan, x + b0 * in_size, p, images);
        s = gm_sgemm(GM_NO_TRANS, GM_TRANS, p->oc, cols, plan.ckk, 1.0f, weight,
                     plan.ckk, plan.rows, plan.ckk, 0.0f, plan.prod, cols);
        cols_to_planes(out + b0 * out_size, plan.prod, bias, images, p->oc, plan.ohw);
    }
    return s;
}

gm_status gm_conv2d_backward_input(float *dx, const float *dy,
                                   const float *weight,
                                   const gm_conv2d_params *p, float *workspace)
{
    conv_plan plan;
    gm_status s = make_plan(&plan, p, workspace);
    if (s != GM_OK)
        return s;
    if (p->n == 0)
        return GM_OK;
    if (!dx || !dy || !weight || !workspace)
        return GM_ERR_ARG;
    ptrdiff_t in_size = p->c * p->h * p->w, out_size = p->oc * plan.ohw;
    for (ptrdiff_t b0 = 0; b0 < p->n && s == GM_OK; b0 += plan.chunk) {
        ptrdiff_t images = p->n - b0 < plan.chunk ? p->n - b0 : plan.chunk;
        /* rows (images*ohw, ckk) = dy^T (images*ohw, oc) @ weight (oc, ckk),
         * folded back onto each image channel by channel. */
        ptrdiff_t cols = images * plan.ohw;
        planes_to_columns(plan.prod, dy + b0 * out_size, images, p->oc, plan.ohw);
        s = gm_sgemm(GM_TRANS, GM_NO_TRANS, cols, plan.ckk, p->oc, 1.0f, plan.prod,
                     cols, weight, plan.ckk, 0.0f, plan.rows, plan.ckk);
        #pragma omp parallel for collapse(2) num_threads(gm_get_num_threads()) schedule(static)
        for (ptrdiff_t b = 0; b < images; b++)
            for (ptrdiff_t ch = 0; ch < p->c; ch++)
                gm_row2im_channel(dx + (b0 + b) * in_size, plan.rows + b * plan.ohw * plan.ckk,
                                  p, ch, plan.out_h, plan.out_w);
    }
    return s;
}

gm_status gm_conv2d_backward_weight(float *dweight, float *dbias,
                                    const float *dy, const float *x,
                                    const gm_conv2d_params *p,
                                    float *workspace)
{
    conv_plan plan;
    gm_status s = make_plan(&plan, p, workspace);
    if (s != GM_OK)
        return s;
    if (p->n == 0)
        return GM_OK;
    if (!dweight || !dy || !x || !workspace)
        return GM_ERR_ARG;
    ptrdiff_t in_size = p->c * p->h * p->w, out_size = p->oc * plan.ohw;
    for (ptrdiff_t b0 = 0; b0 < p->n && s == GM_OK; b0 += plan.chunk) {
        ptrdiff_t images = p->n - b0 < plan.chunk ? p->n - b0 : plan.chunk;
        unfold_chunk(&plan, x + b0 * in_size, p, images);
        planes_to_columns(plan.prod, dy + b0 * out_size, images, p->oc, plan.ohw);
        /* dW (oc, ckk) += dy (oc, images*ohw) @ rows (images*ohw, ckk); chunks
         * are added in batch order, each reduced in gm_sgemm's fixed order. */
        s = gm_sgemm(GM_NO_TRANS, GM_NO_TRANS, p->oc, plan.ckk, images * plan.ohw,
                     1.0f, plan.prod, images * plan.ohw, plan.rows, plan.ckk, 1.0f,
                     dweight, plan.ckk);
    }
    if (s == GM_OK && dbias)
        s = gm_bias_grad(dbias, dy, (size_t)p->n, (size_t)p->oc, (size_t)plan.ohw, 1);
    return s;
}
