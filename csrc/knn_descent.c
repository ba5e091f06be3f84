/* knn_descent.c - the approximate neighbour graph: built from shared
 * random-projection leaves, then refined by NN-descent ("a neighbour of a
 * neighbour is likely a neighbour"; Dong, Moses & Li 2011; the candidate
 * sampling follows pynndescent).
 *
 * Deterministic in parallel: each row of the graph is a heap that keeps the
 * k best distinct (distance, index) pairs under a total order, so its
 * content does not depend on the order in which offers arrive. Offers are
 * generated from a fixed block of points at a time and applied before the
 * next block, each thread owning a range of rows. */
#include "knn_internal.h"

#include <omp.h>
#include <string.h>

#ifdef __x86_64__
#include <immintrin.h>
#endif

/* ---- distances in eight fixed lanes ------------------------------------ */

static float sum_lanes(const float s[8])
{
    return ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]));
}

static float sqdist_portable(const float *x, const float *y, ptrdiff_t d)
{
    float s[8] = {0};
    ptrdiff_t c = 0;
    for (; c + 8 <= d; c += 8)
        for (int l = 0; l < 8; l++) {
            float t = x[c + l] - y[c + l];
            s[l] += t * t;
        }
    for (int l = 0; c < d; c++, l++) {
        float t = x[c] - y[c];
        s[l] += t * t;
    }
    return sum_lanes(s);
}

static float dot_portable(const float *x, const float *y, ptrdiff_t d)
{
    float s[8] = {0};
    ptrdiff_t c = 0;
    for (; c + 8 <= d; c += 8)
        for (int l = 0; l < 8; l++)
            s[l] += x[c + l] * y[c + l];
    for (int l = 0; c < d; c++, l++)
        s[l] += x[c] * y[c];
    return sum_lanes(s);
}

#ifdef __x86_64__
__attribute__((target("avx2")))
static inline __m256i tail_mask(ptrdiff_t left)
{
    static const int32_t ramp[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
    return _mm256_loadu_si256((const __m256i *)(const void *)(ramp + 8 - left));
}

/* mul then add (no FMA), lane by lane as the portable loops */
__attribute__((target("avx2")))
static float sqdist_avx2(const float *x, const float *y, ptrdiff_t d)
{
    __m256 acc = _mm256_setzero_ps();
    ptrdiff_t c = 0;
    for (; c + 8 <= d; c += 8) {
        __m256 t = _mm256_sub_ps(_mm256_loadu_ps(x + c), _mm256_loadu_ps(y + c));
        acc = _mm256_add_ps(acc, _mm256_mul_ps(t, t));
    }
    if (c < d) {
        __m256i m = tail_mask(d - c);
        __m256 t = _mm256_sub_ps(_mm256_maskload_ps(x + c, m), _mm256_maskload_ps(y + c, m));
        acc = _mm256_add_ps(acc, _mm256_mul_ps(t, t));
    }
    float s[8];
    _mm256_storeu_ps(s, acc);
    return sum_lanes(s);
}

__attribute__((target("avx2")))
static float dot_avx2(const float *x, const float *y, ptrdiff_t d)
{
    __m256 acc = _mm256_setzero_ps();
    ptrdiff_t c = 0;
    for (; c + 8 <= d; c += 8)
        acc = _mm256_add_ps(acc, _mm256_mul_ps(_mm256_loadu_ps(x + c), _mm256_loadu_ps(y + c)));
    if (c < d) {
        __m256i m = tail_mask(d - c);
        acc = _mm256_add_ps(acc, _mm256_mul_ps(_mm256_maskload_ps(x + c, m), _mm256_maskload_ps(y + c, m)));
    }
    float s[8];
    _mm256_storeu_ps(s, acc);
    return sum_lanes(s);
}
#endif

static int use_avx2(void)
{
#ifdef __x86_64__
    return (gm_cpu_features() & GM_CPU_AVX2_FMA) != 0;
#else
    return 0;
#endif
}

float gm_knn_sqdist(const float *x, const float *y, ptrdiff_t d)
{
#ifdef __x86_64__
    if (use_avx2())
        return sqdist_avx2(x, y, d);
#endif
    return sqdist_portable(x, y, d);
}

float gm_knn_dot(const float *x, const float *y, ptrdiff_t d)
{
#ifdef __x86_64__
    if (use_avx2())
        return dot_avx2(x, y, d);
#endif
    return dot_portable(x, y, d);
}

/* ---- the graph ---------------------------------------------------------- */

gm_status gm_knn_graph_init(int64_t *indices, float *sqdist, uint8_t *flags,
                            ptrdiff_t n, ptrdiff_t k)
{
    if (n < 1 || k < 1 || !indices || !sqdist || !flags)
        return GM_ERR_ARG;
    for (ptrdiff_t t = 0; t < n * k; t++)
        indices[t] = -1, sqdist[t] = INFINITY, flags[t] = 0;
    return GM_OK;
}

static int graph_args_ok(const int64_t *indices, const float *sqdist,
                         const uint8_t *flags, const float *data, ptrdiff_t n,
                         ptrdiff_t d, ptrdiff_t k)
{
    return n >= 2 && d >= 1 && k >= 1 && k < n && n <= INT32_MAX && indices &&
           sqdist && flags && data;
}

gm_status gm_knn_graph_add_leaves(int64_t *indices, float *sqdist,
                                  uint8_t *flags, const float *data,
                                  ptrdiff_t n, ptrdiff_t d, ptrdiff_t k,
                                  const int64_t *order, const int64_t *leaf_ptr,
                                  ptrdiff_t n_leaves)
{
    if (!graph_args_ok(indices, sqdist, flags, data, n, d, k) || !order ||
        !leaf_ptr || n_leaves < 0 || (n_leaves > 0 && (leaf_ptr[0] != 0 || leaf_ptr[n_leaves] != n)))
        return GM_ERR_ARG;
    for (ptrdiff_t l = 0; l < n_leaves; l++)
        if (leaf_ptr[l + 1] < leaf_ptr[l])
            return GM_ERR_ARG;
    for (ptrdiff_t p = 0; p < n; p++)
        if (order[p] < 0 || order[p] >= n)
            return GM_ERR_ARG;
    /* leaves are disjoint: a leaf's pairs touch only its own members' rows */
    #pragma omp parallel for num_threads(gm_get_num_threads()) schedule(dynamic, 16)
    for (ptrdiff_t l = 0; l < n_leaves; l++) {
        for (int64_t a = leaf_ptr[l]; a < leaf_ptr[l + 1]; a++) {
            int64_t i = order[a];
            for (int64_t b = a + 1; b < leaf_ptr[l + 1]; b++) {
                int64_t j = order[b];
                float dist = gm_knn_sqdist(data + i * d, data + j * d, d);
                knn_heap_push_unique(sqdist + i * k, indices + i * k, flags + i * k, k, dist, j, 1);
                knn_heap_push_unique(sqdist + j * k, indices + j * k, flags + j * k, k, dist, i, 1);
            }
        }
    }
    return GM_OK;
}

gm_status gm_knn_graph_fill_random(int64_t *indices, float *sqdist,
                                   uint8_t *flags, const float *data,
                                   ptrdiff_t n, ptrdiff_t d, ptrdiff_t k,
                                   uint64_t seed)
{
    if (!graph_args_ok(indices, sqdist, flags, data, n, d, k))
        return GM_ERR_ARG;
    #pragma omp parallel for num_threads(gm_get_num_threads()) schedule(dynamic, 256)
    for (ptrdiff_t i = 0; i < n; i++) {
        float *rd = sqdist + i * k;
        int64_t *ri = indices + i * k;
        uint8_t *rf = flags + i * k;
        /* empty slots (index -1, distance inf) sit at the top of the heap */
        for (ptrdiff_t attempt = 0; attempt < 4 * k && ri[0] < 0; attempt++) {
            uint64_t address = (uint64_t)i * (uint64_t)(4 * k) + (uint64_t)attempt;
            int64_t j = (int64_t)(((uint64_t)gm_rng_u32_at(seed, GM_KNN_STREAM_FILL, address) * (uint64_t)n) >> 32);
            if (j != i)
                knn_heap_push_unique(rd, ri, rf, k, gm_knn_sqdist(data + i * d, data + j * d, d), j, 1);
        }
        for (int64_t j = 0; j < n && ri[0] < 0; j++)   /* tiny data: take any */
            if (j != i)
                knn_heap_push_unique(rd, ri, rf, k, gm_knn_sqdist(data + i * d, data + j * d, d), j, 1);
    }
    return GM_OK;
}

gm_status gm_knn_graph_finish(int64_t *indices, float *distances,
                              const float *data, ptrdiff_t n, ptrdiff_t d,
                              ptrdiff_t k)
{
    if (n < 1 || d < 1 || k < 1 || !indices || !distances || !data)
        return GM_ERR_ARG;
    for (ptrdiff_t t = 0; t < n * k; t++)
        if (indices[t] < 0 || indices[t] >= n)
            return GM_ERR_ARG;
    #pragma omp parallel for num_threads(gm_get_num_threads()) schedule(static)
    for (ptrdiff_t i = 0; i < n; i++) {
        for (ptrdiff_t t = 0; t < k; t++)
            distances[i * k + t] = knn_exact_distance(data + i * d, data + indices[i * k + t] * d, d);
        knn_sort_row(distances + i * k, indices + i * k, k);
    }
    return GM_OK;
}

/* ---- NN-descent --------------------------------------------------------- */

/* Candidate lists: a max-heap per point of (priority, point), at most
 * max_candidates long; a point offered twice keeps its lower priority, so
 * the list is the same whatever the order of offers. */
typedef struct {
    uint32_t *priority;   /* (n, c) */
    int32_t *point;       /* (n, c) */
    int32_t *count;       /* (n) */
} candidates;

static inline int cand_worse(uint32_t pa, int32_t a, uint32_t pb, int32_t b)
{
    return pa > pb || (pa == pb && a > b);
}

static void cand_sift_down(uint32_t *pri, int32_t *pt, int32_t size, int32_t i)
{
    for (;;) {
        int32_t l = 2 * i + 1, r = l + 1, top = i;
        if (l < size && cand_worse(pri[l], pt[l], pri[top], pt[top]))
            top = l;
        if (r < size && cand_worse(pri[r], pt[r], pri[top], pt[top]))
            top = r;
        if (top == i)
            return;
        uint32_t tp = pri[i];
        int32_t tq = pt[i];
        pri[i] = pri[top], pt[i] = pt[top], pri[top] = tp, pt[top] = tq;
        i = top;
    }
}

static void cand_sift_up(uint32_t *pri, int32_t *pt, int32_t i)
{
    while (i > 0) {
        int32_t parent = (i - 1) / 2;
        if (!cand_worse(pri[i], pt[i], pri[parent], pt[parent]))
            return;
        uint32_t tp = pri[i];
        int32_t tq = pt[i];
        pri[i] = pri[parent], pt[i] = pt[parent], pri[parent] = tp, pt[parent] = tq;
        i = parent;
    }
}

static void cand_offer(const candidates *c, ptrdiff_t cap, ptrdiff_t v,
                       uint32_t priority, int32_t point)
{
    uint32_t *pri = c->priority + v * cap;
    int32_t *pt = c->point + v * cap;
    int32_t size = c->count[v];
    for (int32_t s = 0; s < size; s++) {
        if (pt[s] == point) {
            if (priority < pri[s]) {   /* lower key in a max-heap: sift down */
                pri[s] = priority;
                cand_sift_down(pri, pt, size, s);
            }
            return;
        }
    }
    if (size < cap) {
        pri[size] = priority, pt[size] = point;
        c->count[v] = size + 1;
        cand_sift_up(pri, pt, size);
    } else if (cand_worse(pri[0], pt[0], priority, point)) {
        pri[0] = priority, pt[0] = point;
        cand_sift_down(pri, pt, size, 0);
    }
}

/* One offer of the local join: p and q with squared distance d. */
typedef struct {
    int32_t p, q;
    float d;
} offer;

static ptrdiff_t offers_per_point(ptrdiff_t c)
{
    return c * (c - 1) / 2 + c * c;
}

/* Points per block of the local join: about 2^20 offers of room, a
 * function of max_candidates alone. */
static ptrdiff_t join_block(ptrdiff_t c)
{
    ptrdiff_t b = ((ptrdiff_t)1 << 20) / offers_per_point(c);
    return b < 16 ? 16 : (b > 4096 ? 4096 : b);
}

typedef struct {
    candidates fresh, old;
    int64_t *reverse_ptr;    /* (n + 1) */
    int64_t *reverse_edge;   /* (n * k): edges i * k + t with indices[i, t] = v */
    offer *offers;           /* (block, offers_per_point) */
    int32_t *offer_count;    /* (block) */
} descent_workspace;

static size_t align64(size_t x)
{
    return (x + 63) & ~(size_t)63;
}

/* Lays out the workspace; with base NULL only measures it. */
static size_t carve(descent_workspace *w, char *base, ptrdiff_t n, ptrdiff_t k, ptrdiff_t c)
{
    size_t at = 0, nc = (size_t)(n * c);
    size_t block = (size_t)join_block(c), per = (size_t)offers_per_point(c);
#define TAKE(field, bytes) \
    do { \
        if (base) \
            field = (void *)(base + at); \
        at = align64(at + (bytes)); \
    } while (0)
    TAKE(w->fresh.priority, nc * sizeof(uint32_t));
    TAKE(w->fresh.point, nc * sizeof(int32_t));
    TAKE(w->fresh.count, (size_t)n * sizeof(int32_t));
    TAKE(w->old.priority, nc * sizeof(uint32_t));
    TAKE(w->old.point, nc * sizeof(int32_t));
    TAKE(w->old.count, (size_t)n * sizeof(int32_t));
    TAKE(w->reverse_ptr, (size_t)(n + 1) * sizeof(int64_t));
    TAKE(w->reverse_edge, (size_t)(n * k) * sizeof(int64_t));
    TAKE(w->offers, block * per * sizeof(offer));
    TAKE(w->offer_count, block * sizeof(int32_t));
#undef TAKE
    return at;
}

size_t gm_nn_descent_workspace_size(ptrdiff_t n, ptrdiff_t k,
                                    ptrdiff_t max_candidates)
{
    descent_workspace w;
    return carve(&w, NULL, n, k, max_candidates) + 64;
}

/* Reverse neighbour lists by a counting sort of the edges. */
static void build_reverse(const descent_workspace *w, const int64_t *indices,
                          ptrdiff_t n, ptrdiff_t k)
{
    int64_t *ptr = w->reverse_ptr;
    memset(ptr, 0, sizeof(int64_t) * (size_t)(n + 1));
    for (ptrdiff_t e = 0; e < n * k; e++)
        if (indices[e] >= 0)
            ptr[indices[e] + 1]++;
    for (ptrdiff_t v = 0; v < n; v++)
        ptr[v + 1] += ptr[v];
    /* fill with ptr[v] as a cursor, then shift the cursors back */
    for (ptrdiff_t e = 0; e < n * k; e++)
        if (indices[e] >= 0)
            w->reverse_edge[ptr[indices[e]]++] = e;
    for (ptrdiff_t v = n; v > 0; v--)
        ptr[v] = ptr[v - 1];
    ptr[0] = 0;
}

/* Each point's new and old candidates: its neighbours and reverse
 * neighbours, max_candidates of each kind by lowest Philox priority (one
 * priority per edge and iteration). Then the neighbours sampled as new
 * become old. */
static void sample_candidates(const descent_workspace *w, int64_t *indices,
                              uint8_t *flags, ptrdiff_t n, ptrdiff_t k, ptrdiff_t c,
                              uint64_t seed, int64_t iteration)
{
    uint64_t base = (uint64_t)iteration * (uint64_t)(n * k);
    #pragma omp parallel for num_threads(gm_get_num_threads()) schedule(dynamic, 256)
    for (ptrdiff_t v = 0; v < n; v++) {
        w->fresh.count[v] = 0, w->old.count[v] = 0;
        for (ptrdiff_t t = 0; t < k; t++) {
            int64_t e = v * k + t, j = indices[e];
            if (j < 0)
                continue;
            uint32_t pr = gm_rng_u32_at(seed, GM_KNN_STREAM_CANDIDATES, base + (uint64_t)e);
            cand_offer(flags[e] ? &w->fresh : &w->old, c, v, pr, (int32_t)j);
        }
        for (int64_t r = w->reverse_ptr[v]; r < w->reverse_ptr[v + 1]; r++) {
            int64_t e = w->reverse_edge[r];
            uint32_t pr = gm_rng_u32_at(seed, GM_KNN_STREAM_CANDIDATES, base + (uint64_t)e);
            cand_offer(flags[e] ? &w->fresh : &w->old, c, v, pr, (int32_t)(e / k));
        }
    }
    #pragma omp parallel for num_threads(gm_get_num_threads()) schedule(static)
    for (ptrdiff_t v = 0; v < n; v++) {
        const int32_t *pt = w->fresh.point + v * c;
        for (ptrdiff_t t = 0; t < k; t++) {
            if (!flags[v * k + t])
                continue;
            for (int32_t s = 0; s < w->fresh.count[v]; s++)
                if (pt[s] == indices[v * k + t]) {
                    flags[v * k + t] = 0;
                    break;
                }
        }
    }
}

/* The offers of point v's candidates: every new-new and new-old pair that
 * would improve either point's heap as it stands. */
static int32_t join_point(offer *out, const descent_workspace *w, ptrdiff_t v,
                          const float *sqdist, const float *data, ptrdiff_t d,
                          ptrdiff_t k, ptrdiff_t c)
{
    const int32_t *fresh = w->fresh.point + v * c, *old = w->old.point + v * c;
    int32_t n_fresh = w->fresh.count[v], n_old = w->old.count[v], count = 0;
    for (int32_t a = 0; a < n_fresh; a++) {
        int32_t p = fresh[a];
        float bound_p = sqdist[(ptrdiff_t)p * k];
        for (int32_t b = a + 1; b < n_fresh + n_old; b++) {
            int32_t q = b < n_fresh ? fresh[b] : old[b - n_fresh];
            if (q == p)
                continue;
            float dist = gm_knn_sqdist(data + (ptrdiff_t)p * d, data + (ptrdiff_t)q * d, d);
            if (dist <= bound_p || dist <= sqdist[(ptrdiff_t)q * k])
                out[count++] = (offer){p, q, dist};
        }
    }
    return count;
}

gm_status gm_nn_descent_iteration(int64_t *indices, float *sqdist,
                                  uint8_t *flags, const float *data,
                                  ptrdiff_t n, ptrdiff_t d, ptrdiff_t k,
                                  ptrdiff_t max_candidates, uint64_t seed,
                                  int64_t iteration, void *workspace,
                                  int64_t *n_updates)
{
    ptrdiff_t c = max_candidates;
    if (!graph_args_ok(indices, sqdist, flags, data, n, d, k) || c < 1 ||
        iteration < 0 || !workspace || !n_updates)
        return GM_ERR_ARG;
    for (ptrdiff_t e = 0; e < n * k; e++)
        if (indices[e] < -1 || indices[e] >= n)
            return GM_ERR_ARG;
    descent_workspace w;
    carve(&w, (char *)workspace + ((64 - (uintptr_t)workspace % 64) % 64), n, k, c);

    build_reverse(&w, indices, n, k);
    sample_candidates(&w, indices, flags, n, k, c, seed, iteration);

    ptrdiff_t block = join_block(c), per = offers_per_point(c);
    for (ptrdiff_t b0 = 0; b0 < n; b0 += block) {
        ptrdiff_t b1 = b0 + block < n ? b0 + block : n;
        #pragma omp parallel for num_threads(gm_get_num_threads()) schedule(dynamic, 16)
        for (ptrdiff_t v = b0; v < b1; v++)
            w.offer_count[v - b0] = join_point(w.offers + (v - b0) * per, &w, v, sqdist, data, d, k, c);
        /* each thread applies the offers to its own range of rows */
        #pragma omp parallel num_threads(gm_get_num_threads())
        {
            ptrdiff_t threads = omp_get_num_threads(), me = omp_get_thread_num();
            int32_t lo = (int32_t)(n * me / threads), hi = (int32_t)(n * (me + 1) / threads);
            for (ptrdiff_t v = b0; v < b1; v++) {
                const offer *o = w.offers + (v - b0) * per;
                for (int32_t s = 0; s < w.offer_count[v - b0]; s++) {
                    int32_t p = o[s].p, q = o[s].q;
                    if (p >= lo && p < hi)
                        knn_heap_push_unique(sqdist + (ptrdiff_t)p * k, indices + (ptrdiff_t)p * k,
                                             flags + (ptrdiff_t)p * k, k, o[s].d, q, 2);
                    if (q >= lo && q < hi)
                        knn_heap_push_unique(sqdist + (ptrdiff_t)q * k, indices + (ptrdiff_t)q * k,
                                             flags + (ptrdiff_t)q * k, k, o[s].d, p, 2);
                }
            }
        }
    }
    /* entries that arrived in this iteration are new; count them */
    int64_t updates = 0;
    #pragma omp parallel for num_threads(gm_get_num_threads()) schedule(static) reduction(+:updates)
    for (ptrdiff_t e = 0; e < n * k; e++)
        if (flags[e] == 2)
            flags[e] = 1, updates++;
    *n_updates = updates;
    return GM_OK;
}
