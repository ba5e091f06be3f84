/* optim.h - optim kernels of the genmodels core. */
#ifndef GM_OPTIM_H
#define GM_OPTIM_H

#include "gm.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif

#endif /* GM_OPTIM_H */
