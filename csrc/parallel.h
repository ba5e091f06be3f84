/* parallel.h - when an elementwise loop is worth its OpenMP fork. */
#ifndef GM_PARALLEL_H
#define GM_PARALLEL_H

/* Below this many elements a pointwise loop runs on one thread: the fork
 * and join cost more than the work. Results do not depend on it. */
#define GM_PARALLEL_MIN_ELEMENTS 32768

#endif /* GM_PARALLEL_H */
