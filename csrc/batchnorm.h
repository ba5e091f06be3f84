/* batchnorm.h - batchnorm kernels of the genmodels core. */
#ifndef GM_BATCHNORM_H
#define GM_BATCHNORM_H

#include "gm.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif

#endif /* GM_BATCHNORM_H */
