/* tsne.c - t-SNE affinities and the Barnes-Hut gradient descent.
 *
 * Determinism: the quadtree is built sequentially in index order; each
 * point's forces are computed by one thread; the normalisation Z is summed
 * over fixed-size chunks whose partial sums are added in order. So the
 * embedding is bitwise the same for any thread count. */
#include "gm.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TSNE_CHUNK 1024
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

/* Repulsion on point i: sum over cells of mass * q^2 * (y_i - com), and the
 * cell's share of Z, sum of mass * q. */
static void repulsion(const qtree *t, const float *y, ptrdiff_t i, double theta2,
                      double *fx, double *fy, double *z)
{
    ptrdiff_t stack[4 * TSNE_MAX_DEPTH + 8];
    int top = 0;
    stack[top++] = 0;
    double x = y[2 * i], yy = y[2 * i + 1];
    while (top) {
        const qnode *q = &t->nodes[stack[--top]];
        if (q->mass == 0)
            continue;
        double dx = x - q->com_x, dy = yy - q->com_y, d2 = dx * dx + dy * dy;
        int leaf = q->child < 0;
        if (leaf && q->point == i)
            continue;
        double width = 2 * q->half;
        if (leaf || width * width < theta2 * d2) {
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
    qtree tree = {malloc(sizeof(qnode) * (size_t)(4 * n + 16)), 0, 4 * n + 16};
    float *grad = malloc(sizeof(float) * (size_t)(2 * n));
    ptrdiff_t chunks = (n + TSNE_CHUNK - 1) / TSNE_CHUNK;
    double *zparts = malloc(sizeof(double) * (size_t)chunks);
    double *rep = malloc(sizeof(double) * (size_t)(2 * n));
    if (!tree.nodes || !grad || !zparts || !rep) {
        s = GM_ERR_NOMEM;
        goto done;
    }
    double z = 1.0;
    for (int it = 0; it <= n_iter; it++) {
        int last = it == n_iter;
        if (last && !kl)
            break;
        if (theta > 0 && build_tree(&tree, y, n)) {
            s = GM_ERR_NOMEM;
            goto done;
        }
        #pragma omp parallel for num_threads(gm_get_num_threads()) schedule(static)
        for (ptrdiff_t c = 0; c < chunks; c++) {
            double zc = 0;
            ptrdiff_t end = (c + 1) * TSNE_CHUNK < n ? (c + 1) * TSNE_CHUNK : n;
            for (ptrdiff_t i = c * TSNE_CHUNK; i < end; i++) {
                double fx = 0, fy = 0;
                if (theta > 0) {
                    repulsion(&tree, y, i, (double)theta * theta, &fx, &fy, &zc);
                } else {
                    for (ptrdiff_t j = 0; j < n; j++) {
                        if (j == i)
                            continue;
                        double dx = y[2 * i] - y[2 * j], dy = y[2 * i + 1] - y[2 * j + 1];
                        double q = 1.0 / (1.0 + dx * dx + dy * dy);
                        zc += q, fx += q * q * dx, fy += q * q * dy;
                    }
                }
                rep[2 * i] = fx, rep[2 * i + 1] = fy;
            }
            zparts[c] = zc;
        }
        z = 0;
        for (ptrdiff_t c = 0; c < chunks; c++)
            z += zparts[c];
        if (last)
            break;
        #pragma omp parallel for num_threads(gm_get_num_threads()) schedule(static)
        for (ptrdiff_t i = 0; i < n; i++) {
            double ax = 0, ay = 0;
            attraction(y, g, i, &ax, &ay);
            grad[2 * i] = (float)(4 * (exaggeration * ax - rep[2 * i] / z));
            grad[2 * i + 1] = (float)(4 * (exaggeration * ay - rep[2 * i + 1] / z));
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
    free(tree.nodes);
    free(grad);
    free(zparts);
    free(rep);
    return s;
}
