/* rp_tree.c - random-projection trees: the first neighbour candidates of
 * the approximate search are the points sharing a leaf.
 *
 * A node splits its points by the hyperplane halfway between two of them,
 * as in pynndescent's euclidean trees. A tree is built depth-first on a
 * permutation of the points, one thread per tree, and every random draw is
 * Philox(seed, GM_KNN_STREAM_TREE, tree << 40 | draw number), so a tree is
 * a function of (seed, tree index) alone. */
#include "knn_internal.h"

#include <string.h>

#define RP_MAX_DEPTH 128   /* smaller child first: the stack stays under log2(n) */

size_t gm_rp_forest_workspace_size(ptrdiff_t n, ptrdiff_t d, ptrdiff_t n_trees)
{
    /* per tree: the hyperplane normal (d) and the margins (n) */
    return (size_t)n_trees * ((size_t)d + (size_t)n);
}

typedef struct {
    uint64_t seed, tree, draws;
} tree_rng;

static uint32_t draw(tree_rng *r)
{
    return gm_rng_u32_at(r->seed, GM_KNN_STREAM_TREE, (r->tree << 40) | r->draws++);
}

/* Partitions order[lo, hi) by the side of each point; returns the split
 * position, or lo or hi when every point fell on one side. */
static ptrdiff_t split_node(int64_t *order, ptrdiff_t lo, ptrdiff_t hi,
                            const float *data, ptrdiff_t d, float *normal,
                            float *margin, tree_rng *r)
{
    ptrdiff_t size = hi - lo;
    ptrdiff_t pa = lo + (ptrdiff_t)(((uint64_t)draw(r) * (uint64_t)size) >> 32);
    ptrdiff_t pb = lo + (ptrdiff_t)(((uint64_t)draw(r) * (uint64_t)(size - 1)) >> 32);
    if (pb >= pa)
        pb++;
    const float *xa = data + order[pa] * d, *xb = data + order[pb] * d;
    for (ptrdiff_t c = 0; c < d; c++)
        normal[c] = xa[c] - xb[c];
    /* the hyperplane through the midpoint: n.x = n.(xa + xb) / 2 */
    float offset = 0.5f * (gm_knn_dot(normal, xa, d) + gm_knn_dot(normal, xb, d));
    for (ptrdiff_t p = lo; p < hi; p++) {
        float m = gm_knn_dot(normal, data + order[p] * d, d) - offset;
        if (m == 0.0f)   /* on the plane (duplicates): a fair coin */
            m = (draw(r) & 1) ? 1.0f : -1.0f;
        margin[p] = m;
    }
    ptrdiff_t i = lo, j = hi - 1;
    while (i <= j) {
        if (margin[i] > 0) {
            i++;
        } else {
            int64_t t = order[i];
            order[i] = order[j], order[j] = t;
            float tm = margin[i];
            margin[i] = margin[j], margin[j] = tm;
            j--;
        }
    }
    return i;
}

/* One tree into order (n), leaf_ptr (n + 1); returns the number of leaves. */
static ptrdiff_t build_tree(int64_t *order, int64_t *leaf_ptr, const float *data,
                            ptrdiff_t n, ptrdiff_t d, ptrdiff_t leaf_size,
                            tree_rng *r, float *normal, float *margin)
{
    for (ptrdiff_t i = 0; i < n; i++)
        order[i] = i;
    /* leaf_ptr first marks the positions where leaves start */
    memset(leaf_ptr, 0, sizeof(int64_t) * (size_t)(n + 1));
    ptrdiff_t stack[2 * RP_MAX_DEPTH], top = 0;
    stack[top++] = 0, stack[top++] = n;
    while (top > 0) {
        ptrdiff_t hi = stack[--top], lo = stack[--top];
        if (hi - lo <= leaf_size) {
            leaf_ptr[lo] = 1;
            continue;
        }
        ptrdiff_t mid = split_node(order, lo, hi, data, d, normal, margin, r);
        if (mid == lo || mid == hi)
            mid = lo + (hi - lo) / 2;
        /* push the larger child first so the smaller is done next */
        if (mid - lo >= hi - mid) {
            stack[top++] = lo, stack[top++] = mid;
            stack[top++] = mid, stack[top++] = hi;
        } else {
            stack[top++] = mid, stack[top++] = hi;
            stack[top++] = lo, stack[top++] = mid;
        }
    }
    ptrdiff_t n_leaves = 0;
    for (ptrdiff_t p = 0; p < n; p++)
        if (leaf_ptr[p])
            leaf_ptr[n_leaves++] = p;
    leaf_ptr[n_leaves] = n;
    return n_leaves;
}

gm_status gm_rp_forest(int64_t *order, int64_t *leaf_ptr, int64_t *n_leaves,
                       const float *data, ptrdiff_t n, ptrdiff_t d,
                       ptrdiff_t leaf_size, uint64_t seed,
                       ptrdiff_t first_tree, ptrdiff_t n_trees,
                       float *workspace)
{
    if (n < 1 || d < 1 || leaf_size < 1 || first_tree < 0 || n_trees < 0 ||
        first_tree + n_trees > ((ptrdiff_t)1 << 23))
        return GM_ERR_ARG;
    if (n_trees == 0)
        return GM_OK;
    if (!order || !leaf_ptr || !n_leaves || !data || !workspace)
        return GM_ERR_ARG;
    #pragma omp parallel for num_threads(gm_get_num_threads()) schedule(dynamic, 1)
    for (ptrdiff_t t = 0; t < n_trees; t++) {
        float *normal = workspace + (size_t)t * (size_t)(d + n);
        tree_rng r = {seed, (uint64_t)(first_tree + t), 0};
        n_leaves[t] = build_tree(order + t * n, leaf_ptr + t * (n + 1), data, n, d,
                                 leaf_size, &r, normal, normal + d);
    }
    return GM_OK;
}
