/* activations.h - activations kernels of the genmodels core. */
#ifndef GM_ACTIVATIONS_H
#define GM_ACTIVATIONS_H

#include "gm.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif

#endif /* GM_ACTIVATIONS_H */
