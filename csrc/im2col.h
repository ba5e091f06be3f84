/* im2col.h - unfolding image patches into columns. Internal. */
#ifndef GM_IM2COL_H
#define GM_IM2COL_H

#include "gm.h"

/* Channel ch of x (c, h, w) -> its kh*kw rows of the patch matrix
 * col (c*kh*kw, ld): row (ch*kh + i)*kw + j, columns 0 .. out_h*out_w - 1,
 * holds x[ch, oh*stride_h - pad_h + i, ow*stride_w - pad_w + j], zero in the
 * padding. Images of a batch sit side by side at column offsets. */
void gm_im2col_channel(float *col, ptrdiff_t ld, const float *x,
                       const gm_conv2d_params *p, ptrdiff_t ch,
                       ptrdiff_t out_h, ptrdiff_t out_w);

/* The adjoint: channel ch of dx (c, h, w) = the sum of its kh*kw rows of
 * col folded back onto the image (overwritten, not accumulated). Taps are
 * added in a fixed order, so the result does not depend on threading. */
void gm_col2im_channel(float *dx, const float *col, ptrdiff_t ld,
                       const gm_conv2d_params *p, ptrdiff_t ch,
                       ptrdiff_t out_h, ptrdiff_t out_w);

#endif /* GM_IM2COL_H */
