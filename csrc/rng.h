/* rng.h - rng kernels of the genmodels core. */
#ifndef GM_RNG_H
#define GM_RNG_H

#include "gm.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif

#endif /* GM_RNG_H */
