/* im2row.c - patch unfolding for convolution as GEMM. */
#include "gm.h"
#include "im2row.h"

#include <string.h>

void gm_im2row(float *rows, const float *x, const gm_conv2d_params *p, ptrdiff_t out_h,
               ptrdiff_t out_w)
{
    ptrdiff_t cols = p->c * p->kh * p->kw, kw = p->kw;
    for (ptrdiff_t oh = 0; oh < out_h; oh++) {
        ptrdiff_t ih0 = oh * p->stride_h - p->pad_h;
        for (ptrdiff_t ow = 0; ow < out_w; ow++) {
            float *row = rows + (oh * out_w + ow) * cols;
            ptrdiff_t iw0 = ow * p->stride_w - p->pad_w;
            int inside_w = iw0 >= 0 && iw0 + kw <= p->w;
            if (inside_w && ih0 >= 0 && ih0 + p->kh <= p->h && p->kh == 4 && kw == 4) {
                /* a 4x4 window clear of the padding: four moves per channel */
                const float *src = x + ih0 * p->w + iw0;
                for (ptrdiff_t ch = 0; ch < p->c; ch++, src += p->h * p->w)
                    for (int i = 0; i < 4; i++)
                        memcpy(row + (ch * 4 + i) * 4, src + i * p->w, 4 * sizeof *row);
                continue;
            }
            for (ptrdiff_t ch = 0; ch < p->c; ch++) {
                const float *plane = x + ch * p->h * p->w;
                for (ptrdiff_t i = 0; i < p->kh; i++) {
                    ptrdiff_t ih = ih0 + i;
                    float *dst = row + (ch * p->kh + i) * kw;
                    /* a few floats each: plain loops, kept inline (a library
                     * call per kernel row cost more than the copy) */
                    if (ih < 0 || ih >= p->h) {
                        for (ptrdiff_t j = 0; j < kw; j++)
                            dst[j] = 0.0f;
                        continue;
                    }
                    const float *src = plane + ih * p->w + iw0;
                    if (inside_w && kw == 4) {   /* DCGAN-style 4x4 kernels: one vector move */
                        memcpy(dst, src, 4 * sizeof *dst);
                        continue;
                    }
                    if (inside_w) {          /* the common case: no padding */
                        for (ptrdiff_t j = 0; j < kw; j++)
                            dst[j] = src[j];
                        continue;
                    }
                    for (ptrdiff_t j = 0; j < kw; j++) {
                        ptrdiff_t iw = iw0 + j;
                        dst[j] = iw >= 0 && iw < p->w ? src[j] : 0.0f;
                    }
                }
            }
        }
    }
}

void gm_row2im(float *restrict dx, const float *restrict rows, const gm_conv2d_params *p,
               ptrdiff_t out_h, ptrdiff_t out_w)
{
    ptrdiff_t kh = p->kh, kw = p->kw, kk = kh * kw, plane = p->h * p->w;
    for (ptrdiff_t q = 0; q < p->c * plane; q++)
        dx[q] = 0.0f;
    /* positions outer, channels inner: rows are read in order and the
     * planes written stay in cache */
    for (ptrdiff_t oh = 0; oh < out_h; oh++) {
        ptrdiff_t ih0 = oh * p->stride_h - p->pad_h;
        for (ptrdiff_t ow = 0; ow < out_w; ow++) {
            const float *row = rows + (oh * out_w + ow) * p->c * kk;
            ptrdiff_t iw0 = ow * p->stride_w - p->pad_w;
            int inside_w = iw0 >= 0 && iw0 + kw <= p->w;
            if (inside_w && ih0 >= 0 && ih0 + kh <= p->h && kh == 4 && kw == 4) {
                /* a 4x4 window clear of the padding: four 4-float adds per channel */
                float *dst = dx + ih0 * p->w + iw0;
                for (ptrdiff_t ch = 0; ch < p->c; ch++, dst += plane, row += 16)
                    for (int i = 0; i < 4; i++)
                        for (int j = 0; j < 4; j++)
                            dst[i * p->w + j] += row[i * 4 + j];
                continue;
            }
            for (ptrdiff_t ch = 0; ch < p->c; ch++, row += kk)
                for (ptrdiff_t i = 0; i < kh; i++) {
                    ptrdiff_t ih = ih0 + i;
                    if (ih < 0 || ih >= p->h)
                        continue;
                    float *dst = dx + ch * plane + ih * p->w + iw0;
                    for (ptrdiff_t j = 0; j < kw; j++) {
                        ptrdiff_t iw = iw0 + j;
                        if (iw >= 0 && iw < p->w)
                            dst[j] += row[i * kw + j];
                    }
                }
        }
    }
}

void gm_pad_channels(float *padded, const float *x, ptrdiff_t h, ptrdiff_t w, ptrdiff_t pad_h,
                     ptrdiff_t pad_w, ptrdiff_t channels)
{
    ptrdiff_t wp = w + 2 * pad_w, plane = (h + 2 * pad_h) * wp;
    for (ptrdiff_t ch = 0; ch < channels; ch++) {
        float *dst = padded + ch * plane;
        const float *src = x + ch * h * w;
        for (ptrdiff_t q = 0; q < pad_h * wp; q++)
            dst[q] = 0.0f;
        for (ptrdiff_t y = 0; y < h; y++) {
            float *row = dst + (y + pad_h) * wp;
            for (ptrdiff_t j = 0; j < pad_w; j++)
                row[j] = row[pad_w + w + j] = 0.0f;
            memcpy(row + pad_w, src + y * w, (size_t)w * sizeof *row);
        }
        for (ptrdiff_t q = (pad_h + h) * wp; q < plane; q++)
            dst[q] = 0.0f;
    }
}

void gm_crop_channels(float *x, const float *padded, ptrdiff_t h, ptrdiff_t w, ptrdiff_t pad_h,
                      ptrdiff_t pad_w, ptrdiff_t channels)
{
    ptrdiff_t wp = w + 2 * pad_w, plane = (h + 2 * pad_h) * wp;
    for (ptrdiff_t ch = 0; ch < channels; ch++)
        for (ptrdiff_t y = 0; y < h; y++)
            memcpy(x + (ch * h + y) * w, padded + ch * plane + (y + pad_h) * wp + pad_w,
                   (size_t)w * sizeof *x);
}
