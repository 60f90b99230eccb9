// C++'s operator new and delete in every form, on the C entry points
// (api.c): plain, array, nothrow, sized and aligned. A throwing new calls
// the new-handler while one is installed and throws std::bad_alloc when
// none is; a nothrow new is the throwing one with the exception caught,
// as the standard specifies. Sized deletes free as the unsized ones do
// (kmm knows each block's size).
#include <cstddef>
#include <cstdlib>
#include <new>

using std::aligned_alloc;
using std::free;
using std::malloc;

#define NEW_API __attribute__((visibility("default")))

namespace {

void *new_failed(std::size_t size, std::size_t align)
{
	for (;;) {
		std::new_handler handler = std::get_new_handler();

		if (!handler)
			throw std::bad_alloc();
		handler();
		void *p = align ? aligned_alloc(align, size) : malloc(size);

		if (p)
			return p;
	}
}

inline void *new_plain(std::size_t size)
{
	void *p = malloc(size);

	return __builtin_expect(p != nullptr, 1) ? p : new_failed(size, 0);
}

inline void *new_aligned(std::size_t size, std::align_val_t al)
{
	std::size_t align = static_cast<std::size_t>(al);
	void *p = aligned_alloc(align, size);

	return __builtin_expect(p != nullptr, 1) ? p : new_failed(size, align);
}

}  // namespace

NEW_API void *operator new(std::size_t size) { return new_plain(size); }
NEW_API void *operator new[](std::size_t size) { return new_plain(size); }

NEW_API void *operator new(std::size_t size, const std::nothrow_t &) noexcept
{
	try {
		return new_plain(size);
	} catch (...) {
		return nullptr;
	}
}

NEW_API void *operator new[](std::size_t size, const std::nothrow_t &) noexcept
{
	try {
		return new_plain(size);
	} catch (...) {
		return nullptr;
	}
}

NEW_API void *operator new(std::size_t size, std::align_val_t al) { return new_aligned(size, al); }
NEW_API void *operator new[](std::size_t size, std::align_val_t al) { return new_aligned(size, al); }

NEW_API void *operator new(std::size_t size, std::align_val_t al, const std::nothrow_t &) noexcept
{
	try {
		return new_aligned(size, al);
	} catch (...) {
		return nullptr;
	}
}

NEW_API void *operator new[](std::size_t size, std::align_val_t al, const std::nothrow_t &) noexcept
{
	try {
		return new_aligned(size, al);
	} catch (...) {
		return nullptr;
	}
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
