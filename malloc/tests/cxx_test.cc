// Every form of operator new and delete, from several threads, with the
// standard containers on top; bad_alloc and the new-handler. Prints a
// checksum that must not depend on the allocator (the test compares runs
// with and without libkmm-malloc).
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <new>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#define CHECK(cond) do {								\
	if (!(cond)) {									\
		std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
		std::exit(1);								\
	}										\
} while (0)

struct alignas(64) Line {
	unsigned char b[64];
};

struct alignas(4096) Page {
	unsigned char b[4096];
};

static bool aligned(const void *p, std::size_t a)
{
	return reinterpret_cast<std::uintptr_t>(p) % a == 0;
}

// Each form once per round, explicit operator calls where an expression
// would not pick the form. Returns a checksum of what it wrote.
static std::uint64_t forms(unsigned seed)
{
	std::uint64_t sum = 0;

	int *one = new int(static_cast<int>(seed));
	sum += static_cast<std::uint64_t>(*one);
	delete one;

	char *arr = new char[100 + seed % 5000];
	std::memset(arr, 1, 100 + seed % 5000);
	sum += static_cast<std::uint64_t>(arr[99]);
	delete[] arr;

	int *nt = new (std::nothrow) int(3);
	CHECK(nt);
	sum += static_cast<std::uint64_t>(*nt);
	delete nt;
	int *nta = new (std::nothrow) int[50]();
	CHECK(nta && nta[49] == 0);
	delete[] nta;

	Line *l = new Line;
	CHECK(aligned(l, 64));
	delete l;
	Page *pg = new Page[3];
	CHECK(aligned(pg, 4096));
	pg[2].b[4095] = 7;
	sum += pg[2].b[4095];
	delete[] pg;
	Page *pgn = new (std::nothrow) Page;
	CHECK(pgn && aligned(pgn, 4096));
	delete pgn;

	void *p;
	p = ::operator new(24);
	::operator delete(p, std::size_t(24));
	p = ::operator new[](240);
	::operator delete[](p, std::size_t(240));
	p = ::operator new(24, std::nothrow);
	::operator delete(p, std::nothrow);
	p = ::operator new[](24, std::nothrow);
	::operator delete[](p, std::nothrow);
	p = ::operator new(100, std::align_val_t(256));
	CHECK(aligned(p, 256));
	::operator delete(p, std::align_val_t(256));
	p = ::operator new[](100, std::align_val_t(512));
	CHECK(aligned(p, 512));
	::operator delete[](p, std::align_val_t(512));
	p = ::operator new(100, std::align_val_t(128));
	::operator delete(p, std::size_t(100), std::align_val_t(128));
	p = ::operator new[](300, std::align_val_t(128));
	::operator delete[](p, std::size_t(300), std::align_val_t(128));
	p = ::operator new(100, std::align_val_t(8192), std::nothrow);
	CHECK(p && aligned(p, 8192));
	::operator delete(p, std::align_val_t(8192), std::nothrow);
	p = ::operator new[](100, std::align_val_t(64), std::nothrow);
	CHECK(p && aligned(p, 64));
	::operator delete[](p, std::align_val_t(64), std::nothrow);
	return sum;
}

static std::uint64_t containers(unsigned seed)
{
	std::vector<std::string> words;
	std::map<std::string, int> counts;
	std::unordered_map<int, std::vector<int>> buckets;
	std::uint64_t sum = 0;

	for (unsigned i = 0; i < 2000; i++) {
		std::string w = "w" + std::to_string((seed * 7919 + i * 31) % 500);

		words.push_back(w + std::string(i % 40, 'x'));
		counts[w]++;
		buckets[static_cast<int>(i % 97)].push_back(static_cast<int>(i));
	}
	for (const auto &w : words)
		sum += w.size();
	for (const auto &c : counts)
		sum += static_cast<std::uint64_t>(c.second) * c.first.size();
	for (const auto &b : buckets)
		sum += b.second.size();
	auto shared = std::make_shared<std::vector<int>>(1000, 3);
	sum += static_cast<std::uint64_t>((*shared)[999]);
	return sum;
}

static int handler_calls;
static void *reserve;

static void release_reserve()
{
	handler_calls++;
	std::free(reserve);
	reserve = nullptr;
	std::set_new_handler(nullptr);
}

static void exhaustion()
{
	const std::size_t huge = std::size_t(1) << 50;

	CHECK(::operator new(huge, std::nothrow) == nullptr);
	CHECK(::operator new(huge, std::align_val_t(64), std::nothrow) == nullptr);
	bool thrown = false;
	try {
		(void)::operator new[](huge);
	} catch (const std::bad_alloc &) {
		thrown = true;
	}
	CHECK(thrown);
	// The handler runs once, gives up its reserve and uninstalls itself.
	reserve = std::malloc(1000);
	std::set_new_handler(release_reserve);
	thrown = false;
	try {
		(void)::operator new(huge);
	} catch (const std::bad_alloc &) {
		thrown = true;
	}
	CHECK(thrown && handler_calls == 1 && !reserve);
}

int main()
{
	const unsigned nthreads = 8;
	std::vector<std::thread> threads;
	std::atomic<std::uint64_t> total{0};

	for (unsigned t = 0; t < nthreads; t++) {
		threads.emplace_back([t, &total] {
			std::uint64_t sum = 0;

			for (unsigned r = 0; r < 200; r++)
				sum += forms(t * 1000 + r);
			sum += containers(t);
			total += sum;
		});
	}
	for (auto &th : threads)
		th.join();
	exhaustion();
	std::printf("cxx: checksum %llu\n", static_cast<unsigned long long>(total.load()));
	return 0;
}
