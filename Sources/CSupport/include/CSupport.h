// CSupport: processor hints Swift has no spelling for.
#ifndef TOKKI_CSUPPORT_H
#define TOKKI_CSUPPORT_H

/// Starts loading the cache line at `p` for a read soon (a hint: it never faults, whatever
/// `p` is). Inlined into the Swift caller.
static inline __attribute__((always_inline)) void tk_prefetch(const void *p) {
    __builtin_prefetch(p, 0, 3);
}

#endif
