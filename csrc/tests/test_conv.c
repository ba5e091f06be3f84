/* test_conv.c - convolution against a direct loop, transposed convolution
 * as its adjoint, and argument checks, under the sanitizers. */
#include "../gm.h"
#include "check.h"

static float naive_at(const float *x, const float *w, const gm_conv2d_params *p,
                      ptrdiff_t n, ptrdiff_t o, ptrdiff_t oh, ptrdiff_t ow)
{
    double acc = 0;
    for (ptrdiff_t c = 0; c < p->c; c++)
        for (ptrdiff_t i = 0; i < p->kh; i++)
            for (ptrdiff_t j = 0; j < p->kw; j++) {
                ptrdiff_t ih = oh * p->stride_h - p->pad_h + i, iw = ow * p->stride_w - p->pad_w + j;
                if (ih >= 0 && ih < p->h && iw >= 0 && iw < p->w)
                    acc += (double)x[((n * p->c + c) * p->h + ih) * p->w + iw] *
                           w[((o * p->c + c) * p->kh + i) * p->kw + j];
            }
    return (float)acc;
}

static void test_forward_against_direct_loop(void)
{
    gm_conv2d_params p = {.n = 3, .c = 2, .h = 9, .w = 7, .oc = 4, .kh = 4, .kw = 3,
                          .stride_h = 2, .stride_w = 1, .pad_h = 1, .pad_w = 2};
    ptrdiff_t oh, ow;
    CHECK(gm_conv2d_output_size(&p, &oh, &ow) == GM_OK);
    size_t nx = 3 * 2 * 9 * 7, nw = 4 * 2 * 4 * 3, ny = (size_t)(3 * 4 * oh * ow);
    float *x = malloc(nx * sizeof *x), *w = malloc(nw * sizeof *w), *y = malloc(ny * sizeof *y);
    size_t ws_floats = gm_conv2d_workspace_size(&p, 2);
    float *ws = malloc(ws_floats * sizeof *ws);
    check_fill(x, nx, 1);
    check_fill(w, nw, 2);
    CHECK(gm_conv2d_forward(y, x, w, NULL, &p, ws, ws_floats) == GM_OK);
    double worst = 0;
    for (ptrdiff_t n = 0; n < 3; n++)
        for (ptrdiff_t o = 0; o < 4; o++)
            for (ptrdiff_t i = 0; i < oh; i++)
                for (ptrdiff_t j = 0; j < ow; j++) {
                    double d = fabs(y[((n * 4 + o) * oh + i) * ow + j] - naive_at(x, w, &p, n, o, i, j));
                    worst = d > worst ? d : worst;
                }
    CHECK_CLOSE(worst, 0.0, 1e-5, 0);
    free(x), free(w), free(y), free(ws);
}

static void test_transpose_is_adjoint(void)
{
    /* <conv(x), v> == <x, conv_transpose(v)> */
    gm_conv2d_params p = {.n = 2, .c = 3, .h = 8, .w = 8, .oc = 5, .kh = 4, .kw = 4,
                          .stride_h = 2, .stride_w = 2, .pad_h = 1, .pad_w = 1};
    gm_conv_transpose2d_params t = {.n = 2, .ic = 5, .h = 4, .w = 4, .oc = 3, .kh = 4, .kw = 4,
                                    .stride_h = 2, .stride_w = 2, .pad_h = 1, .pad_w = 1};
    size_t nx = 2 * 3 * 64, nw = 5 * 3 * 16, nv = 2 * 5 * 16;
    float *x = malloc(nx * sizeof *x), *w = malloc(nw * sizeof *w), *v = malloc(nv * sizeof *v);
    float *y = malloc(nv * sizeof *y), *back = malloc(nx * sizeof *back);
    size_t wsize = gm_conv2d_workspace_size(&p, 2), tsize = gm_conv_transpose2d_workspace_size(&t, 2);
    size_t ws_floats = wsize > tsize ? wsize : tsize;
    float *ws = malloc(ws_floats * sizeof *ws);
    check_fill(x, nx, 3);
    check_fill(w, nw, 4);
    check_fill(v, nv, 5);
    CHECK(gm_conv2d_forward(y, x, w, NULL, &p, ws, ws_floats) == GM_OK);
    CHECK(gm_conv_transpose2d_forward(back, v, w, NULL, &t, ws, ws_floats) == GM_OK);
    double lhs = 0, rhs = 0;
    for (size_t i = 0; i < nv; i++)
        lhs += (double)y[i] * v[i];
    for (size_t i = 0; i < nx; i++)
        rhs += (double)x[i] * back[i];
    CHECK_CLOSE(lhs, rhs, 1e-4, 1e-5);
    free(x), free(w), free(v), free(y), free(back), free(ws);
}

/* The gradients by their definitions: dx[n,c,ih,iw] and dw[o,c,i,j] gather
 * dy over every output pixel whose window covers them. */
static void naive_backward(double *dx, double *dw, double *db, const float *dy,
                           const float *x, const float *w, const gm_conv2d_params *p,
                           ptrdiff_t oh, ptrdiff_t ow)
{
    for (ptrdiff_t n = 0; n < p->n; n++)
        for (ptrdiff_t o = 0; o < p->oc; o++)
            for (ptrdiff_t y = 0; y < oh; y++)
                for (ptrdiff_t z = 0; z < ow; z++) {
                    double g = dy[((n * p->oc + o) * oh + y) * ow + z];
                    db[o] += g;
                    for (ptrdiff_t c = 0; c < p->c; c++)
                        for (ptrdiff_t i = 0; i < p->kh; i++)
                            for (ptrdiff_t j = 0; j < p->kw; j++) {
                                ptrdiff_t ih = y * p->stride_h - p->pad_h + i;
                                ptrdiff_t iw = z * p->stride_w - p->pad_w + j;
                                if (ih < 0 || ih >= p->h || iw < 0 || iw >= p->w)
                                    continue;
                                ptrdiff_t xi = ((n * p->c + c) * p->h + ih) * p->w + iw;
                                ptrdiff_t wi = ((o * p->c + c) * p->kh + i) * p->kw + j;
                                dx[xi] += g * w[wi];
                                dw[wi] += g * x[xi];
                            }
                }
}

static double worst_diff(const float *got, const double *want, size_t len)
{
    double worst = 0;
    for (size_t i = 0; i < len; i++) {
        double d = fabs(got[i] - want[i]);
        worst = d > worst ? d : worst;
    }
    return worst;
}

static void test_backward_against_definition(void)
{
    gm_conv2d_params p = {.n = 3, .c = 3, .h = 8, .w = 11, .oc = 2, .kh = 3, .kw = 5,
                          .stride_h = 3, .stride_w = 2, .pad_h = 2, .pad_w = 1};
    ptrdiff_t oh, ow;
    CHECK(gm_conv2d_output_size(&p, &oh, &ow) == GM_OK);
    size_t nx = 3 * 3 * 8 * 11, nw = 2 * 3 * 3 * 5, ny = (size_t)(3 * 2 * oh * ow);
    float *x = malloc(nx * sizeof *x), *w = malloc(nw * sizeof *w), *dy = malloc(ny * sizeof *dy);
    float *dx = malloc(nx * sizeof *dx), *dw = malloc(nw * sizeof *dw), db[2] = {0.5f, -0.5f};
    double *rdx = calloc(nx, sizeof *rdx), *rdw = calloc(nw, sizeof *rdw), rdb[2] = {0.5, -0.5};
    size_t ws_floats = gm_conv2d_workspace_size(&p, 2);
    float *ws = malloc(ws_floats * sizeof *ws);
    check_fill(x, nx, 6);
    check_fill(w, nw, 7);
    check_fill(dy, ny, 8);
    for (size_t i = 0; i < nw; i++)
        dw[i] = 1.0f, rdw[i] = 1.0;      /* the kernel accumulates */
    naive_backward(rdx, rdw, rdb, dy, x, w, &p, oh, ow);
    CHECK(gm_conv2d_backward_input(dx, dy, w, &p, ws, ws_floats) == GM_OK);
    CHECK(gm_conv2d_backward_weight(dw, db, dy, x, &p, ws, ws_floats) == GM_OK);
    CHECK_CLOSE(worst_diff(dx, rdx, nx), 0.0, 1e-5, 0);
    CHECK_CLOSE(worst_diff(dw, rdw, nw), 0.0, 1e-4, 0);
    CHECK_CLOSE(worst_diff(db, rdb, 2), 0.0, 1e-4, 0);
    free(x), free(w), free(dy), free(dx), free(dw), free(rdx), free(rdw), free(ws);
}

/* Every kernel, run with 1 and with 2 threads, gives the same bits, on a
 * batch large enough to be processed in several chunks. */
static void check_identical_for_any_thread_count(gm_conv2d_params p)
{
    ptrdiff_t oh, ow;
    CHECK(gm_conv2d_output_size(&p, &oh, &ow) == GM_OK);
    ptrdiff_t ckk = p.c * p.kh * p.kw;
    size_t nx = (size_t)(p.n * p.c * p.h * p.w), nw = (size_t)(p.oc * ckk), ny = (size_t)(p.n * p.oc * oh * ow);
    size_t ws_floats = gm_conv2d_workspace_size(&p, 8);
    CHECK(gm_conv2d_workspace_size(&p, 1) < (size_t)(p.n * oh * ow * (ckk + p.oc)) / 2);   /* 3+ chunks */
    size_t total = ny + nx + nw + (size_t)p.oc;
    float *x = malloc(nx * sizeof *x), *w = malloc(nw * sizeof *w), *dy = malloc(ny * sizeof *dy);
    enum { RUNS = 4 };
    float *res[RUNS];
    for (int r = 0; r < RUNS; r++)
        res[r] = calloc(total, sizeof(float));
    float *ws = malloc(ws_floats * sizeof *ws);
    check_fill(x, nx, 9);
    check_fill(w, nw, 10);
    check_fill(dy, ny, 11);
    /* 1, 2 and 8 threads (more threads than channels), and 2 threads in
     * the least workspace allowed */
    size_t room[RUNS] = {ws_floats, ws_floats, ws_floats, gm_conv2d_workspace_size(&p, 1)};
    int team[RUNS] = {1, 2, 8, 2};
    for (int t = 0; t < RUNS; t++) {
        gm_set_num_threads(team[t]);
        float *y = res[t], *dx = y + ny, *dw = dx + nx, *db = dw + nw;
        CHECK(gm_conv2d_forward(y, x, w, NULL, &p, ws, room[t]) == GM_OK);
        CHECK(gm_conv2d_backward_input(dx, dy, w, &p, ws, room[t]) == GM_OK);
        CHECK(gm_conv2d_backward_weight(dw, db, dy, x, &p, ws, room[t]) == GM_OK);
    }
    gm_set_num_threads(0);
    size_t differ = 0;
    for (int r = 1; r < RUNS; r++)
        for (size_t i = 0; i < total; i++)
            differ += res[0][i] != res[r][i];
    CHECK(differ == 0);
    /* no room for even one thread: refused */
    CHECK(gm_conv2d_forward(res[1], x, w, NULL, &p, ws, 16) == GM_ERR_ARG);
    CHECK(gm_conv2d_backward_weight(res[1], NULL, dy, x, &p, ws, 16) == GM_ERR_ARG);
    for (int r = 0; r < RUNS; r++)
        free(res[r]);
    free(x), free(w), free(dy), free(ws);
}

static void test_identical_for_any_thread_count(void)
{
    /* many channels: the weight gradient split by channels */
    check_identical_for_any_thread_count((gm_conv2d_params){
        .n = 40, .c = 16, .h = 17, .w = 16, .oc = 6, .kh = 4, .kw = 4,
        .stride_h = 1, .stride_w = 1, .pad_h = 2, .pad_w = 1});
    /* fewer channels than 8 threads: the weight gradient on 5 of them */
    check_identical_for_any_thread_count((gm_conv2d_params){
        .n = 400, .c = 5, .h = 14, .w = 14, .oc = 12, .kh = 4, .kw = 4,
        .stride_h = 2, .stride_w = 2, .pad_h = 1, .pad_w = 1});
    /* one channel: the weight gradient by chunks of images */
    check_identical_for_any_thread_count((gm_conv2d_params){
        .n = 300, .c = 1, .h = 28, .w = 28, .oc = 8, .kh = 4, .kw = 4,
        .stride_h = 2, .stride_w = 2, .pad_h = 1, .pad_w = 1});
}

static void test_bad_geometry(void)
{
    gm_conv2d_params p = {.n = 1, .c = 1, .h = 3, .w = 3, .oc = 1, .kh = 5, .kw = 5,
                          .stride_h = 1, .stride_w = 1, .pad_h = 0, .pad_w = 0};
    ptrdiff_t oh, ow;
    CHECK(gm_conv2d_output_size(&p, &oh, &ow) == GM_ERR_ARG);
    CHECK(gm_conv2d_workspace_size(&p, 1) == 0);
    p.kh = p.kw = 3, p.stride_h = 0;
    CHECK(gm_conv2d_output_size(&p, &oh, &ow) == GM_ERR_ARG);
    gm_conv_transpose2d_params t = {.n = 1, .ic = 1, .h = 3, .w = 3, .oc = 1, .kh = 3, .kw = 3,
                                    .stride_h = 2, .stride_w = 2, .output_pad_h = 2};
    CHECK(gm_conv_transpose2d_output_size(&t, &oh, &ow) == GM_ERR_ARG);
}

int main(void)
{
    RUN(test_forward_against_direct_loop);
    RUN(test_backward_against_definition);
    RUN(test_identical_for_any_thread_count);
    RUN(test_transpose_is_adjoint);
    RUN(test_bad_geometry);
    return check_summary();
}
