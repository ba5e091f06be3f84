/* conv2d.c - convolution as patch unfolding + SGEMM.
 *
 * Patches are unfolded into rows (P, ckk), P = images*out_h*out_w:
 *   forward  out (oc, P)    = W (oc, ckk) @ rows^T,
 *   input    rows (P, ckk)  = dy^T (P, oc) @ W, folded back,
 *   weight   dW (oc, ckk)  += dy (oc, P) @ rows.
 * Rows rather than columns: a patch row is a few contiguous runs of the
 * image, where a column is a strided gather (unfolding into columns took
 * twice as long).
 *
 * The forward pass and the input gradient give each thread whole chunks of
 * images: it unfolds, multiplies on its own and writes its images' result,
 * with the weights packed once for all, and no thread waits on another.
 * The weight gradient sums over the batch, so its chunks go in batch
 * order with the threads splitting the input channels (the columns of dW),
 * or, for inputs of 1-3 channels, taking chunks into partial sums added in
 * chunk order. Chunk sizes depend only on the layer's shape, so results
 * never depend on the thread count. */
#include "gm.h"
#include "gemm_packed.h"
#include "im2row.h"

#include <stdint.h>

/* Scratch for one chunk: 2 MiB. Chunks of 1/2 and 1 MiB, sized for the
 * L2 cache, ran 5-15% slower on the wide DCGAN layers (their GEMMs get too
 * few columns, and the weight gradient re-reads dW once per chunk); 4 MiB
 * was slower again. */
#define CONV_CHUNK_FLOATS ((size_t)1 << 19)
/* Inputs with fewer channels than this (grey or colour images) get their
 * weight gradient by chunks of images rather than by channels. */
#define FEW_CHANNELS 4
/* Packed weights start on a 64-byte boundary within the workspace. */
#define ALIGN_FLOATS 16

typedef struct {
    ptrdiff_t out_h, out_w, ohw;  /* output plane */
    ptrdiff_t ckk;                /* patch length c*kh*kw */
    ptrdiff_t chunk;              /* images per chunk */
    size_t padded;                /* floats of one zero-padded image */
    size_t slot;                  /* floats of one thread's scratch */
    size_t packed;                /* floats of the packed weights, padded */
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

static int pads(const gm_conv2d_params *p) { return p->pad_h || p->pad_w; }

/* The same convolution of the image with its zero padding written out:
 * every window is clear of the edges and takes the (un)folding's fast path. */
static gm_conv2d_params on_padded_image(const gm_conv2d_params *p)
{
    gm_conv2d_params q = *p;
    q.h = p->h + 2 * p->pad_h, q.w = p->w + 2 * p->pad_w, q.pad_h = q.pad_w = 0;
    return q;
}

static gm_status make_plan(conv_plan *plan, const gm_conv2d_params *p)
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
    plan->padded = pads(p) ? (size_t)(p->c * (p->h + 2 * p->pad_h) * (p->w + 2 * p->pad_w)) : 0;
    plan->slot = (size_t)plan->chunk * per_image + (size_t)(p->oc * plan->ckk) + plan->padded;
    size_t as_a = gm_sgemm_packed_a_size(p->oc, plan->ckk);
    size_t as_b = gm_sgemm_packed_b_size(p->oc, plan->ckk);
    plan->packed = ((as_a > as_b ? as_a : as_b) + ALIGN_FLOATS - 1) / ALIGN_FLOATS * ALIGN_FLOATS;
    return GM_OK;
}

size_t gm_conv2d_workspace_size(const gm_conv2d_params *p, int threads)
{
    conv_plan plan;
    if (make_plan(&plan, p) != GM_OK)
        return 0;
    return ALIGN_FLOATS + plan.packed + (size_t)(threads > 1 ? threads : 1) * plan.slot;
}

/* The threads the workspace has room for, at most the team and one per
 * image; 0 if none. */
static int usable_threads(const conv_plan *plan, size_t workspace_floats, ptrdiff_t images)
{
    size_t fixed = ALIGN_FLOATS + plan->packed;
    if (workspace_floats < fixed + plan->slot)
        return 0;
    size_t room = (workspace_floats - fixed) / plan->slot;
    ptrdiff_t threads = gm_get_num_threads();
    threads = threads < images ? threads : images;
    return (int)((size_t)threads < room ? (size_t)threads : room);
}

static float *aligned_start(float *workspace)
{
    uintptr_t at = (uintptr_t)workspace, to = ALIGN_FLOATS * sizeof(float);
    return workspace + (to - at % to) % to / sizeof(float);
}

/* One thread's scratch. */
typedef struct {
    float *rows;     /* unfolded patches, (chunk*ohw, ckk) */
    float *prod;     /* output-side columns, (oc, chunk*ohw) */
    float *partial;  /* a partial weight gradient, (oc, ckk) */
    float *padded;   /* one image with its zero padding, channel by channel */
} conv_scratch;

static conv_scratch scratch_of(const conv_plan *plan, const gm_conv2d_params *p, float *slot)
{
    conv_scratch s;
    s.rows = slot;
    s.prod = s.rows + plan->chunk * plan->ohw * plan->ckk;
    s.partial = s.prod + plan->chunk * plan->ohw * p->oc;
    s.padded = s.partial + p->oc * plan->ckk;
    return s;
}

/* Channels [c0, c1) of one image ready to unfold: copied with their zero
 * padding into `buf` when p pads, or in place. *q becomes the geometry of
 * what is returned. */
static const float *padded_channels(float *buf, const float *image, const gm_conv2d_params *p,
                                    ptrdiff_t c0, ptrdiff_t c1, gm_conv2d_params *q)
{
    *q = pads(p) ? on_padded_image(p) : *p;
    q->c = c1 - c0;
    if (!pads(p))
        return image + c0 * p->h * p->w;
    gm_pad_channels(buf, image + c0 * p->h * p->w, p->h, p->w, p->pad_h, p->pad_w, q->c);
    return buf;
}

/* Channels [c0, c1) of `images` images from x (images, c, h, w) ->
 * rows (images*ohw, (c1 - c0)*kh*kw), through the thread's padding buffer. */
static void unfold_images(float *rows, const float *x, ptrdiff_t images, ptrdiff_t c0, ptrdiff_t c1,
                          const gm_conv2d_params *p, const conv_plan *plan, float *pad_buf)
{
    ptrdiff_t in_size = p->c * p->h * p->w, width = (c1 - c0) * p->kh * p->kw;
    for (ptrdiff_t b = 0; b < images; b++) {
        gm_conv2d_params q;
        const float *src = padded_channels(pad_buf, x + b * in_size, p, c0, c1, &q);
        gm_im2row(rows + b * plan->ohw * width, src, &q, plan->out_h, plan->out_w);
    }
}

/* prod (oc, images*ohw) (+ bias) -> out (images, oc, ohw) */
static void cols_to_planes(float *out, const float *prod, const float *bias,
                           ptrdiff_t images, ptrdiff_t oc, ptrdiff_t ohw)
{
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
static void planes_to_columns(float *prod, const float *dy, ptrdiff_t images, ptrdiff_t oc, ptrdiff_t ohw)
{
    for (ptrdiff_t o = 0; o < oc; o++)
        for (ptrdiff_t b = 0; b < images; b++) {
            const float *s = dy + (b * oc + o) * ohw;
            float *d = prod + o * images * ohw + b * ohw;
            for (ptrdiff_t q = 0; q < ohw; q++)
                d[q] = s[q];
        }
}

/* What one thread does to one chunk of images in a chunked pass. */
typedef gm_status chunk_step(const conv_plan *plan, const gm_conv2d_params *p, ptrdiff_t b0,
                             ptrdiff_t images, const conv_scratch *scratch, const float *packed,
                             const void *args);

/* p's batch in chunks shared round-robin by as many threads as the
 * workspace holds scratch for, after the weights are packed as the GEMM's
 * A (op(A) = W) or, with weight_as_b, its B (op(B) = W). Every output
 * element is one whole sum over the weights, whatever chunk its image is
 * in, so the chunks are resized for an equal share per thread. */
static gm_status run_chunks(const conv_plan *plan, const gm_conv2d_params *p, float *workspace,
                            size_t workspace_floats, chunk_step *step, const void *args,
                            int weight_as_b, const float *weight)
{
    int threads = usable_threads(plan, workspace_floats, p->n);
    if (threads < 1)
        return GM_ERR_ARG;
    ptrdiff_t chunks = (p->n + plan->chunk - 1) / plan->chunk;
    chunks = (chunks + threads - 1) / threads * threads;
    ptrdiff_t per_chunk = (p->n + chunks - 1) / chunks;   /* at most plan->chunk */
    chunks = (p->n + per_chunk - 1) / per_chunk;
    float *packed = aligned_start(workspace), *scratch = packed + plan->packed;
    if (weight_as_b)
        gm_sgemm_pack_b(packed, GM_NO_TRANS, p->oc, plan->ckk, weight, plan->ckk);
    else
        gm_sgemm_pack_a(packed, GM_NO_TRANS, p->oc, plan->ckk, weight, plan->ckk);
    int failed = 0;
    #pragma omp parallel for num_threads(threads) schedule(static) reduction(| : failed)
    for (int t = 0; t < threads; t++) {
        conv_scratch mine = scratch_of(plan, p, scratch + (size_t)t * plan->slot);
        for (ptrdiff_t ci = t; ci < chunks && !failed; ci += threads) {
            ptrdiff_t b0 = ci * per_chunk;
            ptrdiff_t images = p->n - b0 < per_chunk ? p->n - b0 : per_chunk;
            failed |= step(plan, p, b0, images, &mine, packed, args) != GM_OK;
        }
    }
    return failed ? GM_ERR_NOMEM : GM_OK;
}

typedef struct {
    float *out;
    const float *x, *bias;
} forward_args;

static gm_status forward_chunk(const conv_plan *plan, const gm_conv2d_params *p, ptrdiff_t b0,
                               ptrdiff_t images, const conv_scratch *scratch, const float *packed,
                               const void *args)
{
    const forward_args *a = args;
    ptrdiff_t in_size = p->c * p->h * p->w, cols = images * plan->ohw;
    unfold_images(scratch->rows, a->x + b0 * in_size, images, 0, p->c, p, plan, scratch->padded);
    /* prod (oc, cols) = weight (oc, ckk, packed) @ rows^T (ckk, cols) */
    gm_status s = gm_sgemm_serial(GM_NO_TRANS, GM_TRANS, p->oc, cols, plan->ckk, 1.0f, NULL, plan->ckk,
                                  packed, scratch->rows, plan->ckk, NULL, 0.0f, scratch->prod, cols);
    cols_to_planes(a->out + b0 * p->oc * plan->ohw, scratch->prod, a->bias, images, p->oc, plan->ohw);
    return s;
}

gm_status gm_conv2d_forward(float *out, const float *x, const float *weight,
                            const float *bias, const gm_conv2d_params *p,
                            float *workspace, size_t workspace_floats)
{
    conv_plan plan;
    gm_status s = make_plan(&plan, p);
    if (s != GM_OK)
        return s;
    if (p->n == 0)
        return GM_OK;
    if (!out || !x || !weight || !workspace)
        return GM_ERR_ARG;
    forward_args args = {out, x, bias};
    return run_chunks(&plan, p, workspace, workspace_floats, forward_chunk, &args, 0, weight);
}

typedef struct {
    float *dx;
    const float *dy;
} input_args;

static gm_status input_chunk(const conv_plan *plan, const gm_conv2d_params *p, ptrdiff_t b0,
                             ptrdiff_t images, const conv_scratch *scratch, const float *packed,
                             const void *args)
{
    const input_args *a = args;
    ptrdiff_t in_size = p->c * p->h * p->w, cols = images * plan->ohw;
    planes_to_columns(scratch->prod, a->dy + b0 * p->oc * plan->ohw, images, p->oc, plan->ohw);
    /* rows (cols, ckk) = dy^T (cols, oc) @ weight (oc, ckk, packed) */
    gm_status s = gm_sgemm_serial(GM_TRANS, GM_NO_TRANS, cols, plan->ckk, p->oc, 1.0f, scratch->prod, cols,
                                  NULL, NULL, plan->ckk, packed, 0.0f, scratch->rows, plan->ckk);
    /* folded onto the padded image, where every window is clear of the
     * edges, then cropped: the sums of the pixels kept are unchanged */
    gm_conv2d_params q = pads(p) ? on_padded_image(p) : *p;
    for (ptrdiff_t b = 0; b < images; b++) {
        float *dx = a->dx + (b0 + b) * in_size, *fold = pads(p) ? scratch->padded : dx;
        gm_row2im(fold, scratch->rows + b * plan->ohw * plan->ckk, &q, plan->out_h, plan->out_w);
        if (pads(p))
            gm_crop_channels(dx, fold, p->h, p->w, p->pad_h, p->pad_w, p->c);
    }
    return s;
}

gm_status gm_conv2d_backward_input(float *dx, const float *dy,
                                   const float *weight,
                                   const gm_conv2d_params *p, float *workspace,
                                   size_t workspace_floats)
{
    conv_plan plan;
    gm_status s = make_plan(&plan, p);
    if (s != GM_OK)
        return s;
    if (p->n == 0)
        return GM_OK;
    if (!dx || !dy || !weight || !workspace)
        return GM_ERR_ARG;
    input_args args = {dx, dy};
    return run_chunks(&plan, p, workspace, workspace_floats, input_chunk, &args, 1, weight);
}

/* dW (oc, ckk) += dy (oc, P) @ rows (P, ckk), chunk after chunk in batch
 * order, with the input channels split between the threads: each unfolds
 * only its channels and owns those columns of dW, so no thread waits on
 * another, and every element of dW is summed in the same order whatever
 * the split. */
static gm_status weight_gradient_by_channels(float *dweight, const float *dy, const float *x,
                                             const gm_conv2d_params *p, const conv_plan *plan,
                                             float *workspace, int threads)
{
    ptrdiff_t in_size = p->c * p->h * p->w, out_size = p->oc * plan->ohw, kk = p->kh * p->kw;
    int failed = 0;
    #pragma omp parallel for num_threads(threads) schedule(static) reduction(| : failed)
    for (int t = 0; t < threads; t++) {
        ptrdiff_t c0 = t * p->c / threads, c1 = (t + 1) * p->c / threads, width = (c1 - c0) * kk;
        conv_scratch mine = scratch_of(plan, p, workspace + (size_t)t * plan->slot);
        for (ptrdiff_t b0 = 0; b0 < p->n && !failed; b0 += plan->chunk) {
            ptrdiff_t images = p->n - b0 < plan->chunk ? p->n - b0 : plan->chunk, cols = images * plan->ohw;
            unfold_images(mine.rows, x + b0 * in_size, images, c0, c1, p, plan, mine.padded);
            planes_to_columns(mine.prod, dy + b0 * out_size, images, p->oc, plan->ohw);
            failed |= gm_sgemm_serial(GM_NO_TRANS, GM_NO_TRANS, p->oc, width, cols, 1.0f, mine.prod, cols, NULL,
                                      mine.rows, width, NULL, 1.0f, dweight + c0 * kk, plan->ckk) != GM_OK;
        }
    }
    return failed ? GM_ERR_NOMEM : GM_OK;
}

/* For inputs of few channels (the first layer of an image network) dW is
 * small and its sums long: threads take whole chunks, each multiplying
 * into its own partial dW, and the partials are added to dW in chunk
 * order, a round of one chunk per thread at a time. */
static gm_status weight_gradient_by_chunks(float *dweight, const float *dy, const float *x,
                                           const gm_conv2d_params *p, const conv_plan *plan,
                                           float *workspace, int threads)
{
    ptrdiff_t in_size = p->c * p->h * p->w, out_size = p->oc * plan->ohw;
    ptrdiff_t chunks = (p->n + plan->chunk - 1) / plan->chunk, weights = p->oc * plan->ckk;
    const float *partial0 = scratch_of(plan, p, workspace).partial;   /* thread t's: + t * slot */
    int failed = 0;
    for (ptrdiff_t first = 0; first < chunks && !failed; first += threads) {
        int round = (int)(chunks - first < threads ? chunks - first : threads);
        #pragma omp parallel num_threads(round) reduction(| : failed)
        {
            #pragma omp for schedule(static)
            for (int t = 0; t < round; t++) {
                conv_scratch mine = scratch_of(plan, p, workspace + (size_t)t * plan->slot);
                ptrdiff_t b0 = (first + t) * plan->chunk;
                ptrdiff_t images = p->n - b0 < plan->chunk ? p->n - b0 : plan->chunk, cols = images * plan->ohw;
                unfold_images(mine.rows, x + b0 * in_size, images, 0, p->c, p, plan, mine.padded);
                planes_to_columns(mine.prod, dy + b0 * out_size, images, p->oc, plan->ohw);
                failed |= gm_sgemm_serial(GM_NO_TRANS, GM_NO_TRANS, p->oc, plan->ckk, cols, 1.0f, mine.prod,
                                          cols, NULL, mine.rows, plan->ckk, NULL, 0.0f, mine.partial,
                                          plan->ckk) != GM_OK;
            }
            #pragma omp for schedule(static)
            for (ptrdiff_t e = 0; e < weights; e++)
                for (int t = 0; t < round; t++)
                    dweight[e] += partial0[(size_t)t * plan->slot + (size_t)e];
        }
    }
    return failed ? GM_ERR_NOMEM : GM_OK;
}

gm_status gm_conv2d_backward_weight(float *dweight, float *dbias,
                                    const float *dy, const float *x,
                                    const gm_conv2d_params *p,
                                    float *workspace, size_t workspace_floats)
{
    conv_plan plan;
    gm_status s = make_plan(&plan, p);
    if (s != GM_OK)
        return s;
    if (p->n == 0)
        return GM_OK;
    if (!dweight || !dy || !x || !workspace || workspace_floats < plan.slot)
        return GM_ERR_ARG;
    size_t room = workspace_floats / plan.slot;
    int threads = gm_get_num_threads();
    threads = (size_t)threads < room ? threads : (int)room;
    /* The way depends on the shape alone, since the two sum differently. */
    if (p->c < FEW_CHANNELS)
        s = weight_gradient_by_chunks(dweight, dy, x, p, &plan, workspace, threads);
    else
        s = weight_gradient_by_channels(dweight, dy, x, p, &plan, workspace,
                                        threads < p->c ? threads : (int)p->c);
    if (s == GM_OK && dbias)
        s = gm_bias_grad(dbias, dy, (size_t)p->n, (size_t)p->oc, (size_t)plan.ohw, 1);
    return s;
}
