/* gemm_pack.c - packing op(A) and op(B) into micro-kernel panels, and the
 * per-thread buffers they live in. */
#include "gemm_internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

void gm_gemm_pack_a_panel(float *dst, const float *a, ptrdiff_t lda, int trans,
                          ptrdiff_t i0, ptrdiff_t p0, ptrdiff_t mc,
                          ptrdiff_t kc, ptrdiff_t panel)
{
    ptrdiff_t r0 = panel * GEMM_MR;
    ptrdiff_t rows = mc - r0 < GEMM_MR ? mc - r0 : GEMM_MR;
    float *out = dst + panel * GEMM_MR * kc;
    if (trans) {
        /* op(A)[i, p] = A[p, i]: each k is a contiguous run of rows */
        for (ptrdiff_t p = 0; p < kc; p++) {
            const float *src = a + (p0 + p) * lda + i0 + r0;
            float *o = out + p * GEMM_MR;
            if (rows == GEMM_MR) {   /* a fixed-size copy: a couple of moves */
                memcpy(o, src, GEMM_MR * sizeof *o);
                continue;
            }
            ptrdiff_t i = 0;
            for (; i < rows; i++)
                o[i] = src[i];
            for (; i < GEMM_MR; i++)
                o[i] = 0.0f;
        }
    } else {
        for (ptrdiff_t i = 0; i < GEMM_MR; i++) {
            if (i < rows) {
                const float *src = a + (i0 + r0 + i) * lda + p0;
                for (ptrdiff_t p = 0; p < kc; p++)
                    out[p * GEMM_MR + i] = src[p];
            } else {
                for (ptrdiff_t p = 0; p < kc; p++)
                    out[p * GEMM_MR + i] = 0.0f;
            }
        }
    }
}

void gm_gemm_pack_b_panel(float *dst, const float *b, ptrdiff_t ldb, int trans,
                          ptrdiff_t p0, ptrdiff_t j0, ptrdiff_t kc,
                          ptrdiff_t nc, ptrdiff_t panel)
{
    ptrdiff_t c0 = panel * GEMM_NR;
    ptrdiff_t cols = nc - c0 < GEMM_NR ? nc - c0 : GEMM_NR;
    float *out = dst + panel * GEMM_NR * kc;
    if (trans) {
        /* op(B)[p, j] = B[j, p] */
        for (ptrdiff_t j = 0; j < GEMM_NR; j++) {
            if (j < cols) {
                const float *src = b + (j0 + c0 + j) * ldb + p0;
                for (ptrdiff_t p = 0; p < kc; p++)
                    out[p * GEMM_NR + j] = src[p];
            } else {
                for (ptrdiff_t p = 0; p < kc; p++)
                    out[p * GEMM_NR + j] = 0.0f;
            }
        }
    } else {
        for (ptrdiff_t p = 0; p < kc; p++) {
            const float *src = b + (p0 + p) * ldb + j0 + c0;
            float *o = out + p * GEMM_NR;
            if (cols == GEMM_NR) {
                memcpy(o, src, GEMM_NR * sizeof *o);
            } else {
                ptrdiff_t j = 0;
                for (; j < cols; j++)
                    o[j] = src[j];
                for (; j < GEMM_NR; j++)
                    o[j] = 0.0f;
            }
        }
    }
}

typedef struct {
    float *data;
    size_t floats;
} grow_buffer;

typedef struct {
    grow_buffer a, b;
} thread_buffers;

/* One pair per calling thread: concurrent GEMMs from different Python
 * threads never share a buffer. They live as long as the thread: a thread
 * that grows them registers a key whose destructor frees them when it
 * exits (OpenMP drops worker threads when the team shrinks). */
static _Thread_local thread_buffers buffers;
static pthread_key_t exit_key;
static pthread_once_t exit_key_once = PTHREAD_ONCE_INIT;

static void free_buffers(void *mine)
{
    thread_buffers *t = mine;
    free(t->a.data);
    free(t->b.data);
    *t = (thread_buffers){{0}};
}

static void make_exit_key(void) { pthread_key_create(&exit_key, free_buffers); }

static float *grow(grow_buffer *buf, size_t floats)
{
    if (buf->floats >= floats)
        return buf->data;
    pthread_once(&exit_key_once, make_exit_key);
    pthread_setspecific(exit_key, &buffers);
    free(buf->data);
    size_t bytes = (floats * sizeof(float) + 63) / 64 * 64;
    buf->data = aligned_alloc(64, bytes);
    buf->floats = buf->data ? floats : 0;
    return buf->data;
}

float *gm_gemm_buffer_a(size_t floats) { return grow(&buffers.a, floats); }
float *gm_gemm_buffer_b(size_t floats) { return grow(&buffers.b, floats); }
