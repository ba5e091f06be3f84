/* knn.h - knn kernels of the genmodels core. */
#ifndef GM_KNN_H
#define GM_KNN_H

#include "gm.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif

#endif /* GM_KNN_H */
