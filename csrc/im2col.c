/* im2col.c - patch unfolding into columns, for convolution as W @ col.
 *
 * One output row of the patch matrix is a strided read of one input row,
 * so the inner loop runs along the image with no per-tap bookkeeping; only
 * the columns that reach into the padding are handled apart. */
#include "gm.h"
#include "im2col.h"

/* dst (out_w) = src row sampled at iw = ow*stride + iw0, zero outside [0, w). */
static void sample_row(float *dst, const float *src, ptrdiff_t w, ptrdiff_t out_w,
                       ptrdiff_t stride, ptrdiff_t iw0)
{
    /* ow in [lo, hi) lands inside the row */
    ptrdiff_t lo = iw0 >= 0 ? 0 : (-iw0 + stride - 1) / stride;
    ptrdiff_t hi = w - iw0 <= 0 ? 0 : (w - iw0 + stride - 1) / stride;
    hi = hi < out_w ? hi : out_w;
    lo = lo < hi ? lo : hi;
    for (ptrdiff_t ow = 0; ow < lo; ow++)
        dst[ow] = 0.0f;
    if (stride == 1) {
        for (ptrdiff_t ow = lo; ow < hi; ow++)
            dst[ow] = src[ow + iw0];
    } else {
        for (ptrdiff_t ow = lo; ow < hi; ow++)
            dst[ow] = src[ow * stride + iw0];
    }
    for (ptrdiff_t ow = hi; ow < out_w; ow++)
        dst[ow] = 0.0f;
}

void gm_im2col_channel(float *col, ptrdiff_t ld, const float *x,
                       const gm_conv2d_params *p, ptrdiff_t ch,
                       ptrdiff_t out_h, ptrdiff_t out_w)
{
    const float *plane = x + ch * p->h * p->w;
    for (ptrdiff_t i = 0; i < p->kh; i++)
        for (ptrdiff_t j = 0; j < p->kw; j++) {
            float *row = col + ((ch * p->kh + i) * p->kw + j) * ld;
            for (ptrdiff_t oh = 0; oh < out_h; oh++) {
                ptrdiff_t ih = oh * p->stride_h - p->pad_h + i;
                float *dst = row + oh * out_w;
                if (ih < 0 || ih >= p->h) {
                    for (ptrdiff_t ow = 0; ow < out_w; ow++)
                        dst[ow] = 0.0f;
                    continue;
                }
                sample_row(dst, plane + ih * p->w, p->w, out_w, p->stride_w,
                           j - p->pad_w);
            }
        }
}
