/* im2col.c - patch unfolding into columns, for convolution as W @ col.
 *
 * One output row of the patch matrix is a strided read of one input row,
 * so the inner loop runs along the image with no per-tap bookkeeping; only
 * the columns that reach into the padding are handled apart. */
#include "gm.h"
#include "im2col.h"

/* The columns ow in [*lo, *hi) whose tap iw = ow*stride + iw0 is in [0, w). */
static void inside_range(ptrdiff_t *lo, ptrdiff_t *hi, ptrdiff_t w, ptrdiff_t out_w,
                         ptrdiff_t stride, ptrdiff_t iw0)
{
    ptrdiff_t l = iw0 >= 0 ? 0 : (-iw0 + stride - 1) / stride;
    ptrdiff_t h = w - iw0 <= 0 ? 0 : (w - iw0 + stride - 1) / stride;
    h = h < out_w ? h : out_w;
    *lo = l < h ? l : h;
    *hi = h;
}

void gm_im2col_channel(float *col, ptrdiff_t ld, const float *x,
                       const gm_conv2d_params *p, ptrdiff_t ch,
                       ptrdiff_t out_h, ptrdiff_t out_w)
{
    const float *plane = x + ch * p->h * p->w;
    ptrdiff_t sw = p->stride_w;
    for (ptrdiff_t i = 0; i < p->kh; i++)
        for (ptrdiff_t j = 0; j < p->kw; j++) {
            float *row = col + ((ch * p->kh + i) * p->kw + j) * ld;
            ptrdiff_t iw0 = j - p->pad_w, lo, hi;
            inside_range(&lo, &hi, p->w, out_w, sw, iw0);
            for (ptrdiff_t oh = 0; oh < out_h; oh++) {
                ptrdiff_t ih = oh * p->stride_h - p->pad_h + i;
                float *dst = row + oh * out_w;
                if (ih < 0 || ih >= p->h) {
                    for (ptrdiff_t ow = 0; ow < out_w; ow++)
                        dst[ow] = 0.0f;
                    continue;
                }
                const float *src = plane + ih * p->w;
                for (ptrdiff_t ow = 0; ow < lo; ow++)
                    dst[ow] = 0.0f;
                for (ptrdiff_t ow = lo; ow < hi; ow++)
                    dst[ow] = src[ow * sw + iw0];
                for (ptrdiff_t ow = hi; ow < out_w; ow++)
                    dst[ow] = 0.0f;
            }
        }
}

void gm_col2im_channel(float *dx, const float *col, ptrdiff_t ld,
                       const gm_conv2d_params *p, ptrdiff_t ch,
                       ptrdiff_t out_h, ptrdiff_t out_w)
{
    float *plane = dx + ch * p->h * p->w;
    for (ptrdiff_t q = 0; q < p->h * p->w; q++)
        plane[q] = 0.0f;
    for (ptrdiff_t i = 0; i < p->kh; i++)
        for (ptrdiff_t j = 0; j < p->kw; j++) {
            const float *row = col + ((ch * p->kh + i) * p->kw + j) * ld;
            ptrdiff_t iw0 = j - p->pad_w, lo, hi;
            inside_range(&lo, &hi, p->w, out_w, p->stride_w, iw0);
            for (ptrdiff_t oh = 0; oh < out_h; oh++) {
                ptrdiff_t ih = oh * p->stride_h - p->pad_h + i;
                if (ih < 0 || ih >= p->h)
                    continue;
                const float *src = row + oh * out_w;
                float *dst = plane + ih * p->w;
                for (ptrdiff_t ow = lo; ow < hi; ow++)
                    dst[ow * p->stride_w + iw0] += src[ow];
            }
        }
}
