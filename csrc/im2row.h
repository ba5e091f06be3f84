/* im2row.h - unfolding image patches into rows, and back. Internal. */
#ifndef GM_IM2ROW_H
#define GM_IM2ROW_H

#include "gm.h"

/* x (c, h, w) -> rows (out_h * out_w, c * kh * kw), zero where the patch
 * reaches into the padding. */
void gm_im2row(float *rows, const float *x, const gm_conv2d_params *p,
               ptrdiff_t out_h, ptrdiff_t out_w);

/* rows (out_h * out_w, c * kh * kw) summed back into dx (c, h, w), which
 * is overwritten. Sequential within an image, so the order is fixed. */
void gm_row2im(float *dx, const float *rows, const gm_conv2d_params *p,
               ptrdiff_t out_h, ptrdiff_t out_w);

#endif /* GM_IM2ROW_H */
