/* umap.h - umap kernels of the genmodels core. */
#ifndef GM_UMAP_H
#define GM_UMAP_H

#include "gm.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif

#endif /* GM_UMAP_H */
