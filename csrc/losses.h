/* losses.h - losses kernels of the genmodels core. */
#ifndef GM_LOSSES_H
#define GM_LOSSES_H

#include "gm.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif

#endif /* GM_LOSSES_H */
