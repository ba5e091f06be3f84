/* gemm_config.h - SGEMM blocking, named after the level of memory each
 * block is sized for (BLIS terms).
 *
 *   MR x NR   register tile of C held by the micro-kernel (12 ymm on AVX2)
 *   KC        depth of packed panels: an MR x KC sliver of A and a KC x NR
 *             sliver of B stay in L1 while the micro-kernel runs
 *   MC        rows of A per block: MC x KC of packed A lives in L2
 *   NB        columns of B per work item: KC x NB of packed B in L2
 *   NC        columns of B packed at once: KC x NC lives in L3
 */
#ifndef GM_GEMM_CONFIG_H
#define GM_GEMM_CONFIG_H

#define GEMM_MR 6
#define GEMM_NR 16
#define GEMM_KC 512
#define GEMM_MC 48
#define GEMM_NB 192
#define GEMM_NC 3072

/* Up to this many rows of C, threads split the columns and each runs the
 * loop nest alone (training batches); above, they share packed B. */
#define GEMM_SPLIT_COLUMNS_MAX_M 256

/* Below this many multiply-adds a GEMM runs on one thread. */
#define GEMM_MIN_PARALLEL_FLOPS (1 << 18)

#endif /* GM_GEMM_CONFIG_H */
