/* bind_memory.c - a NumPy data allocator that recycles large blocks.
 *
 * A training step frees and allocates the same array sizes every batch.
 * Through malloc, blocks of 128 KiB and more come from mmap or from a heap
 * top that glibc keeps trimming, so each batch touches fresh pages: a page
 * fault each (microseconds on a virtual machine) and zeroing by the kernel.
 * While a scope is active, this allocator keeps freed blocks of 64 KiB or
 * more in lists by size (rounded to 4 KiB) and hands them out again; smaller
 * ones go straight to malloc. Installed for the current context through
 * PyDataMem_SetHandler, and only over NumPy's default handler (someone
 * else's allocator is left alone). Arrays keep the handler they were made
 * with, so those outliving the scope are freed through it, normally. */
#include <stdlib.h>
#include <string.h>
#include <pthread.h>

#include "bind_util.h"

#define RECYCLE_MIN_BYTES ((size_t)64 << 10)
#define RECYCLE_GRAIN ((size_t)4 << 10)
#define RECYCLE_MAX_CACHED ((size_t)256 << 20)   /* freed bytes kept at most */
#define RECYCLE_CLASSES 256

typedef struct {
    size_t bytes;         /* block size of this class; 0 = unused slot */
    void **blocks;
    size_t count, capacity;
} size_class;

static struct {
    pthread_mutex_t lock;
    size_class classes[RECYCLE_CLASSES];
    size_t cached_bytes;
    int active_scopes;    /* blocks are kept only while a scope is active */
} cache = {.lock = PTHREAD_MUTEX_INITIALIZER};

static size_t rounded(size_t bytes) { return (bytes + RECYCLE_GRAIN - 1) / RECYCLE_GRAIN * RECYCLE_GRAIN; }

/* The class of blocks of `bytes`, created if `create` (in a slot holding no
 * blocks); NULL if none. Under lock. */
static size_class *class_of(size_t bytes, int create)
{
    size_class *free_slot = NULL;
    for (int i = 0; i < RECYCLE_CLASSES; i++) {
        if (cache.classes[i].bytes == bytes)
            return &cache.classes[i];
        if (!free_slot && cache.classes[i].count == 0)
            free_slot = &cache.classes[i];
    }
    if (create && free_slot)
        free_slot->bytes = bytes;
    return create ? free_slot : NULL;
}

static void *take_block(size_t bytes)
{
    void *block = NULL;
    pthread_mutex_lock(&cache.lock);
    size_class *sc = class_of(bytes, 0);
    if (sc && sc->count) {
        block = sc->blocks[--sc->count];
        cache.cached_bytes -= bytes;
    }
    pthread_mutex_unlock(&cache.lock);
    return block ? block : aligned_alloc(64, bytes);   /* cache-line aligned for SIMD */
}

/* Keep the block for reuse if a scope is active and there is room. */
static void give_block(void *block, size_t bytes)
{
    int kept = 0;
    pthread_mutex_lock(&cache.lock);
    if (cache.active_scopes > 0 && cache.cached_bytes + bytes <= RECYCLE_MAX_CACHED) {
        size_class *sc = class_of(bytes, 1);
        if (sc && sc->count == sc->capacity) {
            size_t capacity = sc->capacity ? 2 * sc->capacity : 8;
            void **grown = realloc(sc->blocks, capacity * sizeof *grown);
            if (grown)
                sc->blocks = grown, sc->capacity = capacity;
        }
        if (sc && sc->count < sc->capacity) {
            sc->blocks[sc->count++] = block;
            cache.cached_bytes += bytes;
            kept = 1;
        }
    }
    pthread_mutex_unlock(&cache.lock);
    if (!kept)
        free(block);
}

/* Free every cached block (they belong to no array). */
static void release_cache(void)
{
    pthread_mutex_lock(&cache.lock);
    for (int i = 0; i < RECYCLE_CLASSES; i++) {
        size_class *sc = &cache.classes[i];
        for (size_t j = 0; j < sc->count; j++)
            free(sc->blocks[j]);
        free(sc->blocks);
        *sc = (size_class){0};
    }
    cache.cached_bytes = 0;
    pthread_mutex_unlock(&cache.lock);
}

/* Every block starts with a header holding its usable size, so that free
 * and realloc never rely on the size NumPy passes back (which differs from
 * the allocation's after a realloc). The header keeps 64-byte alignment. */
#define HEADER_BYTES ((size_t)64)

static void *user_part(void *base, size_t usable)
{
    if (!base)
        return NULL;
    *(size_t *)base = usable;
    return (char *)base + HEADER_BYTES;
}

static void *base_of(void *ptr) { return (char *)ptr - HEADER_BYTES; }
static size_t usable_of(void *ptr) { return *(size_t *)base_of(ptr); }

static void *recycling_malloc(void *ctx, size_t size)
{
    (void)ctx;
    if (size > (size_t)-1 / 2)
        return NULL;
    if (size < RECYCLE_MIN_BYTES)
        return user_part(malloc(size + HEADER_BYTES), size);
    size_t usable = rounded(size);
    return user_part(take_block(usable + HEADER_BYTES), usable);
}

static void *recycling_calloc(void *ctx, size_t nelem, size_t elsize)
{
    if (elsize && nelem > (size_t)-1 / elsize)
        return NULL;
    size_t size = nelem * elsize;
    void *ptr = recycling_malloc(ctx, size);
    if (ptr)
        memset(ptr, 0, size);   /* recycled blocks hold old data */
    return ptr;
}

static void *recycling_realloc(void *ctx, void *ptr, size_t new_size)
{
    if (!ptr)
        return recycling_malloc(ctx, new_size);
    if (new_size > (size_t)-1 / 2)
        return NULL;
    size_t usable = new_size < RECYCLE_MIN_BYTES ? new_size : rounded(new_size);
    return user_part(realloc(base_of(ptr), usable + HEADER_BYTES), usable);
}

static void recycling_free(void *ctx, void *ptr, size_t size)
{
    (void)ctx, (void)size;
    if (!ptr)
        return;
    size_t usable = usable_of(ptr);
    if (usable < RECYCLE_MIN_BYTES)
        free(base_of(ptr));
    else
        give_block(base_of(ptr), usable + HEADER_BYTES);
}

static PyDataMem_Handler recycling_handler = {
    "genmodels_recycling_allocator", 1,
    {NULL, recycling_malloc, recycling_calloc, recycling_realloc, recycling_free},
};

static PyObject *handler_capsule;   /* lives as long as the process: arrays keep it */

static PyObject *py_recycle_enter(PyObject *self, PyObject *args)
{
    (void)self, (void)args;
    if (!handler_capsule) {
        handler_capsule = PyCapsule_New(&recycling_handler, "mem_handler", NULL);
        if (!handler_capsule)
            return NULL;
    }
    PyObject *current = PyDataMem_GetHandler();
    if (!current)
        return NULL;
    if (current != PyDataMem_DefaultHandler) {   /* ours already, or a user's */
        Py_DECREF(current);
        Py_RETURN_NONE;
    }
    Py_DECREF(current);
    PyObject *previous = PyDataMem_SetHandler(handler_capsule);
    if (!previous)
        return NULL;
    pthread_mutex_lock(&cache.lock);
    cache.active_scopes++;
    pthread_mutex_unlock(&cache.lock);
    return previous;
}

static PyObject *py_recycle_exit(PyObject *self, PyObject *token)
{
    (void)self;
    if (token == Py_None)
        Py_RETURN_NONE;
    if (!PyCapsule_IsValid(token, "mem_handler")) {
        PyErr_SetString(PyExc_TypeError, "recycle_exit: 'token' must be what recycle_enter returned");
        return NULL;
    }
    PyObject *replaced = PyDataMem_SetHandler(token);
    if (!replaced)
        return NULL;
    Py_DECREF(replaced);
    pthread_mutex_lock(&cache.lock);
    int last = --cache.active_scopes == 0;
    pthread_mutex_unlock(&cache.lock);
    if (last)
        release_cache();
    Py_RETURN_NONE;
}

static PyObject *py_recycle_cached_bytes(PyObject *self, PyObject *args)
{
    (void)self, (void)args;
    pthread_mutex_lock(&cache.lock);
    size_t bytes = cache.cached_bytes;
    pthread_mutex_unlock(&cache.lock);
    return PyLong_FromSize_t(bytes);
}

PyMethodDef gm_memory_methods[] = {
    {"recycle_enter", py_recycle_enter, METH_NOARGS,
     "recycle_enter() -> token: NumPy arrays of 64 KiB or more allocated in this context reuse freed "
     "blocks of their size until recycle_exit(token); None (and nothing done) if a non-default "
     "allocator is installed."},
    {"recycle_exit", py_recycle_exit, METH_O,
     "recycle_exit(token): restore the allocator recycle_enter replaced; the last scope to leave frees "
     "the kept blocks."},
    {"recycle_cached_bytes", py_recycle_cached_bytes, METH_NOARGS,
     "recycle_cached_bytes() -> bytes of freed blocks currently kept for reuse."},
    {NULL, NULL, 0, NULL},
};
