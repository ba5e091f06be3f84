/* tsne.c - t-SNE affinities and the Barnes-Hut gradient descent.
 *
 * Determinism: the quadtree is built sequentially in index order; each
 * point's forces are computed by one thread; the normalisation Z is summed
 * over the points in index order. So the embedding is bitwise the same for
 * any thread count. */
#include "gm.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TSNE_MAX_DEPTH 48

gm_status gm_tsne_affinities(float *p, const float *dist, ptrdiff_t n,
                             ptrdiff_t k, float perplexity)
{
    if (n < 0 || k < 1 || !(perplexity > 0) || (n && (!p || !dist)))
        return GM_ERR_ARG;
    const double target = log(perplexity);
    int bad = 0;
    #pragma omp parallel for num_threads(gm_get_num_threads()) schedule(static) reduction(|:bad)
    for (ptrdiff_t i = 0; i < n; i++) {
        const float *d = dist + i * k;
        float *row = p + i * k;
        double dmin = INFINITY;
        for (ptrdiff_t j = 0; j < k; j++) {
            bad |= !isfinite(d[j]);
            dmin = d[j] < dmin ? d[j] : dmin;
        }
        double beta = 1.0, lo = 0.0, hi = INFINITY;
        for (int it = 0; it < 200; it++) {
            /* shifted by the nearest distance so exp() cannot underflow to 0 */
            double sum = 0.0, wsum = 0.0;
            for (ptrdiff_t j = 0; j < k; j++) {
                double d2 = (double)d[j] * d[j] - dmin * dmin;
                double w = exp(-beta * d2);
                sum += w;
                wsum += w * d2;
            }
            double entropy = log(sum) + beta * wsum / sum;
            if (fabs(entropy - target) < 1e-6)
                break;
            if (entropy > target) {
                lo = beta;
                beta = isinf(hi) ? beta * 2.0 : 0.5 * (beta + hi);
            } else {
                hi = beta;
                beta = 0.5 * (beta + lo);
            }
        }
        double sum = 0.0;
        for (ptrdiff_t j = 0; j < k; j++)
            sum += exp(-beta * ((double)d[j] * d[j] - dmin * dmin));
        for (ptrdiff_t j = 0; j < k; j++)
            row[j] = (float)(exp(-beta * ((double)d[j] * d[j] - dmin * dmin)) / sum);
    }
    return bad ? GM_ERR_NONFINITE : GM_OK;
}

/* --- the quadtree ----------------------------------------------------------- */

typedef struct {
    double com_x, com_y;      /* sum of positions, then centre of mass */
    double mass;              /* points below */
    double cx, cy, half;      /* the square: centre and half width */
    ptrdiff_t child;          /* first of 4 children, or -1 for a leaf */
    ptrdiff_t point;          /* the point of a one-point leaf, else -1 */
    int depth;
} qnode;

typedef struct {
    qnode *nodes;
    ptrdiff_t used, capacity;
} qtree;

static ptrdiff_t new_node(qtree *t, double cx, double cy, double half, int depth)
{
    if (t->used == t->capacity) {
        ptrdiff_t cap = t->capacity * 2;
        qnode *grown = realloc(t->nodes, (size_t)cap * sizeof *grown);
        if (!grown)
            return -1;
        t->nodes = grown, t->capacity = cap;
    }
    qnode *q = &t->nodes[t->used];
    *q = (qnode){0, 0, 0, cx, cy, half, -1, -1, depth};
    return t->used++;
}

static int quadrant(const qnode *q, double x, double y)
{
    return (x >= q->cx) + 2 * (y >= q->cy);
}

static int split(qtree *t, ptrdiff_t node)
{
    qnode q = t->nodes[node];
    double h = q.half / 2;
    ptrdiff_t first = -1;
    for (int c = 0; c < 4; c++) {
        ptrdiff_t id = new_node(t, q.cx + ((c & 1) ? h : -h), q.cy + ((c & 2) ? h : -h), h, q.depth + 1);
        if (id < 0)
            return -1;
        first = c == 0 ? id : first;
    }
    t->nodes[node].child = first;
    return 0;
}

static int insert(qtree *t, const float *y, ptrdiff_t i)
{
    double x = y[2 * i], yy = y[2 * i + 1];
    ptrdiff_t node = 0;
    for (;;) {
        qnode *q = &t->nodes[node];
        if (q->mass == 0 && q->child < 0) {          /* empty leaf */
            q->point = i;
            q->mass = 1, q->com_x = x, q->com_y = yy;
            return 0;
        }
        if (q->child < 0 && (q->point < 0 || q->depth >= TSNE_MAX_DEPTH ||
                             (y[2 * q->point] == x && y[2 * q->point + 1] == yy))) {
            q->mass += 1, q->com_x += x, q->com_y += yy;   /* duplicates share a leaf */
            q->point = -1;
            return 0;
        }
        if (q->child < 0) {                            /* one point: push it down */
            ptrdiff_t old = q->point;
            double ox = q->com_x, oy = q->com_y, om = q->mass;
            if (split(t, node))
                return -1;
            q = &t->nodes[node];
            ptrdiff_t c = q->child + quadrant(q, ox, oy);
            t->nodes[c].point = old, t->nodes[c].mass = om;
            t->nodes[c].com_x = ox, t->nodes[c].com_y = oy;
            q->point = -1;
        }
        q->mass += 1, q->com_x += x, q->com_y += yy;
        node = q->child + quadrant(q, x, yy);
    }
}

static void finish_centres(qtree *t)
{
    for (ptrdiff_t i = 0; i < t->used; i++) {
        qnode *q = &t->nodes[i];
        if (q->mass > 0)
            q->com_x /= q->mass, q->com_y /= q->mass;
    }
}

static int build_tree(qtree *t, const float *y, ptrdiff_t n)
{
    double minx = DBL_MAX, maxx = -DBL_MAX, miny = DBL_MAX, maxy = -DBL_MAX;
    for (ptrdiff_t i = 0; i < n; i++) {
        minx = fmin(minx, y[2 * i]), maxx = fmax(maxx, y[2 * i]);
        miny = fmin(miny, y[2 * i + 1]), maxy = fmax(maxy, y[2 * i + 1]);
    }
    double half = 0.5 * fmax(maxx - minx, maxy - miny) * (1 + 1e-6) + 1e-12;
    t->used = 0;
    if (new_node(t, 0.5 * (minx + maxx), 0.5 * (miny + maxy), half, 0) < 0)
        return -1;
    /* Sums first (insert adds positions), then centres of mass. */
    for (ptrdiff_t i = 0; i < n; i++)
        if (insert(t, y, i))
            return -1;
    finish_centres(t);
    return 0;
}

/* What the force walk reads of a node, packed into 24 bytes: the walk
 * touches many nodes per point and is bound by memory traffic. */
typedef struct {
    float com_x, com_y, mass, width2;   /* width2: the square's width squared */
    int32_t child, point;
} walk_node;

static void pack_nodes(walk_node *w, const qtree *t)
{
    for (ptrdiff_t i = 0; i < t->used; i++) {
        const qnode *q = &t->nodes[i];
        w[i] = (walk_node){(float)q->com_x, (float)q->com_y, (float)q->mass,
                           (float)(4 * q->half * q->half), (int32_t)q->child, (int32_t)q->point};
    }
}

/* Repulsion on point i: sum over cells of mass * q^2 * (y_i - com), and the
 * cell's share of Z, sum of mass * q. */
static void repulsion(const walk_node *nodes, const float *y, ptrdiff_t i, double theta2,
                      double *fx, double *fy, double *z)
{
    int32_t stack[4 * TSNE_MAX_DEPTH + 8];
    int top = 0;
    stack[top++] = 0;
    double x = y[2 * i], yy = y[2 * i + 1];
    while (top) {
        const walk_node *q = &nodes[stack[--top]];
        if (q->mass == 0)
            continue;
        double dx = x - q->com_x, dy = yy - q->com_y, d2 = dx * dx + dy * dy;
        int leaf = q->child < 0;
        if (leaf && q->point == i)
            continue;
        if (leaf || q->width2 < theta2 * d2) {
            double mass = q->mass;
            if (leaf && q->point < 0 && d2 == 0)     /* duplicates of i itself */
                mass -= 1;
            double qij = 1.0 / (1.0 + d2), mq = mass * qij;
            *z += mq;
            *fx += mq * qij * dx, *fy += mq * qij * dy;
        } else {
            for (int c = 3; c >= 0; c--)
                stack[top++] = q->child + c;
        }
    }
}

static uint32_t grid16(double v)
{
    return v >= 0 ? (v <= 65535 ? (uint32_t)v : 65535u) : 0u;    /* NaN -> 0 */
}

/* Spread a coordinate in [0, 1) over 16 bits with a zero between bits. */
static uint32_t interleave16(uint32_t v)
{
    v &= 0xffff;
    v = (v | (v << 8)) & 0x00ff00ff;
    v = (v | (v << 4)) & 0x0f0f0f0f;
    v = (v | (v << 2)) & 0x33333333;
    v = (v | (v << 1)) & 0x55555555;
    return v;
}

/* order <- the points sorted along a Z-order curve (Morton codes, radix
 * sort), so that consecutive points walk nearly the same nodes and find
 * them in cache. Only the speed depends on this order. */
static void z_order(int32_t *order, int32_t *tmp, uint32_t *code, uint32_t *code_tmp,
                    const float *y, ptrdiff_t n)
{
    float minx = FLT_MAX, maxx = -FLT_MAX, miny = FLT_MAX, maxy = -FLT_MAX;
    for (ptrdiff_t i = 0; i < n; i++) {
        minx = fminf(minx, y[2 * i]), maxx = fmaxf(maxx, y[2 * i]);
        miny = fminf(miny, y[2 * i + 1]), maxy = fmaxf(maxy, y[2 * i + 1]);
    }
    double sx = 65535.0 / fmax(maxx - minx, 1e-30), sy = 65535.0 / fmax(maxy - miny, 1e-30);
    for (ptrdiff_t i = 0; i < n; i++) {
        code[i] = interleave16(grid16((y[2 * i] - minx) * sx)) | (interleave16(grid16((y[2 * i + 1] - miny) * sy)) << 1);
        order[i] = (int32_t)i;
    }
    for (int shift = 0; shift < 32; shift += 8) {       /* LSD radix sort, 8 bits a pass */
        ptrdiff_t count[257] = {0};
        for (ptrdiff_t i = 0; i < n; i++)
            count[((code[i] >> shift) & 255) + 1]++;
        for (int b = 0; b < 256; b++)
            count[b + 1] += count[b];
        for (ptrdiff_t i = 0; i < n; i++) {
            ptrdiff_t at = count[(code[i] >> shift) & 255]++;
            tmp[at] = order[i], code_tmp[at] = code[i];
        }
        memcpy(order, tmp, sizeof *order * (size_t)n);
        memcpy(code, code_tmp, sizeof *code * (size_t)n);
    }
}

static void attraction(const float *y, const gm_tsne_graph *g, ptrdiff_t i,
                       double *fx, double *fy)
{
    double x = y[2 * i], yy = y[2 * i + 1];
    for (int64_t e = g->indptr[i]; e < g->indptr[i + 1]; e++) {
        int64_t j = g->indices[e];
        double dx = x - y[2 * j], dy = yy - y[2 * j + 1];
        double w = g->p[e] / (1.0 + dx * dx + dy * dy);
        *fx += w * dx, *fy += w * dy;
    }
}

static gm_status check_graph(const gm_tsne_graph *g)
{
    if (!g || g->n < 0 || (g->n && (!g->indptr || !g->indices || !g->p)))
        return GM_ERR_ARG;
    for (ptrdiff_t i = 0; i < g->n; i++)
        if (g->indptr[i] > g->indptr[i + 1])
            return GM_ERR_ARG;
    for (int64_t e = 0; e < (g->n ? g->indptr[g->n] : 0); e++)
        if (g->indices[e] < 0 || g->indices[e] >= g->n)
            return GM_ERR_ARG;
    return GM_OK;
}

gm_status gm_tsne_gradient_ref(float *grad, const float *y,
                               const gm_tsne_graph *g, float exaggeration)
{
    gm_status s = check_graph(g);
    if (s != GM_OK)
        return s;
    ptrdiff_t n = g->n;
    double z = 0;
    for (ptrdiff_t i = 0; i < n; i++)
        for (ptrdiff_t j = 0; j < n; j++)
            if (i != j) {
                double dx = y[2 * i] - y[2 * j], dy = y[2 * i + 1] - y[2 * j + 1];
                z += 1.0 / (1.0 + dx * dx + dy * dy);
            }
    for (ptrdiff_t i = 0; i < n; i++) {
        double ax = 0, ay = 0, rx = 0, ry = 0;
        attraction(y, g, i, &ax, &ay);
        for (ptrdiff_t j = 0; j < n; j++)
            if (i != j) {
                double dx = y[2 * i] - y[2 * j], dy = y[2 * i + 1] - y[2 * j + 1];
                double q = 1.0 / (1.0 + dx * dx + dy * dy);
                rx += q * q * dx, ry += q * q * dy;
            }
        grad[2 * i] = (float)(4 * (exaggeration * ax - rx / z));
        grad[2 * i + 1] = (float)(4 * (exaggeration * ay - ry / z));
    }
    return GM_OK;
}

static double kl_divergence(const float *y, const gm_tsne_graph *g, double z)
{
    double kl = 0;
    for (ptrdiff_t i = 0; i < g->n; i++)
        for (int64_t e = g->indptr[i]; e < g->indptr[i + 1]; e++) {
            if (g->p[e] <= 0)
                continue;
            int64_t j = g->indices[e];
            double dx = y[2 * i] - y[2 * j], dy = y[2 * i + 1] - y[2 * j + 1];
            double q = 1.0 / (1.0 + dx * dx + dy * dy) / z;
            kl += g->p[e] * log(g->p[e] / fmax(q, DBL_MIN));
        }
    return kl;
}

/* Every buffer the optimiser needs, allocated once per call. */
typedef struct {
    qtree tree;
    walk_node *walk;
    ptrdiff_t walk_capacity;
    float *grad;
    double *rep, *zpoint;
    int32_t *order, *order_tmp;
    uint32_t *code, *code_tmp;
} tsne_buffers;

static void free_buffers(tsne_buffers *b)
{
    free(b->tree.nodes), free(b->walk), free(b->grad), free(b->rep), free(b->zpoint);
    free(b->order), free(b->order_tmp), free(b->code), free(b->code_tmp);
}

static int alloc_buffers(tsne_buffers *b, ptrdiff_t n)
{
    size_t un = (size_t)n, cap = 4 * un + 16;
    *b = (tsne_buffers){{malloc(sizeof(qnode) * cap), 0, (ptrdiff_t)cap}, malloc(sizeof(walk_node) * cap),
                        (ptrdiff_t)cap, malloc(sizeof(float) * 2 * un), malloc(sizeof(double) * 2 * un),
                        malloc(sizeof(double) * un), malloc(sizeof(int32_t) * un), malloc(sizeof(int32_t) * un),
                        malloc(sizeof(uint32_t) * un), malloc(sizeof(uint32_t) * un)};
    return b->tree.nodes && b->walk && b->grad && b->rep && b->zpoint && b->order && b->order_tmp &&
           b->code && b->code_tmp;
}

/* The Barnes-Hut tree of y, packed for the walk; 0 on success. */
static int prepare_walk(tsne_buffers *b, const float *y, ptrdiff_t n)
{
    if (build_tree(&b->tree, y, n))
        return -1;
    if (b->tree.used > INT32_MAX)
        return -1;
    if (b->tree.used > b->walk_capacity) {
        walk_node *grown = realloc(b->walk, sizeof *grown * (size_t)b->tree.capacity);
        if (!grown)
            return -1;
        b->walk = grown, b->walk_capacity = b->tree.capacity;
    }
    pack_nodes(b->walk, &b->tree);
    z_order(b->order, b->order_tmp, b->code, b->code_tmp, y, n);
    return 0;
}

/* rep (n, 2) <- the unnormalised repulsion on each point; returns Z. */
static double repulsive_forces(tsne_buffers *b, const float *y, ptrdiff_t n, float theta)
{
    #pragma omp parallel for num_threads(gm_get_num_threads()) schedule(dynamic, 256)
    for (ptrdiff_t k = 0; k < n; k++) {
        ptrdiff_t i = theta > 0 ? b->order[k] : k;
        double fx = 0, fy = 0, zi = 0;
        if (theta > 0) {
            repulsion(b->walk, y, i, (double)theta * theta, &fx, &fy, &zi);
        } else {
            for (ptrdiff_t j = 0; j < n; j++) {
                if (j == i)
                    continue;
                double dx = y[2 * i] - y[2 * j], dy = y[2 * i + 1] - y[2 * j + 1];
                double q = 1.0 / (1.0 + dx * dx + dy * dy);
                zi += q, fx += q * q * dx, fy += q * q * dy;
            }
        }
        b->rep[2 * i] = fx, b->rep[2 * i + 1] = fy, b->zpoint[i] = zi;
    }
    /* Z in index order, whichever thread computed which point */
    double z = 0;
    for (ptrdiff_t i = 0; i < n; i++)
        z += b->zpoint[i];
    return z;
}

gm_status gm_tsne_optimize(float *y, float *update, float *gains,
                           const gm_tsne_graph *g, int n_iter,
                           float exaggeration, float momentum,
                           float learning_rate, float theta, double *kl)
{
    gm_status s = check_graph(g);
    if (s != GM_OK)
        return s;
    if (n_iter < 0 || !(theta >= 0) || !(learning_rate > 0) || !(momentum >= 0))
        return GM_ERR_ARG;
    ptrdiff_t n = g->n;
    if (n < 2)
        return GM_OK;
    if (n > INT32_MAX / 8)
        return GM_ERR_ARG;
    tsne_buffers b;
    if (!alloc_buffers(&b, n)) {
        s = GM_ERR_NOMEM;
        goto done;
    }
    double z = 1.0;
    for (int it = 0; it <= n_iter; it++) {
        int last = it == n_iter;
        if (last && !kl)
            break;
        if (theta > 0 && prepare_walk(&b, y, n)) {
            s = GM_ERR_NOMEM;
            goto done;
        }
        z = repulsive_forces(&b, y, n, theta);
        if (last)
            break;
        float *grad = b.grad;
        #pragma omp parallel for num_threads(gm_get_num_threads()) schedule(static)
        for (ptrdiff_t i = 0; i < n; i++) {
            double ax = 0, ay = 0;
            attraction(y, g, i, &ax, &ay);
            grad[2 * i] = (float)(4 * (exaggeration * ax - b.rep[2 * i] / z));
            grad[2 * i + 1] = (float)(4 * (exaggeration * ay - b.rep[2 * i + 1] / z));
        }
        #pragma omp parallel for num_threads(gm_get_num_threads()) schedule(static)
        for (ptrdiff_t e = 0; e < 2 * n; e++) {
            /* delta-bar-delta gains (Jacobs 1988), as in the reference t-SNE */
            int same = (grad[e] > 0) == (update[e] > 0);
            gains[e] = same ? gains[e] * 0.8f : gains[e] + 0.2f;
            gains[e] = gains[e] < 0.01f ? 0.01f : gains[e];
            update[e] = momentum * update[e] - learning_rate * gains[e] * grad[e];
            y[e] += update[e];
        }
    }
    if (kl)
        *kl = kl_divergence(y, g, z);
done:
    free_buffers(&b);
    return s;
}
