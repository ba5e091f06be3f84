/* im2row.h - unfolding image patches into rows, and folding them back.
 * Internal. */
#ifndef GM_IM2ROW_H
#define GM_IM2ROW_H

#include "gm.h"

/* x (c, h, w) -> rows (out_h * out_w, c * kh * kw): row oh*out_w + ow,
 * column (ch*kh + i)*kw + j holds x[ch, oh*stride_h - pad_h + i,
 * ow*stride_w - pad_w + j], zero where the patch reaches into the padding.
 * A subset of channels is unfolded by passing its first plane and its
 * count as c. */
void gm_im2row(float *rows, const float *x, const gm_conv2d_params *p, ptrdiff_t out_h,
               ptrdiff_t out_w);

/* The adjoint: dx (c, h, w) = rows (out_h * out_w, c * kh * kw) folded
 * back onto the image (overwritten, not accumulated). Each pixel adds its
 * windows in position order, so the result does not depend on threading. */
void gm_row2im(float *restrict dx, const float *restrict rows, const gm_conv2d_params *p,
               ptrdiff_t out_h, ptrdiff_t out_w);

/* channels planes of x (h, w) -> padded (h + 2 pad_h, w + 2 pad_w) each,
 * surrounded by zeros; and back, keeping the inside only. */
void gm_pad_channels(float *padded, const float *x, ptrdiff_t h, ptrdiff_t w, ptrdiff_t pad_h,
                     ptrdiff_t pad_w, ptrdiff_t channels);
void gm_crop_channels(float *x, const float *padded, ptrdiff_t h, ptrdiff_t w, ptrdiff_t pad_h,
                      ptrdiff_t pad_w, ptrdiff_t channels);

#endif /* GM_IM2ROW_H */
