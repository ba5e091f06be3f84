/* conv.h - conv kernels of the genmodels core. */
#ifndef GM_CONV_H
#define GM_CONV_H

#include "gm.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif

#endif /* GM_CONV_H */
