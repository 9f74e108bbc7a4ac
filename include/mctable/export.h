// MCTABLE_EXPORT marks the library's public API.  The library is compiled
// with hidden visibility, so the shared library exports exactly what the
// public headers declare with this mark and nothing of its internals.
#ifndef MCTABLE_EXPORT_H_
#define MCTABLE_EXPORT_H_

#define MCTABLE_EXPORT [[gnu::visibility("default")]]

#endif  // MCTABLE_EXPORT_H_
