// C++'s operator new and delete in every form, on the C entry points
// (api.c): plain, array, nothrow, sized and aligned. A throwing new calls
// the new-handler while one is installed and throws std::bad_alloc when
// none is; a nothrow new returns NULL instead of throwing. Sized deletes
// free as the unsized ones do (kmm knows each block's size).
//
// The library does not need libstdc++ (a C program preloading it should
// not load the C++ runtime): the two functions of the runtime used here
// are weak references, bound when the program has the runtime, and this
// file is built without exceptions. A program without the runtime calls
// operator new only through a C++ library it loads later: then exhaustion
// aborts with a message, as there is nothing to throw with.
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <new>

using std::aligned_alloc;
using std::free;
using std::malloc;

extern "C" {
// std::get_new_handler() and std::__throw_bad_alloc(), by their symbols.
std::new_handler kmm_get_new_handler() __asm__("_ZSt15get_new_handlerv")
	__attribute__((weak));
[[noreturn]] void kmm_throw_bad_alloc() __asm__("_ZSt17__throw_bad_allocv")
	__attribute__((weak));
}

#define NEW_API __attribute__((visibility("default")))

namespace {

// Memory is exhausted: the new-handler while there is one, then NULL for
// a nothrow new, std::bad_alloc for the others.
__attribute__((noinline)) void *new_failed(std::size_t size, std::size_t align, bool nothrow)
{
	for (;;) {
		std::new_handler handler = kmm_get_new_handler ? kmm_get_new_handler() : nullptr;

		if (!handler) {
			if (nothrow)
				return nullptr;
			if (kmm_throw_bad_alloc)
				kmm_throw_bad_alloc();
			std::fprintf(stderr, "kmm-malloc: operator new(%zu): out of memory, and no "
				     "C++ runtime to throw std::bad_alloc\n", size);
			std::abort();
		}
		handler();
		void *p = align ? aligned_alloc(align, size) : malloc(size);

		if (p)
			return p;
	}
}

inline void *new_plain(std::size_t size, bool nothrow)
{
	void *p = malloc(size);

	return __builtin_expect(p != nullptr, 1) ? p : new_failed(size, 0, nothrow);
}

inline void *new_aligned(std::size_t size, std::align_val_t al, bool nothrow)
{
	std::size_t align = static_cast<std::size_t>(al);
	void *p = aligned_alloc(align, size);

	return __builtin_expect(p != nullptr, 1) ? p : new_failed(size, align, nothrow);
}

}  // namespace

NEW_API void *operator new(std::size_t size) { return new_plain(size, false); }
NEW_API void *operator new[](std::size_t size) { return new_plain(size, false); }

NEW_API void *operator new(std::size_t size, const std::nothrow_t &) noexcept
{
	return new_plain(size, true);
}

NEW_API void *operator new[](std::size_t size, const std::nothrow_t &) noexcept
{
	return new_plain(size, true);
}

NEW_API void *operator new(std::size_t size, std::align_val_t al)
{
	return new_aligned(size, al, false);
}

NEW_API void *operator new[](std::size_t size, std::align_val_t al)
{
	return new_aligned(size, al, false);
}

NEW_API void *operator new(std::size_t size, std::align_val_t al, const std::nothrow_t &) noexcept
{
	return new_aligned(size, al, true);
}

NEW_API void *operator new[](std::size_t size, std::align_val_t al, const std::nothrow_t &) noexcept
{
	return new_aligned(size, al, true);
}

NEW_API void operator delete(void *p) noexcept { free(p); }
NEW_API void operator delete[](void *p) noexcept { free(p); }
NEW_API void operator delete(void *p, const std::nothrow_t &) noexcept { free(p); }
NEW_API void operator delete[](void *p, const std::nothrow_t &) noexcept { free(p); }
NEW_API void operator delete(void *p, std::size_t) noexcept { free(p); }
NEW_API void operator delete[](void *p, std::size_t) noexcept { free(p); }
NEW_API void operator delete(void *p, std::align_val_t) noexcept { free(p); }
NEW_API void operator delete[](void *p, std::align_val_t) noexcept { free(p); }
NEW_API void operator delete(void *p, std::size_t, std::align_val_t) noexcept { free(p); }
NEW_API void operator delete[](void *p, std::size_t, std::align_val_t) noexcept { free(p); }
NEW_API void operator delete(void *p, std::align_val_t, const std::nothrow_t &) noexcept { free(p); }
NEW_API void operator delete[](void *p, std::align_val_t, const std::nothrow_t &) noexcept { free(p); }
