/* tsne.h - tsne kernels of the genmodels core. */
#ifndef GM_TSNE_H
#define GM_TSNE_H

#include "gm.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif

#endif /* GM_TSNE_H */
