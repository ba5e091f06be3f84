/* im2row.h - unfolding image patches into rows. Internal. */
#ifndef GM_IM2ROW_H
#define GM_IM2ROW_H

#include "gm.h"

/* x (c, h, w) -> rows (out_h * out_w, c * kh * kw), zero where the patch
 * reaches into the padding. */
void gm_im2row(float *rows, const float *x, const gm_conv2d_params *p,
               ptrdiff_t out_h, ptrdiff_t out_w);

#endif /* GM_IM2ROW_H */
